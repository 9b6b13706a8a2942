// The ingest writer's in-memory copy of the `current` table's state columns
// (per host and service) and so of every host's summary: a batch's current
// rows and host rows are computed here and written once each, instead of
// being worked out by SQL (an upsert per result, an aggregate per host).
// Pure: no SQLite; StoreWriter loads it from and keeps it equal to the table.
// A row's id is also the service's key in the history (results.service_id),
// so the writer needs it before a service's first result is inserted: row()
// creates an empty row, the writer inserts it, then apply() fills it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace p2pmon::collector {

struct CurrentRow {
  std::int64_t id = 0;   // the row's key in the table; 0 until written
  bool applied = false;  // false until a result became current (a new row)
  int state = 0;
  int severity = 0;
  double lastCheck = 0;
  double lastStateChange = 0;
  // Set by apply(): the batch (generation) and the batch position of the
  // result that is now current, so a batch writes each row once.
  std::uint64_t batch = 0;
  std::size_t index = 0;
  // Set by StoreWriter's duplicate check: the newest time among this row's
  // results earlier in the batch being checked (pass `seenPass`).
  std::uint64_t seenPass = 0;
  double seenTime = 0;
};

struct HostRollup {
  int worstSeverity = 0;
  double lastCheck = 0;
  std::int64_t services = 0;
};

class CurrentStates {
 public:
  // The row of host and service, created empty (id 0, not applied) when
  // there is none. The reference stays valid until clear().
  CurrentRow& row(std::string_view host, std::string_view service);
  // The store's rule: a result becomes current unless it is older than the
  // current one (late spooled results must not roll it back); the state
  // change time moves only when the state changes. Returns true when the
  // result became current, false when it is history only.
  static bool apply(CurrentRow& row, int state, int severity, double time);
  // Puts a row as stored (loading).
  void put(std::string_view host, std::string_view service, const CurrentRow& row);
  // What the hosts table holds for `host`: worst severity, newest check and
  // number of services over its current rows (applied ones).
  HostRollup rollup(std::string_view host) const;
  void clear() { hosts_.clear(); }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using Services = std::unordered_map<std::string, CurrentRow, Hash, std::equal_to<>>;
  Services& services(std::string_view host);
  std::unordered_map<std::string, Services, Hash, std::equal_to<>> hosts_;
};

}  // namespace p2pmon::collector
