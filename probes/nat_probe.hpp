// The NAT behaviour probe (RFC 5780 §4): mapping tests I-III, filtering
// tests I-III, hairpinning and, on request, the binding lifetime, run one
// after another on fresh UDP sockets against a STUN server with an
// alternate address, with retransmissions and timeouts. The verdict logic
// is nat_verdict.hpp; this is the socket side.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "core/expected.hpp"
#include "probes/nat_verdict.hpp"

namespace p2pmon::probes::nat {

struct NatProbeOptions {
  stun::Address server;                        // the primary address (resolved)
  std::string bind = "0.0.0.0";                // local address of the probe's sockets
  std::chrono::milliseconds rto{100};          // first retransmission timeout, doubled each time
  int transmissions = 4;                       // per request: waits 100+200+400+800 ms
  bool hairpinning = true;
  bool lifetime = false;                       // RFC 5780 §4.5 (slow: waits up to lifetimeMax)
  std::chrono::seconds lifetimeMax{60};
  // TCP reachability (stun_tcp_check.hpp): ports this host listens on that
  // the server is asked to connect back to, on this host's public IP.
  std::vector<std::uint16_t> tcpPorts;         // at most stun::kMaxTcpCheckPorts
  std::function<void(const std::string&)> log; // progress lines (-v); may be empty
};

// The STUN server's address in the family of `bind` (an IPv6 bind needs an
// IPv6 server). Errors: code "unreachable" (does not resolve, or not in
// that family).
core::Expected<stun::Address> resolveStunServer(const std::string& host, std::uint16_t port,
                                                const std::string& bind);

// Never throws for network trouble: what could not be measured stays
// empty in the report, and `error` names why (timeout: Test I unanswered,
// so UDP is blocked; bad_response: no alternate address or RESPONSE-PORT).
NatReport probeNat(const NatProbeOptions& options);

}  // namespace p2pmon::probes::nat
