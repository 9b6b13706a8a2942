// Hourly roll-ups of the perfdata series (table `rollups`, schema 5): per
// series and hour of check time, the count, sum, minimum and maximum of its
// values. A chart of days then reads a few hundred compact rows of one
// series instead of one history row per result, each on its own page of a
// multi-gigabyte file (RRD-style consolidation; docs/api.md, `step`).
// The writer thread rolls the history up behind a cursor (`rollup` in the
// `cursors` table), in chunks: new results within a second of their commit,
// and a history that predates schema 5 once, in the background.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "collector/rollup_cells.hpp"
#include "collector/sqlite_db.hpp"
#include "collector/store_types.hpp"

namespace p2pmon::collector {

inline constexpr const char* kRollupCursor = "rollup";

// The writer's side, on the store writer's connection (one thread). Rows
// are read behind an in-memory cursor and gathered in memory; flush()
// writes the cells and the cursor in one transaction, so after a crash the
// rows since the last flush are read again and counted exactly once. Cells
// gather many results each before they are written (one upsert per series
// and hour instead of one per value), which keeps the cost off ingest.
class RollupWriter {
 public:
  explicit RollupWriter(Database& db);

  // Reads up to `maxRows` history rows after the cursor into memory;
  // returns the rows read (0: none wait).
  std::size_t read(std::size_t maxRows);
  // Cells gathered and not yet written.
  std::size_t pending() const { return acc_.cells().size(); }
  // Writes the gathered cells and moves the stored cursor, in one
  // transaction. Throws std::runtime_error when the store fails (rolled
  // back; the rows are then read again).
  void flush();
  // History rows after the in-memory cursor.
  std::int64_t lag();
  // Deletes the cells of hours that ended before `before` (retention).
  std::size_t prune(double before);

 private:
  std::optional<std::int64_t> seriesOf(std::int64_t serviceId, std::string_view label);
  std::int64_t cursor();  // the in-memory cursor, loaded on first use

  Database& db_;
  Statement readRows_, findSeries_, upsert_, saveCursor_, maxId_;
  std::optional<std::int64_t> cursor_;  // read from `cursors` on first use
  std::int64_t stored_ = 0;             // the cursor as stored
  RollupAccumulator acc_;
  // (service id, label) -> series id; bounded by the series table's size,
  // cleared when it grows past kMaxCachedSeries.
  std::unordered_map<std::string, std::int64_t> seriesIds_;
  std::string key_;
};

// The hourly series of `host`/`service` (one label, or all), from `since`
// on, merged `stepHours` at a time; the shape of StoreReader::metrics.
std::vector<MetricSeries> readRollups(Database& db, const std::string& host,
                                      const std::string& service,
                                      const std::optional<std::string>& label, double since,
                                      std::int64_t stepHours, std::size_t maxPoints);

}  // namespace p2pmon::collector
