#include "collector/store_writer.hpp"

#include <algorithm>
#include <string_view>
#include <vector>

#include "collector/store_schema.hpp"
#include "core/perfdata.hpp"

namespace p2pmon::collector {

namespace {
// Bound on the in-memory series id cache; cleared (not evicted) when full,
// since a miss only costs one indexed lookup.
constexpr std::size_t kMaxCachedSeries = 1'000'000;
// Metric points go in as multi-row INSERTs: per row that costs about a
// third less than one statement per point (the statement overhead is shared).
constexpr int kPointsPerInsert = 32;

std::string multiRowPointInsert() {
  std::string sql = "INSERT OR REPLACE INTO points(series_id, time, value) VALUES(?, ?, ?)";
  for (int i = 1; i < kPointsPerInsert; ++i) sql += ", (?, ?, ?)";
  return sql;
}

Database& migrated(Database& db) {
  migrate(db);
  return db;
}
}  // namespace

StoreWriter::StoreWriter(const std::string& path)
    : db_(path, false),
      insertResult_(migrated(db_).prepare(
          "INSERT INTO results(host, service, state, output, perfdata, time, received, source) "
          "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")),
      // A result older than the current one is history only: spooled results
      // arriving late must not roll the current state back.
      upsertCurrent_(db_.prepare(
          "INSERT INTO current(host, service, state, severity, output, perfdata, last_check, "
          "  last_state_change, source, result_id) "
          "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8, ?9) "
          "ON CONFLICT(host, service) DO UPDATE SET "
          "  last_state_change = CASE WHEN current.state != excluded.state "
          "    THEN excluded.last_check ELSE current.last_state_change END, "
          "  state = excluded.state, severity = excluded.severity, output = excluded.output, "
          "  perfdata = excluded.perfdata, last_check = excluded.last_check, "
          "  source = excluded.source, result_id = excluded.result_id "
          "WHERE excluded.last_check >= current.last_check")),
      refreshHost_(db_.prepare(
          "INSERT OR REPLACE INTO hosts(host, worst_severity, last_check, services) "
          "SELECT host, max(severity), max(last_check), count(*) FROM current WHERE host = ?1 "
          "GROUP BY host")),
      upsertSeries_(db_.prepare(
          "INSERT INTO series(host, service, label, uom) VALUES(?1, ?2, ?3, ?4) "
          "ON CONFLICT(host, service, label) DO UPDATE SET uom = excluded.uom RETURNING id")),
      insertPoint_(db_.prepare("INSERT OR REPLACE INTO points(series_id, time, value) "
                               "VALUES(?1, ?2, ?3)")),
      insertPoints_(db_.prepare(multiRowPointInsert())) {
  points_.reserve(kPointsPerInsert);
  // Writer-side tuning; durability is unchanged (WAL + synchronous=NORMAL,
  // set in migrate()). A 64 MiB page cache keeps a big group commit's dirty
  // pages in memory instead of spilling them into the WAL mid-transaction,
  // and checkpointing every 10,000 WAL pages (~40 MB) instead of SQLite's
  // 1,000 copies the hot index pages back into the database ~10x less often.
  db_.exec("PRAGMA cache_size=-65536");
  db_.exec("PRAGMA wal_autocheckpoint=10000");
}

std::int64_t StoreWriter::seriesId(const std::string& host, const std::string& service,
                                   const std::string& label, const std::string& uom) {
  std::string& key = seriesKey_;
  key.clear();
  key.append(host).push_back('\0');
  key.append(service).push_back('\0');
  key.append(label).push_back('\0');
  key.append(uom);
  if (auto it = seriesCache_.find(key); it != seriesCache_.end()) return it->second;
  upsertSeries_.bindRef(1, host).bindRef(2, service).bindRef(3, label).bindRef(4, uom);
  upsertSeries_.step();
  std::int64_t id = upsertSeries_.int64(0);
  while (upsertSeries_.step()) {
  }
  upsertSeries_.reset();
  if (seriesCache_.size() >= kMaxCachedSeries) seriesCache_.clear();
  seriesCache_.emplace(key, id);
  return id;
}

// Points of one transaction keep their order: a multi-row INSERT OR REPLACE
// applies its rows one after the other, as single-row statements would.
void StoreWriter::addPoint(std::int64_t series, double time, double value) {
  points_.push_back({series, time, value});
  if (points_.size() < static_cast<std::size_t>(kPointsPerInsert)) return;
  int i = 1;
  for (const auto& p : points_) {
    insertPoints_.bind(i, p.series).bind(i + 1, p.time).bind(i + 2, p.value);
    i += 3;
  }
  insertPoints_.step();
  insertPoints_.reset();
  points_.clear();
}

void StoreWriter::flushPoints() {
  for (const auto& p : points_) {
    insertPoint_.bind(1, p.series).bind(2, p.time).bind(3, p.value);
    insertPoint_.step();
    insertPoint_.reset();
  }
  points_.clear();
}

std::int64_t StoreWriter::append(std::span<const core::CheckResult> results, double received) {
  try {
    return appendOrThrow(results, received);
  } catch (...) {
    // The transaction rolled back: statements must be reset before reuse and
    // series ids created inside it are gone again.
    for (Statement* st : {&insertResult_, &upsertCurrent_, &refreshHost_, &upsertSeries_,
                          &insertPoint_, &insertPoints_}) {
      st->reset();
    }
    points_.clear();
    seriesCache_.clear();
    throw;
  }
}

std::int64_t StoreWriter::appendOrThrow(std::span<const core::CheckResult> results,
                                        double received) {
  Transaction tx(db_);
  std::int64_t lastId = 0;
  // Views into `results`, which outlive the transaction; the text is bound
  // without copying (bindRef) for the same reason.
  std::vector<std::string_view> touchedHosts;
  touchedHosts.reserve(results.size());
  for (const auto& r : results) {
    insertResult_.bindRef(1, r.host).bindRef(2, r.service).bind(3, static_cast<int>(r.state));
    insertResult_.bindRef(4, r.output).bindRef(5, r.perfdata).bind(6, r.time).bind(7, received);
    insertResult_.bindRef(8, r.source);
    insertResult_.step();
    insertResult_.reset();
    lastId = db_.lastInsertId();

    upsertCurrent_.bindRef(1, r.host).bindRef(2, r.service).bind(3, static_cast<int>(r.state));
    upsertCurrent_.bind(4, core::severity(r.serviceState())).bindRef(5, r.output);
    upsertCurrent_.bindRef(6, r.perfdata).bind(7, r.time).bindRef(8, r.source).bind(9, lastId);
    upsertCurrent_.step();
    upsertCurrent_.reset();
    touchedHosts.push_back(r.host);

    if (r.perfdata.empty()) continue;
    // Perfdata that does not parse stays in the history as text; it just
    // yields no chart points.
    auto items = core::parsePerfdata(r.perfdata);
    if (!items) continue;
    for (const auto& p : *items) {
      if (!p.value) continue;
      addPoint(seriesId(r.host, r.service, p.label, p.uom), r.time, *p.value);
    }
  }
  flushPoints();
  // In key order, as the std::set this replaced gave them: neighbouring
  // hosts share B-tree pages.
  std::sort(touchedHosts.begin(), touchedHosts.end());
  touchedHosts.erase(std::unique(touchedHosts.begin(), touchedHosts.end()), touchedHosts.end());
  for (const auto host : touchedHosts) {
    refreshHost_.bindRef(1, host);
    refreshHost_.step();
    refreshHost_.reset();
  }
  tx.commit();
  return lastId;
}

std::size_t StoreWriter::pruneHistory(double before, std::size_t maxRows) {
  // History ids grow with arrival, so the oldest rows are the lowest ids:
  // walking from the start by id needs no index on time.
  auto st = db_.prepare(
      "DELETE FROM results WHERE id IN "
      "(SELECT id FROM results ORDER BY id LIMIT ?1) AND received < ?2");
  st.bind(1, static_cast<std::int64_t>(maxRows)).bind(2, before);
  st.step();
  return static_cast<std::size_t>(db_.changes());
}

std::int64_t StoreWriter::prunePoints(double before, std::int64_t fromSeries,
                                      std::size_t maxSeries) {
  auto ids = db_.prepare("SELECT id FROM series WHERE id > ?1 ORDER BY id LIMIT ?2");
  ids.bind(1, fromSeries).bind(2, static_cast<std::int64_t>(maxSeries));
  auto del = db_.prepare("DELETE FROM points WHERE series_id = ?1 AND time < ?2");
  std::int64_t last = 0;
  Transaction tx(db_);
  while (ids.step()) {
    last = ids.int64(0);
    del.bind(1, last).bind(2, before);
    del.step();
    del.reset();
  }
  tx.commit();
  return last;
}

}  // namespace p2pmon::collector
