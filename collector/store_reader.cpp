#include "collector/store_reader.hpp"

#include "collector/metric_rollup.hpp"
#include "collector/store_rows.hpp"

#include <algorithm>
#include <limits>

#include "core/perfdata.hpp"

namespace p2pmon::collector {

class StoreReader::Lease {
 public:
  Lease(StoreReader& owner, std::unique_ptr<Database> db) : owner_(owner), db_(std::move(db)) {}
  ~Lease() { owner_.release(std::move(db_)); }
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  Database& operator*() { return *db_; }
  Database* operator->() { return db_.get(); }

 private:
  StoreReader& owner_;
  std::unique_ptr<Database> db_;
};

StoreReader::StoreReader(std::string path, std::size_t poolSize)
    : path_(std::move(path)), poolSize_(poolSize == 0 ? 1 : poolSize) {}

StoreReader::Lease StoreReader::acquire() {
  std::unique_lock lock(mutex_);
  available_.wait(lock, [&] { return !idle_.empty() || created_ < poolSize_; });
  if (!idle_.empty()) {
    auto db = std::move(idle_.back());
    idle_.pop_back();
    return Lease(*this, std::move(db));
  }
  ++created_;
  lock.unlock();
  try {
    return Lease(*this, std::make_unique<Database>(path_, true));
  } catch (...) {
    std::lock_guard again(mutex_);
    --created_;
    available_.notify_one();
    throw;
  }
}

void StoreReader::release(std::unique_ptr<Database> db) {
  std::lock_guard lock(mutex_);
  if (db) idle_.push_back(std::move(db));
  available_.notify_one();
}

namespace {
// History rows name their service by its current row's id (schema 3); the
// host and service text come from that row, one lookup by integer key each.
constexpr const char* kResultColumns =
    "r.id, c.host, c.service, r.state, r.output, r.perfdata, r.time, r.received, r.source";

StoredResult readResult(const Statement& st) {
  StoredResult r;
  r.id = st.int64(0);
  r.result.host = st.text(1);
  r.result.service = st.text(2);
  r.result.state = static_cast<core::State>(st.int64(3));
  r.result.output = st.text(4);
  r.result.perfdata = st.text(5);
  r.result.time = st.real(6);
  r.received = st.real(7);
  r.result.source = st.text(8);
  return r;
}

}  // namespace

std::vector<HostSummary> StoreReader::hosts() {
  auto db = acquire();
  auto st = db->prepare("SELECT host, worst_severity, last_check, services FROM hosts ORDER BY host");
  std::vector<HostSummary> out;
  while (st.step()) {
    out.push_back({st.text(0), core::stateOfSeverity(static_cast<int>(st.int64(1))), st.real(2),
                   st.int64(3)});
  }
  return out;
}

std::vector<ServiceStatus> StoreReader::services(const std::string& host) {
  auto db = acquire();
  auto st = db->prepare(std::string("SELECT ") + kServiceColumns +
                        " FROM current WHERE host = ?1 ORDER BY service");
  st.bind(1, host);
  std::vector<ServiceStatus> out;
  while (st.step()) out.push_back(readService(st));
  return out;
}

std::optional<ServiceStatus> StoreReader::service(const std::string& host,
                                                  const std::string& service) {
  auto db = acquire();
  auto st = db->prepare(std::string("SELECT ") + kServiceColumns +
                        " FROM current WHERE host = ?1 AND service = ?2");
  st.bind(1, host).bind(2, service);
  if (!st.step()) return std::nullopt;
  return readService(st);
}

std::vector<StoredResult> StoreReader::history(const HistoryQuery& q) {
  // With a host and service: their one current row, then the (service_id,
  // time) index gives the time order. Otherwise newest arrivals first, which
  // is id order: with no filter by walking the history backwards (CROSS JOIN
  // keeps the left table the outer loop), with one of them as SQLite plans.
  const char* from = " FROM current AS c JOIN results AS r";
  if (q.host && q.service) from = " FROM current AS c CROSS JOIN results AS r";
  if (!q.host && !q.service) from = " FROM results AS r CROSS JOIN current AS c";
  std::string sql =
      std::string("SELECT ") + kResultColumns + from + " ON r.service_id = c.id WHERE 1";
  if (q.host) sql += " AND c.host = ?1";
  if (q.service) sql += " AND c.service = ?2";
  if (q.since) sql += " AND r.time >= ?3";
  sql += (q.host && q.service) ? " ORDER BY r.time DESC LIMIT ?4" : " ORDER BY r.id DESC LIMIT ?4";
  auto db = acquire();
  auto st = db->prepare(sql);
  if (q.host) st.bind(1, *q.host);
  if (q.service) st.bind(2, *q.service);
  if (q.since) st.bind(3, *q.since);
  st.bind(4, static_cast<std::int64_t>(q.limit));
  std::vector<StoredResult> out;
  while (st.step()) out.push_back(readResult(st));
  return out;
}

std::vector<StoredResult> StoreReader::resultsAfter(std::int64_t id, std::size_t limit) {
  auto db = acquire();
  auto st = db->prepare(std::string("SELECT ") + kResultColumns +
                        " FROM results AS r CROSS JOIN current AS c ON c.id = r.service_id"
                        " WHERE r.id > ?1 ORDER BY r.id LIMIT ?2");
  st.bind(1, id).bind(2, static_cast<std::int64_t>(limit));
  std::vector<StoredResult> out;
  while (st.step()) out.push_back(readResult(st));
  return out;
}

// Points come from the history's perfdata, newest first through the
// (service_id, time) index, until every series has `maxPoints` or the
// history ends. As when they were stored per (series, time): one point per
// time, the latest written wins (rows by id within one time, and a label's
// last item within one result).
std::vector<MetricSeries> StoreReader::hourlyMetrics(const std::string& host,
                                                     const std::string& service,
                                                     const std::optional<std::string>& label,
                                                     double since, std::int64_t stepHours,
                                                     std::size_t maxPoints) {
  auto db = acquire();
  return readRollups(*db, host, service, label, since, stepHours, maxPoints);
}

std::vector<MetricSeries> StoreReader::metrics(const std::string& host, const std::string& service,
                                               const std::optional<std::string>& label,
                                               double since, std::size_t maxPoints) {
  auto db = acquire();
  auto series =
      db->prepare(std::string("SELECT label, uom FROM series WHERE host = ?1 AND service = ?2") +
                  (label ? " AND label = ?3" : "") + " ORDER BY label");
  series.bind(1, host).bind(2, service);
  if (label) series.bind(3, *label);
  std::vector<MetricSeries> out;
  while (series.step()) out.push_back({host, service, series.text(0), series.text(1), {}});
  if (out.empty() || maxPoints == 0) return out;

  auto rows = db->prepare(
      "SELECT r.time, r.perfdata FROM current AS c CROSS JOIN results AS r "
      "ON r.service_id = c.id WHERE c.host = ?1 AND c.service = ?2 AND r.time >= ?3 "
      "ORDER BY r.time DESC, r.id DESC");
  rows.bind(1, host).bind(2, service).bind(3, since);
  std::vector<double> lastTime(out.size(), std::numeric_limits<double>::quiet_NaN());
  std::vector<core::PerfItemView> items;
  std::string unescaped;
  std::size_t full = 0;
  while (full < out.size() && rows.step()) {
    const double time = rows.real(0);
    items.clear();
    core::PerfdataScanner scan(rows.textView(1));
    for (core::PerfItemView item; scan.next(item);) items.push_back(item);
    if (scan.failed()) continue;  // kept as text, no points
    for (auto it = items.rbegin(); it != items.rend(); ++it) {
      if (!it->value) continue;
      std::string_view name = it->label;
      if (it->labelEscaped) name = unescaped = it->labelText();
      std::size_t k = 0;
      while (k < out.size() && out[k].label != name) ++k;
      if (k == out.size() || lastTime[k] == time) continue;
      auto& points = out[k].points;
      if (points.size() >= maxPoints) continue;
      lastTime[k] = time;
      points.emplace_back(time, *it->value);
      if (points.size() == maxPoints) ++full;
    }
  }
  for (auto& m : out) std::reverse(m.points.begin(), m.points.end());
  return out;
}

std::array<std::int64_t, 4> StoreReader::servicesByState() {
  auto db = acquire();
  auto st = db->prepare("SELECT state, count(*) FROM current WHERE service != '' GROUP BY state");
  std::array<std::int64_t, 4> out{};
  while (st.step()) {
    auto s = st.int64(0);
    if (s >= 0 && s < 4) out[static_cast<std::size_t>(s)] = st.int64(1);
  }
  return out;
}

std::int64_t StoreReader::maxResultId() {
  auto db = acquire();
  auto st = db->prepare("SELECT coalesce(max(id), 0) FROM results");
  st.step();
  return st.int64(0);
}

std::int64_t StoreReader::hostCount() {
  auto db = acquire();
  auto st = db->prepare("SELECT count(*) FROM hosts");
  st.step();
  return st.int64(0);
}

std::optional<std::int64_t> StoreReader::cursor(const std::string& name) {
  auto db = acquire();
  auto st = db->prepare("SELECT last_id FROM cursors WHERE name = ?1");
  st.bind(1, name);
  if (!st.step()) return std::nullopt;
  return st.int64(0);
}

void saveCursor(Database& db, const std::string& name, std::int64_t lastId) {
  auto st = db.prepare("INSERT OR REPLACE INTO cursors(name, last_id) VALUES(?1, ?2)");
  st.bind(1, name).bind(2, lastId);
  st.step();
}

}  // namespace p2pmon::collector
