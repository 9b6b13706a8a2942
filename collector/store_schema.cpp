#include "collector/store_schema.hpp"

#include <stdexcept>
#include <string>

namespace p2pmon::collector {

namespace {
// Step N brings the schema from version N to N+1. Append, never edit.
constexpr const char* kMigrations[] = {
    R"sql(
CREATE TABLE results(
  id INTEGER PRIMARY KEY,
  host TEXT NOT NULL,
  service TEXT NOT NULL,
  state INTEGER NOT NULL,
  output TEXT NOT NULL,
  perfdata TEXT NOT NULL,
  time REAL NOT NULL,
  received REAL NOT NULL,
  source TEXT NOT NULL);
CREATE INDEX results_by_service ON results(host, service, time);

CREATE TABLE current(
  host TEXT NOT NULL,
  service TEXT NOT NULL,
  state INTEGER NOT NULL,
  severity INTEGER NOT NULL,
  output TEXT NOT NULL,
  perfdata TEXT NOT NULL,
  last_check REAL NOT NULL,
  last_state_change REAL NOT NULL,
  source TEXT NOT NULL,
  result_id INTEGER NOT NULL,
  PRIMARY KEY(host, service)) WITHOUT ROWID;

CREATE TABLE hosts(
  host TEXT PRIMARY KEY,
  worst_severity INTEGER NOT NULL,
  last_check REAL NOT NULL,
  services INTEGER NOT NULL) WITHOUT ROWID;

CREATE TABLE series(
  id INTEGER PRIMARY KEY,
  host TEXT NOT NULL,
  service TEXT NOT NULL,
  label TEXT NOT NULL,
  uom TEXT NOT NULL,
  UNIQUE(host, service, label));

CREATE TABLE points(
  series_id INTEGER NOT NULL,
  time REAL NOT NULL,
  value REAL NOT NULL,
  PRIMARY KEY(series_id, time)) WITHOUT ROWID;

CREATE TABLE cursors(
  name TEXT PRIMARY KEY,
  last_id INTEGER NOT NULL) WITHOUT ROWID;
)sql",
    // 2: metric points are read from the history's perfdata (results_by_service
    // gives them in time order) instead of being written a second time; the
    // series table stays as the registry of labels and units. `current` gets
    // an integer key, so the writer updates a service's row by id.
    R"sql(
DROP TABLE points;

CREATE TABLE current_v2(
  id INTEGER PRIMARY KEY,
  host TEXT NOT NULL,
  service TEXT NOT NULL,
  state INTEGER NOT NULL,
  severity INTEGER NOT NULL,
  output TEXT NOT NULL,
  perfdata TEXT NOT NULL,
  last_check REAL NOT NULL,
  last_state_change REAL NOT NULL,
  source TEXT NOT NULL,
  result_id INTEGER NOT NULL,
  UNIQUE(host, service));
INSERT INTO current_v2(host, service, state, severity, output, perfdata, last_check,
  last_state_change, source, result_id)
  SELECT host, service, state, severity, output, perfdata, last_check, last_state_change,
    source, result_id FROM current ORDER BY host, service;
DROP TABLE current;
ALTER TABLE current_v2 RENAME TO current;
)sql",
};
constexpr int kSteps = static_cast<int>(sizeof(kMigrations) / sizeof(kMigrations[0]));
static_assert(kSteps == kSchemaVersion);
}  // namespace

void migrate(Database& db) {
  db.exec("PRAGMA journal_mode=WAL");
  // NORMAL in WAL mode: a commit survives a process crash (SIGKILL); only an
  // OS crash or power loss can roll back the last transactions.
  db.exec("PRAGMA synchronous=NORMAL");
  int version = 0;
  {
    // Finished before migrating: a pending statement would block DROP TABLE.
    auto st = db.prepare("PRAGMA user_version");
    st.step();
    version = static_cast<int>(st.int64(0));
  }
  if (version > kSchemaVersion) {
    throw std::runtime_error("database schema version " + std::to_string(version) +
                             " is newer than this p2pmon-collector (" +
                             std::to_string(kSchemaVersion) + ")");
  }
  for (int v = version; v < kSchemaVersion; ++v) {
    Transaction tx(db);
    db.exec(kMigrations[v]);
    db.exec("PRAGMA user_version=" + std::to_string(v + 1));
    tx.commit();
  }
}

}  // namespace p2pmon::collector
