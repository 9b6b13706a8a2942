// Nagios check states and their severity ordering, defined once for the
// whole project (plugins, collector, dashboard all rank states through here).
#pragma once

#include <optional>
#include <string_view>

namespace p2pmon::core {

// Wire values are the Nagios plugin exit codes.
enum class State : int { Ok = 0, Warning = 1, Critical = 2, Unknown = 3 };

// Severity rank used for "worst state" and problem sorting:
// OK < UNKNOWN < WARNING < CRITICAL (monitoring-plugins' max_state_alt order).
int severity(State s);
// The more severe of two states.
State worse(State a, State b);
// Inverse of severity(): the state with that rank (clamped to 0..3).
State stateOfSeverity(int rank);

std::string_view stateName(State s);            // "OK", "WARNING", ...
std::optional<State> stateFromInt(long value);  // 0..3 or nullopt
std::optional<State> parseStateName(std::string_view name);  // "ok", "CRITICAL", "2"

// Host check results (NSCA packets with an empty service) use 0 UP, 1 DOWN,
// 2 UNREACHABLE; for ranking they count as OK, CRITICAL, CRITICAL.
State hostStateAsServiceState(int hostState);

}  // namespace p2pmon::core
