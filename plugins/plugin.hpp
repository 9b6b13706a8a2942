// What every check_p2p_* plugin shares: the monitoring-plugins output
// contract (one status line "SERVICE STATE - text | perfdata", optional long
// output, exit code = state) computed apart from printing, and usage errors
// as UNKNOWN.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"
#include "core/perfdata.hpp"
#include "core/range.hpp"
#include "core/state.hpp"

namespace p2pmon::plugins {

struct Outcome {
  core::State state = core::State::Unknown;
  std::string text;                    // after "SERVICE STATE - "
  std::string perfdata;                // already formatted, may be empty
  std::vector<std::string> longOutput;  // lines after the status line
};

// "P2P_RESULT OK - text | perf\nlong line...\n"
std::string render(std::string_view service, const Outcome& outcome);
// Writes render() to stdout and returns the exit code for main.
int finish(std::string_view service, const Outcome& outcome);
// UNKNOWN with a one-line reason (bad usage or an internal failure).
int unknown(std::string_view service, const std::string& reason);

// The -w/-c ranges (Nagios range syntax; absent when not given) and the
// --timeout-state of the network plugins, checked. The error message is a
// usage reason such as "-w: ...".
struct Thresholds {
  std::optional<core::Range> warning;
  std::optional<core::Range> critical;
  core::State timeoutState = core::State::Unknown;
};
core::Expected<Thresholds> parseThresholds(const std::optional<std::string>& warning,
                                           const std::optional<std::string>& critical,
                                           const std::string& timeoutState);

}  // namespace p2pmon::plugins
