// The store's single writer: appends batches of accepted results in one
// transaction each (history, current state, host summary, metric points) and
// prunes old history. Used by one thread only (the ingest Writer).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "collector/sqlite_db.hpp"
#include "core/check_result.hpp"

namespace p2pmon::collector {

class StoreWriter {
 public:
  explicit StoreWriter(const std::string& path);  // creates and migrates

  // Commits every result with `received` as its arrival time; returns the
  // id of the last history row. Throws std::runtime_error when the commit
  // fails (nothing of the batch is then stored).
  std::int64_t append(std::span<const core::CheckResult> results, double received);

  // Deletes up to `maxRows` of the oldest history rows received before
  // `before`; returns how many went. Call again until it returns 0.
  std::size_t pruneHistory(double before, std::size_t maxRows);
  // Deletes metric points older than `before`, `maxSeries` series at a time
  // starting after series id `fromSeries`; returns the last series id seen
  // (0 when done).
  std::int64_t prunePoints(double before, std::int64_t fromSeries, std::size_t maxSeries);

 private:
  std::int64_t appendOrThrow(std::span<const core::CheckResult> results, double received);
  std::int64_t seriesId(const std::string& host, const std::string& service,
                        const std::string& label, const std::string& uom);
  void addPoint(std::int64_t series, double time, double value);
  void flushPoints();

  Database db_;
  Statement insertResult_;
  Statement upsertCurrent_;
  Statement refreshHost_;
  Statement upsertSeries_;
  Statement insertPoint_;
  Statement insertPoints_;  // kPointsPerInsert rows at once
  struct Point {
    std::int64_t series;
    double time;
    double value;
  };
  std::vector<Point> points_;  // waiting for insertPoints_
  std::unordered_map<std::string, std::int64_t> seriesCache_;
  std::string seriesKey_;  // lookup key, reused so that a cache hit allocates nothing
};

}  // namespace p2pmon::collector
