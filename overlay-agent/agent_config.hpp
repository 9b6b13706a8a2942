// The embedded agent's configuration (issue 6): which checks run, how
// often, their thresholds as Nagios ranges, the host name results carry and
// where they are pushed (agent::PushConfig). Read from p2pmon-peer's
// --agent-* options and an --agent-config file of the same keys
// (docs/operations.md, "The embedded agent").
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/program_options/options_description.hpp>
#include <boost/program_options/variables_map.hpp>

#include "core/address.hpp"
#include "core/node_id.hpp"
#include "core/range.hpp"
#include "overlay-agent/result_outbox.hpp"

namespace p2pmon::overlay {

// The checks, in the order results and summaries list them. The names are
// the service names of the results (DESIGN.md) and never change.
enum class AgentCheck : std::uint8_t { PeerHealth, SipOptions, RtpQuality, NatBehaviour, DhtLookup };
inline constexpr std::size_t kAgentChecks = 5;
inline constexpr std::array<AgentCheck, kAgentChecks> kAllAgentChecks{
    AgentCheck::PeerHealth, AgentCheck::SipOptions, AgentCheck::RtpQuality,
    AgentCheck::NatBehaviour, AgentCheck::DhtLookup};
std::string_view checkName(AgentCheck c);  // "peer_health", ...
std::optional<AgentCheck> parseCheckName(std::string_view name);
// The metrics of a check that take thresholds (--agent-threshold CHECK.METRIC=W,C).
const std::vector<std::string_view>& thresholdMetrics(AgentCheck c);

struct MetricThresholds {
  std::optional<core::Range> warning;
  std::optional<core::Range> critical;
};

struct AgentCheckConfig {
  bool enabled = false;
  std::int64_t intervalMs = 60'000;
  std::map<std::string, MetricThresholds> thresholds;  // by metric; absent: none
  const MetricThresholds& metric(const std::string& name) const;
};

// Bounds, with their reasons.
inline constexpr std::int64_t kMinAgentIntervalS = 1;       // faster is load, not monitoring
inline constexpr std::int64_t kMaxAgentIntervalS = 86'400;  // a day: results would go stale anyway
inline constexpr std::size_t kMaxSipTargets = 32;           // OPTIONS per peer and round
inline constexpr std::size_t kMaxRtpConcurrency = 16;       // streams at once per process
inline constexpr std::size_t kMaxAgentQueue = 100'000;      // probe jobs waiting per process

struct AgentConfig {
  bool enabled = false;  // a push target was given
  std::array<AgentCheckConfig, kAgentChecks> checks;
  // Results' host: empty gives "peer-" + the first 8 hex digits of the
  // Node-ID; else a name, with {id8}, {id} and {index} replaced (swarm
  // mode needs one of them, or every peer would report as one host).
  std::string hostName;
  std::optional<core::HostPort> stunServer;  // nat_behaviour's STUN server (RFC 5780 capable)
  double rtpDurationS = 2;
  std::string rtpCodec = "pcmu";
  // RTP streams and NAT probes at once per process: the media probes'
  // budget, whatever the number of peers (one stream costs about as much
  // CPU as 5% of a 1,000-peer swarm's overlay).
  std::size_t rtpConcurrency = 1;
  std::size_t sipTargets = 3;  // neighbours asked per peer and round: the first successor + 2 in turn
  std::size_t queueMax = 2000;     // probe jobs waiting per process; more are dropped and counted
  agent::PushConfig push;

  AgentCheckConfig& check(AgentCheck c) { return checks[static_cast<std::size_t>(c)]; }
  const AgentCheckConfig& check(AgentCheck c) const { return checks[static_cast<std::size_t>(c)]; }
};

// The defaults of every check (intervals and thresholds of docs/operations.md),
// none enabled, no push target.
AgentConfig defaultAgentConfig();

// The host name results of peer `index` with Node-ID `id` carry.
std::string agentHostName(const AgentConfig& c, const core::NodeId& id, std::size_t index);

// What the rest of p2pmon-peer's command line says that the agent depends on.
struct AgentContext {
  bool swarm = false;
  std::string stateDir;
  bool sip = false;          // the peers run SIP: sip_options is on by default
  bool rtpReflector = false;  // the peers run RTP reflectors: rtp_quality is on by default
};

// The --agent-* options, for p2pmon-peer's description (values are read
// from the variables_map by agentConfigFrom, nothing is bound).
boost::program_options::options_description agentOptionDescription();
// Builds the configuration from the stored command line, with the
// --agent-config file (same keys, `key = value`) under it: a single-valued
// option on the command line wins over the file, repeated ones
// (--agent-interval, --agent-threshold) apply file first, then command line.
// Throws std::runtime_error with a one-line reason.
AgentConfig agentConfigFrom(const boost::program_options::variables_map& vm,
                            const AgentContext& ctx);

}  // namespace p2pmon::overlay
