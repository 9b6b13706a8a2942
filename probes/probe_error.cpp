#include "probes/probe_error.hpp"

#include <algorithm>

namespace p2pmon::probes {

bool isStableCode(std::string_view code) {
  return std::find(std::begin(kStableCodes), std::end(kStableCodes), code) !=
         std::end(kStableCodes);
}

core::Error normalizeError(std::string_view raw) {
  std::string_view code = raw;
  std::string_view rest;
  if (auto colon = raw.find(':'); colon != std::string_view::npos) {
    code = raw.substr(0, colon);
    rest = raw.substr(colon + 1);
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  }
  if (isStableCode(code)) return core::makeError(std::string(code), std::string(rest));
  // A client never joins, so "not_joined" from its engine means it had nobody to ask.
  if (code == "not_joined") return core::makeError("no_route", std::string(raw));
  return core::makeError("internal", raw.empty() ? "unspecified error" : std::string(raw));
}

std::string errorLine(std::string_view command, const core::Error& e) {
  std::string line(command);
  line += ": " + e.code;
  if (!e.message.empty()) line += ": " + e.message;
  return line;
}

}  // namespace p2pmon::probes
