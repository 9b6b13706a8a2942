// The embedded agent's checks as decisions over measurements: what a peer's
// own state, its neighbours' OPTIONS answers, the canary lookup, an RTP
// stream and a NAT probe mean as a Nagios state, text and perfdata, and the
// check result (DESIGN.md) that carries them. Where a check_p2p_* plugin
// decides the same question, its decision is reused (plugins/*_check.hpp).
// Pure: no sockets, no clock.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/check_result.hpp"
#include "overlay-agent/agent_config.hpp"
#include "plugins/plugin.hpp"
#include "plugins/rtp_check.hpp"
#include "probes/nat_verdict.hpp"
#include "probes/sip_result.hpp"

namespace p2pmon::overlay {

// The first word of a result's output ("SIP OK - ..."), per check.
std::string_view outputLabel(AgentCheck c);

// output "LABEL STATE - text" plus long output lines, perfdata apart.
core::CheckResult makeResult(AgentCheck c, const plugins::Outcome& o, const std::string& host,
                             const std::string& source, double time);

// peer_health: one peer's engine as the agent reads it each round.
struct HealthSample {
  bool joined = false;
  std::size_t successors = 0, predecessors = 0, fingers = 0;  // fingers: distinct peers
  std::size_t successorsMax = 0, predecessorsMax = 0, fingersMax = 0;  // configured
  std::uint64_t stabilizations = 0;  // counters since the peer started
  std::uint64_t timeouts = 0;
  std::uint64_t drops = 0;
  std::uint64_t sent = 0, received = 0;
  std::size_t records = 0;
  std::uint64_t bytesStored = 0;
  std::optional<double> rssMB;  // the process's resident memory
};
// CRITICAL when not joined or without a successor; else the thresholds.
// Counters are taken since `previous` (the last run), or since start.
plugins::Outcome decidePeerHealth(const AgentCheckConfig& c, const HealthSample& now,
                                  const std::optional<HealthSample>& previous);
// Resident set size from /proc/self/statm's text and the page size.
std::optional<double> rssMBFromStatm(std::string_view statm, long pageSize);

// sip_options: the OPTIONS answers of one peer's neighbours. `unknown`
// neighbours could not be asked (no diagnostics, no SIP port).
struct SipNeighbours {
  std::vector<probes::SipProbeResult> results;
  std::size_t unknown = 0;
  double timeoutMs = 2000;
};
// Each answer is judged as check_p2p_sip would (RTT thresholds, expected
// codes); the summary is the worst of those, `failed` against its
// thresholds, CRITICAL when nobody answered, UNKNOWN when nobody was asked.
plugins::Outcome decideSipNeighbours(const AgentCheckConfig& c, const SipNeighbours& n);

// dht_lookup: the canary record a peer stores itself and fetches through
// the overlay.
std::string canaryName(const core::NodeId& id, const std::string& overlay);
struct CanaryRun {
  std::string name;
  std::string putError;     // a store this run failed: the stable code
  bool found = false;       // the fetch answered with the record
  std::string error;        // fetch failed: not_found, timeout, not_joined, ...
  std::string responsible;  // Node-ID hex of the peer that answered
  std::string responsibleAddress;
  int hops = 0;
  double latencyMs = 0;
  bool contentOk = false;   // the record holds what was stored last
  std::string contentSeen;  // what it held instead (for the text)
  double timeoutMs = 10000;  // the latency's perfdata max
};
plugins::Outcome decideCanary(const AgentCheckConfig& c, const CanaryRun& r);

// rtp_quality and nat_behaviour: check_p2p_rtp's and check_p2p_nat's decisions.
plugins::RtpCheckOptions rtpCheckOptions(const AgentCheckConfig& c, const std::string& target);
plugins::Outcome decideNatBehaviour(const probes::nat::NatReport& r,
                                    std::optional<probes::nat::NatType> previous);

}  // namespace p2pmon::overlay
