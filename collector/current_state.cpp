#include "collector/current_state.hpp"

#include <algorithm>

namespace p2pmon::collector {

CurrentStates::Services& CurrentStates::services(std::string_view host) {
  auto it = hosts_.find(host);
  if (it == hosts_.end()) it = hosts_.emplace(std::string(host), Services{}).first;
  return it->second;
}

CurrentRow& CurrentStates::row(std::string_view host, std::string_view service) {
  Services& s = services(host);
  auto it = s.find(service);
  if (it == s.end()) it = s.emplace(std::string(service), CurrentRow{}).first;
  return it->second;
}

bool CurrentStates::apply(CurrentRow& row, int state, int severity, double time) {
  if (!row.applied) {
    row.applied = true;
    row.lastStateChange = time;
  } else {
    if (time < row.lastCheck) return false;
    if (row.state != state) row.lastStateChange = time;
  }
  row.state = state;
  row.severity = severity;
  row.lastCheck = time;
  return true;
}

void CurrentStates::put(std::string_view host, std::string_view service, const CurrentRow& row) {
  CurrentRow& stored = services(host).insert_or_assign(std::string(service), row).first->second;
  stored.applied = true;
}

HostRollup CurrentStates::rollup(std::string_view host) const {
  HostRollup out;
  auto it = hosts_.find(host);
  if (it == hosts_.end()) return out;
  bool first = true;
  for (const auto& [name, row] : it->second) {
    if (!row.applied) continue;
    out.worstSeverity = first ? row.severity : std::max(out.worstSeverity, row.severity);
    out.lastCheck = first ? row.lastCheck : std::max(out.lastCheck, row.lastCheck);
    first = false;
    ++out.services;
  }
  return out;
}

}  // namespace p2pmon::collector
