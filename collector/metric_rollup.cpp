#include "collector/metric_rollup.hpp"

#include "core/perfdata.hpp"

namespace p2pmon::collector {

namespace {
constexpr std::size_t kMaxCachedSeries = 200'000;
}  // namespace

RollupWriter::RollupWriter(Database& db)
    : db_(db),
      readRows_(db.prepare(
          "SELECT id, service_id, time, perfdata FROM results WHERE id > ?1 ORDER BY id LIMIT ?2")),
      findSeries_(db.prepare(
          "SELECT s.id FROM current AS c CROSS JOIN series AS s "
          "ON s.host = c.host AND s.service = c.service AND s.label = ?2 WHERE c.id = ?1")),
      upsert_(db.prepare(
          "INSERT INTO rollups(series_id, hour, count, sum, min, max) VALUES(?1, ?2, ?3, ?4, ?5, ?6) "
          "ON CONFLICT(series_id, hour) DO UPDATE SET count = count + excluded.count, "
          "sum = sum + excluded.sum, min = min(min, excluded.min), max = max(max, excluded.max)")),
      saveCursor_(db.prepare(
          "INSERT INTO cursors(name, last_id) VALUES('rollup', ?1) "
          "ON CONFLICT(name) DO UPDATE SET last_id = excluded.last_id")),
      maxId_(db.prepare("SELECT coalesce(max(id), 0) FROM results")) {}

std::optional<std::int64_t> RollupWriter::seriesOf(std::int64_t serviceId,
                                                   std::string_view label) {
  key_.assign(std::to_string(serviceId)).push_back('\0');
  key_.append(label);
  if (auto it = seriesIds_.find(key_); it != seriesIds_.end()) return it->second;
  findSeries_.bind(1, serviceId).bindRef(2, label);
  std::optional<std::int64_t> id;
  if (findSeries_.step()) id = findSeries_.int64(0);
  findSeries_.reset();
  // Every label of a stored result was registered with it; one that is not
  // (a result whose perfdata failed the writer's scan) is skipped, not cached.
  if (id) {
    if (seriesIds_.size() >= kMaxCachedSeries) seriesIds_.clear();
    seriesIds_.emplace(key_, *id);
  }
  return id;
}

std::int64_t RollupWriter::cursor() {
  if (!cursor_) {
    auto st = db_.prepare("SELECT last_id FROM cursors WHERE name = 'rollup'");
    stored_ = st.step() ? st.int64(0) : 0;
    cursor_ = stored_;
  }
  return *cursor_;
}

std::size_t RollupWriter::read(std::size_t maxRows) {
  cursor();
  readRows_.bind(1, *cursor_).bind(2, static_cast<std::int64_t>(maxRows));
  std::size_t rows = 0;
  std::vector<core::PerfItemView> items;
  std::string label;
  try {
    while (readRows_.step()) {
      ++rows;
      *cursor_ = readRows_.int64(0);
      const std::int64_t serviceId = readRows_.int64(1);
      const double time = readRows_.real(2);
      items.clear();
      core::PerfdataScanner scan(readRows_.textView(3));
      for (core::PerfItemView item; scan.next(item);) items.push_back(item);
      if (scan.failed()) continue;  // stored as text only, as the metrics reader does
      for (const auto& item : items) {
        if (!item.value) continue;
        std::string_view name = item.label;
        if (item.labelEscaped) name = label = item.labelText();
        if (auto series = seriesOf(serviceId, name)) acc_.add(*series, time, *item.value);
      }
    }
  } catch (...) {
    readRows_.reset();
    findSeries_.reset();
    throw;
  }
  readRows_.reset();
  return rows;
}

void RollupWriter::flush() {
  if (!cursor_ || *cursor_ == stored_) return;
  try {
    Transaction tx(db_);
    for (const auto& [key, cell] : acc_.cells()) {
      upsert_.bind(1, key.first).bind(2, key.second).bind(3, cell.count).bind(4, cell.sum);
      upsert_.bind(5, cell.min).bind(6, cell.max);
      upsert_.step();
      upsert_.reset();
    }
    saveCursor_.bind(1, *cursor_);
    saveCursor_.step();
    saveCursor_.reset();
    tx.commit();
    stored_ = *cursor_;
  } catch (...) {
    // Rolled back: read the same rows again (series ids may be gone too).
    upsert_.reset();
    saveCursor_.reset();
    acc_.clear();
    seriesIds_.clear();
    cursor_.reset();
    throw;
  }
  acc_.clear();
}

std::int64_t RollupWriter::lag() {
  std::int64_t maxId = 0;
  if (maxId_.step()) maxId = maxId_.int64(0);
  maxId_.reset();
  return std::max<std::int64_t>(0, maxId - cursor());
}

std::size_t RollupWriter::prune(double before) {
  // Per series through the primary key: no index on the hour alone is needed.
  std::vector<std::int64_t> ids;
  auto series = db_.prepare("SELECT id FROM series");
  while (series.step()) ids.push_back(series.int64(0));
  auto del = db_.prepare("DELETE FROM rollups WHERE series_id = ?1 AND hour < ?2");
  // Cells of hours that ended before `before`.
  const std::int64_t hour = rollupHour(before);
  std::size_t removed = 0;
  Transaction tx(db_);
  for (std::int64_t id : ids) {
    del.bind(1, id).bind(2, hour);
    del.step();
    removed += static_cast<std::size_t>(db_.changes());
    del.reset();
  }
  tx.commit();
  return removed;
}

std::vector<MetricSeries> readRollups(Database& db, const std::string& host,
                                      const std::string& service,
                                      const std::optional<std::string>& label, double since,
                                      std::int64_t stepHours, std::size_t maxPoints) {
  auto series = db.prepare(
      std::string("SELECT id, label, uom FROM series WHERE host = ?1 AND service = ?2") +
      (label ? " AND label = ?3" : "") + " ORDER BY label");
  series.bind(1, host).bind(2, service);
  if (label) series.bind(3, *label);
  std::vector<std::int64_t> ids;
  std::vector<MetricSeries> out;
  while (series.step()) {
    ids.push_back(series.int64(0));
    out.push_back({host, service, series.text(1), series.text(2), {}});
  }
  // From the start of the bucket `since` falls in, so the first point is whole.
  const std::int64_t step = std::max<std::int64_t>(1, stepHours);
  std::int64_t first = rollupHour(since);
  first -= ((first % step) + step) % step;
  auto cells = db.prepare(
      "SELECT hour, count, sum, min, max FROM rollups WHERE series_id = ?1 AND hour >= ?2 "
      "ORDER BY hour");
  std::vector<std::pair<std::int64_t, RollupCell>> hours;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    hours.clear();
    cells.bind(1, ids[i]).bind(2, first);
    while (cells.step()) {
      hours.push_back({cells.int64(0),
                       {cells.int64(1), cells.real(2), cells.real(3), cells.real(4)}});
    }
    cells.reset();
    out[i].points = consolidate(hours, step, maxPoints);
  }
  return out;
}

}  // namespace p2pmon::collector
