// The target of a SIP OPTIONS probe, `sip:[user@]HOST[:PORT][;transport=udp|tcp]`
// (RFC 3261 §19.1 SIP-URI, restricted to what the probe sends to): where the
// request goes and which transport carries it. Pure: no sockets, no sofia.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/expected.hpp"

namespace p2pmon::probes {

enum class SipTransport { Udp, Tcp };

std::string_view transportName(SipTransport t);  // "udp", "tcp"

struct SipTarget {
  std::string user;  // may be empty
  std::string host;  // name, IPv4 or IPv6 literal (without brackets)
  std::uint16_t port = 5060;
  SipTransport transport = SipTransport::Udp;

  // "sip:[user@]host:port;transport=udp", IPv6 hosts in brackets again.
  std::string uri() const;
};

// Parses a target URI. Scheme "sip:" only (no TLS here); the port defaults
// to 5060, the transport to udp; no parameter but transport, no headers.
// Errors: code "bad_target" with what is wrong.
core::Expected<SipTarget> parseSipTarget(std::string_view text);

// "IP:port" or "[v6]:port" of a resolved address, for reports.
std::string hostPortText(std::string_view ip, std::uint16_t port);

}  // namespace p2pmon::probes
