#include "collector/store_schema.hpp"

#include <stdexcept>
#include <string>

namespace p2pmon::collector {

namespace {
// Step N brings the schema from version N to N+1. Append, never edit.
struct Step {
  const char* sql;
  // Optional: a query run after `sql` that must give 0, or the step fails
  // (rolled back) with `failure`; then `more` runs.
  const char* check = nullptr;
  const char* failure = nullptr;
  const char* more = nullptr;
};

constexpr Step kMigrations[] = {
    {R"sql(
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
)sql"},
    // 2: metric points are read from the history's perfdata (results_by_service
    // gives them in time order) instead of being written a second time; the
    // series table stays as the registry of labels and units. `current` gets
    // an integer key, so the writer updates a service's row by id.
    {R"sql(
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
)sql"},
    // 3: history rows name their service by the integer key of its `current`
    // row (current rows are never deleted, and every service has one from
    // its first result on) instead of host and service text. The history
    // index is on (service_id, time): a commit's new entries were spread
    // over most leaf pages of an index on text keys, each page rewritten
    // into the WAL; integer keys make the entries ~3x smaller, so fewer
    // pages hold them, and the rows lose their two text columns.
    // Ids are kept (the forwarder's cursor is a history id). A history row
    // without a current row would be dropped by the join: migrate() checks
    // the row count and refuses rather than lose it.
    {R"sql(
CREATE TABLE results_v3(
  id INTEGER PRIMARY KEY,
  service_id INTEGER NOT NULL,
  state INTEGER NOT NULL,
  output TEXT NOT NULL,
  perfdata TEXT NOT NULL,
  time REAL NOT NULL,
  received REAL NOT NULL,
  source TEXT NOT NULL);
INSERT INTO results_v3(id, service_id, state, output, perfdata, time, received, source)
  SELECT r.id, c.id, r.state, r.output, r.perfdata, r.time, r.received, r.source
  FROM results AS r JOIN current AS c ON c.host = r.host AND c.service = r.service
  ORDER BY r.id;
)sql",
     "SELECT (SELECT count(*) FROM results) - (SELECT count(*) FROM results_v3)",
     "history rows without a current state (host and service) cannot be migrated to "
     "schema 3; the database stays at schema 2",
     R"sql(
DROP TABLE results;
ALTER TABLE results_v3 RENAME TO results;
CREATE INDEX results_by_service ON results(service_id, time);
)sql"},
    // 4: crawl snapshots (POST /api/v1/crawls, collector/crawl_store.hpp):
    // one row per crawl with its summary figures as columns (the overview
    // and history read only these) and the documents' summary and ring
    // objects as JSON, and one row per crawled peer. Retention drops the
    // peers of older crawls first (peers_stored 0) and whole crawls after
    // --retention-days. New tables only: the existing data is untouched.
    {R"sql(
CREATE TABLE crawls(
  id INTEGER PRIMARY KEY,
  overlay TEXT NOT NULL,
  started_at REAL NOT NULL,
  seconds REAL NOT NULL,
  received REAL NOT NULL,
  found INTEGER NOT NULL,
  reachable INTEGER NOT NULL,
  unreachable INTEGER NOT NULL,
  unvisited INTEGER NOT NULL,
  consistent INTEGER NOT NULL,
  rings TEXT NOT NULL,
  dangling INTEGER NOT NULL,
  churn_joined INTEGER,
  churn_left INTEGER,
  churn_restarted INTEGER,
  peers_stored INTEGER NOT NULL,
  bootstrap TEXT NOT NULL,
  summary TEXT NOT NULL,
  ring TEXT NOT NULL,
  UNIQUE(overlay, started_at));
CREATE INDEX crawls_by_start ON crawls(started_at);

CREATE TABLE crawl_peers(
  crawl_id INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  node_id TEXT,
  address TEXT NOT NULL,
  reachable INTEGER NOT NULL,
  error TEXT,
  rtt_ms REAL,
  attempts INTEGER NOT NULL,
  software_version TEXT,
  uptime_s INTEGER,
  successor TEXT,
  predecessor TEXT,
  state INTEGER,
  detail TEXT NOT NULL,
  PRIMARY KEY(crawl_id, seq)) WITHOUT ROWID;
)sql"},
    // 5: hourly roll-ups of the perfdata series (collector/metric_rollup.hpp):
    // count, sum, min and max per series and hour of check time, for charts
    // over days. New table only; the writer fills it from the history behind
    // the `rollup` cursor, the existing history included, in the background.
    {R"sql(
CREATE TABLE rollups(
  series_id INTEGER NOT NULL,
  hour INTEGER NOT NULL,
  count INTEGER NOT NULL,
  sum REAL NOT NULL,
  min REAL NOT NULL,
  max REAL NOT NULL,
  PRIMARY KEY(series_id, hour)) WITHOUT ROWID;
)sql"},
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
    const Step& step = kMigrations[v];
    db.exec(step.sql);
    if (step.check != nullptr) {
      auto st = db.prepare(step.check);
      st.step();
      if (st.int64(0) != 0) throw std::runtime_error(step.failure);
    }
    if (step.more != nullptr) db.exec(step.more);
    db.exec("PRAGMA user_version=" + std::to_string(v + 1));
    tx.commit();
  }
}

}  // namespace p2pmon::collector
