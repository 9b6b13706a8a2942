#include "collector/current_state.hpp"

#include <algorithm>

namespace p2pmon::collector {

CurrentStates::Services& CurrentStates::services(std::string_view host) {
  auto it = hosts_.find(host);
  if (it == hosts_.end()) it = hosts_.emplace(std::string(host), Services{}).first;
  return it->second;
}

CurrentRow* CurrentStates::apply(std::string_view host, std::string_view service, int state,
                                 int severity, double time) {
  Services& s = services(host);
  auto it = s.find(service);
  if (it == s.end()) {
    CurrentRow row;
    row.state = state;
    row.severity = severity;
    row.lastCheck = time;
    row.lastStateChange = time;
    return &s.emplace(std::string(service), row).first->second;
  }
  CurrentRow& row = it->second;
  if (time < row.lastCheck) return nullptr;
  if (row.state != state) row.lastStateChange = time;
  row.state = state;
  row.severity = severity;
  row.lastCheck = time;
  return &row;
}

void CurrentStates::put(std::string_view host, std::string_view service, const CurrentRow& row) {
  services(host).insert_or_assign(std::string(service), row);
}

HostRollup CurrentStates::rollup(std::string_view host) const {
  HostRollup out;
  auto it = hosts_.find(host);
  if (it == hosts_.end()) return out;
  bool first = true;
  for (const auto& [name, row] : it->second) {
    out.worstSeverity = first ? row.severity : std::max(out.worstSeverity, row.severity);
    out.lastCheck = first ? row.lastCheck : std::max(out.lastCheck, row.lastCheck);
    first = false;
    ++out.services;
  }
  return out;
}

}  // namespace p2pmon::collector
