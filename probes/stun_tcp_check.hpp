// p2pmon's TCP reachability extension to STUN: a Binding request may ask
// the server to open TCP connections back to the requester's own source IP
// on a few ports (a peer's SIP or overlay listening ports), and the server
// answers once the connects are done, with the outcome per port. Two
// comprehension-optional attributes (docs/protocol.md, "STUN: TCP
// reachability"), so any other STUN server ignores the question and a
// client sees "not supported". Pure: values and bytes only.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "probes/stun_codec.hpp"

namespace p2pmon::probes::stun {

namespace attr {
inline constexpr std::uint16_t kP2pmonTcpCheck = 0xC0D0;   // request: 16-bit ports
inline constexpr std::uint16_t kP2pmonTcpResult = 0xC0D1;  // answer: port, outcome, 0
}  // namespace attr

// Why the limit: each port is a TCP connect the server makes on the
// requester's behalf; a small bound keeps a STUN server from being turned
// into a port scanner.
inline constexpr std::size_t kMaxTcpCheckPorts = 4;

enum class TcpReach : std::uint8_t {
  reachable = 0,  // the connect completed
  refused = 1,    // RST (nothing listens, or a NAT/firewall answered for it)
  timeout = 2,    // no answer within the server's connect timeout
  error = 3,      // another failure (unreachable network, ...)
  limited = 4,    // the server did not try: its rate limits
};
std::string_view name(TcpReach r);

struct TcpResult {
  std::uint16_t port = 0;
  TcpReach reach = TcpReach::error;
  bool operator==(const TcpResult&) const = default;
};

void addTcpCheck(Message& m, std::span<const std::uint16_t> ports);
// The ports asked for: 1..kMaxTcpCheckPorts non-zero ports, else nullopt
// (a malformed question is ignored, as an unknown optional attribute is).
std::optional<std::vector<std::uint16_t>> findTcpCheck(const Message& m);

void addTcpResults(Message& m, std::span<const TcpResult> results);
// Nullopt when absent or malformed; unknown outcome codes read as error.
std::optional<std::vector<TcpResult>> findTcpResults(const Message& m);

// The encoded success answer `reply` with the results added (before
// FINGERPRINT, which is recomputed). Nullopt when `reply` does not decode.
std::optional<std::vector<std::uint8_t>> withTcpResults(std::span<const std::uint8_t> reply,
                                                       std::span<const TcpResult> results);

}  // namespace p2pmon::probes::stun
