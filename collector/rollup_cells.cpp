#include "collector/rollup_cells.hpp"

#include <algorithm>
#include <cmath>

namespace p2pmon::collector {

void RollupCell::add(double v) {
  ++count;
  sum += v;
  min = std::min(min, v);
  max = std::max(max, v);
}

void RollupCell::merge(const RollupCell& o) {
  count += o.count;
  sum += o.sum;
  min = std::min(min, o.min);
  max = std::max(max, o.max);
}

std::int64_t rollupHour(double time) {
  return static_cast<std::int64_t>(std::floor(time / static_cast<double>(kRollupSeconds)));
}

void RollupAccumulator::add(std::int64_t seriesId, double time, double value) {
  if (!std::isfinite(value) || !std::isfinite(time)) return;
  cells_[{seriesId, rollupHour(time)}].add(value);
}

std::vector<std::pair<double, double>> consolidate(
    const std::vector<std::pair<std::int64_t, RollupCell>>& hours, std::int64_t stepHours,
    std::size_t maxPoints) {
  std::vector<std::pair<double, double>> points;
  if (maxPoints == 0) return points;
  stepHours = std::max<std::int64_t>(1, stepHours);
  // Buckets on a grid of whole steps since the epoch, so a chart refreshed
  // an hour later shows the same buckets.
  auto bucketOf = [&](std::int64_t hour) {
    std::int64_t b = hour / stepHours;
    if (hour % stepHours < 0) --b;  // floor for hours before the epoch
    return b;
  };
  RollupCell cell;
  std::int64_t bucket = 0;
  bool open = false;
  auto flush = [&] {
    if (open && cell.count > 0) {
      points.emplace_back(static_cast<double>(bucket * stepHours * kRollupSeconds), cell.mean());
    }
  };
  for (const auto& [hour, c] : hours) {
    const std::int64_t b = bucketOf(hour);
    if (!open || b != bucket) {
      flush();
      cell = RollupCell{};
      bucket = b;
      open = true;
    }
    cell.merge(c);
  }
  flush();
  if (points.size() > maxPoints) {
    points.erase(points.begin(), points.end() - static_cast<std::ptrdiff_t>(maxPoints));
  }
  return points;
}

}  // namespace p2pmon::collector
