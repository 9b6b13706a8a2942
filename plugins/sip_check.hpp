// The decision of check_p2p_sip apart from its I/O: given how one SIP
// OPTIONS probe went, the expected response codes and the RTT thresholds,
// what to report. Pure, so every case is unit-tested.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/expected.hpp"
#include "core/range.hpp"
#include "plugins/plugin.hpp"
#include "probes/sip_result.hpp"

namespace p2pmon::plugins {

// Which final response codes count as "up": a comma list of codes (200),
// classes (2xx) and spans (200-299).
struct SipExpect {
  std::vector<std::pair<int, int>> spans;  // inclusive
  std::string text;                        // as written, for messages
  bool matches(int code) const;
};

// A reachable server that answers OPTIONS at all is up, even when it wants
// authentication (401/407), does not know the user (404) or forbids it
// (403, 405); 5xx and 6xx mean it is failing or refusing service.
inline constexpr std::string_view kDefaultExpect = "2xx,3xx,4xx";

// Errors: code "bad_expect".
core::Expected<SipExpect> parseSipExpect(std::string_view text);

struct SipCheckOptions {
  std::string target;                   // for messages: "sip:127.0.0.1:5060"
  std::optional<core::Range> warning;   // on the RTT in ms
  std::optional<core::Range> critical;
  double timeoutMs = 10000;             // the RTT's perfdata max
  core::State timeoutState = core::State::Critical;  // no response at all
  SipExpect expect;
  int verbose = 0;
};

Outcome decideSipCheck(const SipCheckOptions& o, const probes::SipProbeResult& r);

}  // namespace p2pmon::plugins
