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

}  // namespace p2pmon::plugins
