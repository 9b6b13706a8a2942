// What a STUN server answers to one datagram (RFC 5389 Binding, RFC 5780
// behaviour discovery, RFC 3489 classic requests), decided apart from the
// sockets: which of its (up to four) addresses answers, to where, with
// which bytes, or why the datagram is dropped. Pure.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "probes/stun_codec.hpp"
#include "probes/stun_tcp_check.hpp"

namespace p2pmon::probes::stun {

// A server with an alternate address (another IP and another port) listens
// on four: index bit 0 = alternate port, bit 1 = alternate IP. Without one,
// only index 0 exists and CHANGE-REQUEST is answered with 420.
struct ServerAddresses {
  Address primary;                 // A1:P1
  std::optional<Address> alternate;  // A2:P2
  int count() const { return alternate ? 4 : 1; }
  Address at(int index) const;     // index 0..count()-1
};

struct Reply {
  int fromIndex = 0;  // the address (ServerAddresses::at) to send from
  Address to;
  std::vector<std::uint8_t> bytes;
  bool error = false;  // an error response (420, 400)
};

// Drop reasons are the codec's error codes plus not_request (responses,
// indications), unsupported_method, and bad_family (an IPv6 sender on an
// IPv4 server with RESPONSE-PORT, say). Stable: counters key on them.
struct Outcome {
  std::optional<Reply> reply;
  std::string dropped;  // empty when there is a reply
  // The request asked for TCP connects back to its source IP on these
  // ports (stun_tcp_check.hpp): the server sends `reply` only once it has
  // added their outcome. Empty otherwise.
  std::vector<std::uint16_t> tcpCheck;
};

// `at` is the index the datagram arrived on, `source` its sender.
Outcome respond(const ServerAddresses& server, int at, const Address& source,
                std::span<const std::uint8_t> datagram, std::string_view software);

}  // namespace p2pmon::probes::stun
