#include "core/state.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

namespace p2pmon::core {

namespace {
constexpr std::array<int, 4> kSeverityOfState = {0, 2, 3, 1};  // indexed by State
constexpr std::array<State, 4> kStateOfSeverity = {State::Ok, State::Unknown, State::Warning,
                                                   State::Critical};
constexpr std::array<std::string_view, 4> kNames = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};
}  // namespace

int severity(State s) { return kSeverityOfState[static_cast<std::size_t>(s)]; }

State worse(State a, State b) { return severity(a) >= severity(b) ? a : b; }

State stateOfSeverity(int rank) {
  return kStateOfSeverity[static_cast<std::size_t>(std::clamp(rank, 0, 3))];
}

std::string_view stateName(State s) { return kNames[static_cast<std::size_t>(s)]; }

std::optional<State> stateFromInt(long value) {
  if (value < 0 || value > 3) return std::nullopt;
  return static_cast<State>(value);
}

std::optional<State> parseStateName(std::string_view name) {
  std::string upper(name);
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (upper == kNames[i] || upper == std::string(1, static_cast<char>('0' + i))) {
      return static_cast<State>(i);
    }
  }
  if (upper == "WARN") return State::Warning;
  if (upper == "CRIT") return State::Critical;
  return std::nullopt;
}

State hostStateAsServiceState(int hostState) {
  return hostState == 0 ? State::Ok : State::Critical;
}

}  // namespace p2pmon::core
