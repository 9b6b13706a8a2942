#include "plugins/plugin.hpp"

#include <iostream>

namespace p2pmon::plugins {

std::string render(std::string_view service, const Outcome& outcome) {
  std::string out(service);
  out += ' ';
  out += core::stateName(outcome.state);
  out += " - ";
  out += outcome.text;
  if (!outcome.perfdata.empty()) {
    out += " | ";
    out += outcome.perfdata;
  }
  out += '\n';
  for (const auto& line : outcome.longOutput) {
    out += line;
    out += '\n';
  }
  return out;
}

int finish(std::string_view service, const Outcome& outcome) {
  std::cout << render(service, outcome) << std::flush;
  return static_cast<int>(outcome.state);
}

int unknown(std::string_view service, const std::string& reason) {
  return finish(service, Outcome{core::State::Unknown, reason, "", {}});
}

core::Expected<Thresholds> parseThresholds(const std::optional<std::string>& warning,
                                           const std::optional<std::string>& critical,
                                           const std::string& timeoutState) {
  Thresholds t;
  if (warning) {
    auto r = core::parseRange(*warning);
    if (!r) return core::makeError("bad_usage", "-w: " + r.error().message);
    t.warning = *r;
  }
  if (critical) {
    auto r = core::parseRange(*critical);
    if (!r) return core::makeError("bad_usage", "-c: " + r.error().message);
    t.critical = *r;
  }
  auto st = core::parseStateName(timeoutState);
  if (!st) return core::makeError("bad_usage", "--timeout-state " + timeoutState);
  t.timeoutState = *st;
  return t;
}

}  // namespace p2pmon::plugins
