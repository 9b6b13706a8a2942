// Hourly roll-up cells of the perfdata series: per series and hour of
// check time, the count, sum, minimum and maximum of its values, and how
// cells merge into a chart's points. Pure; the table side is metric_rollup.hpp.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <utility>
#include <vector>

namespace p2pmon::collector {

inline constexpr std::int64_t kRollupSeconds = 3600;

struct RollupCell {
  std::int64_t count = 0;
  double sum = 0;
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();

  void add(double v);
  void merge(const RollupCell& o);
  double mean() const { return count > 0 ? sum / static_cast<double>(count) : 0; }
};

// The hour a check time falls in (floor(time / 3600), negative times too).
std::int64_t rollupHour(double time);

// Pure: the values of a chunk of history, gathered per (series, hour).
class RollupAccumulator {
 public:
  void add(std::int64_t seriesId, double time, double value);
  const std::map<std::pair<std::int64_t, std::int64_t>, RollupCell>& cells() const {
    return cells_;
  }
  void clear() { cells_.clear(); }

 private:
  std::map<std::pair<std::int64_t, std::int64_t>, RollupCell> cells_;
};

// Pure: one series' hourly cells (oldest first) merged `stepHours` at a
// time into points (the bucket's start time, the mean of its values); the
// newest `maxPoints` are kept.
std::vector<std::pair<double, double>> consolidate(
    const std::vector<std::pair<std::int64_t, RollupCell>>& hours, std::int64_t stepHours,
    std::size_t maxPoints);

}  // namespace p2pmon::collector
