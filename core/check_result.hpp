// The Nagios check result: the unit that flows from probes and agents through
// sinks to the collector and on to Nagios (see DESIGN.md "Check results").
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "core/expected.hpp"
#include "core/state.hpp"

namespace p2pmon::core {

// Bounds every component enforces on a result; chosen so that a result always
// fits a Nagios external command line (MAX_EXTERNAL_COMMAND_LENGTH 8192).
inline constexpr std::size_t kMaxNameLength = 255;     // host, service, source
inline constexpr std::size_t kMaxOutputLength = 7168;  // output + perfdata together
inline constexpr double kMaxFutureSkewSeconds = 3600;  // a result may not come from further ahead

struct CheckResult {
  std::string host;
  std::string service;  // empty: a host check result (state 0 UP, 1 DOWN, 2 UNREACHABLE)
  State state = State::Unknown;
  std::string output;    // plugin output without perfdata; may span lines (long output)
  std::string perfdata;  // Nagios perfdata, space separated, may be empty
  double time = 0;       // seconds since the epoch, when the check ran
  std::string source;    // who produced it ("agent:<node-id>", "nsca:127.0.0.1", ...)

  bool isHostCheck() const { return service.empty(); }
  // The state ranked as a service state (host DOWN counts as CRITICAL).
  State serviceState() const;
  bool operator==(const CheckResult&) const = default;
};

// Checks the bounds and the characters that would break a Nagios external
// command (';', line breaks, control bytes in names). Returns the stable
// rejection code and a message, or nothing when the result is acceptable.
std::optional<Error> validate(const CheckResult& r, double now);

// JSON in the shape of DESIGN.md. Parsing is strict about types: a missing
// `time` becomes `now`, a missing `perfdata`/`source` becomes empty.
nlohmann::json toJson(const CheckResult& r);
Expected<CheckResult> fromJson(const nlohmann::json& j, double now);

// True when `s` may be used as a Nagios host or service name.
bool isSafeName(const std::string& s);

}  // namespace p2pmon::core
