// Read side of the collector's store: a small pool of read-only SQLite
// connections (WAL lets them read while the writer commits), safe to use
// from the HTTP server's threads and the forwarder.
#pragma once

#include <array>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "collector/sqlite_db.hpp"
#include "collector/store_types.hpp"

namespace p2pmon::collector {

class StoreReader {
 public:
  StoreReader(std::string path, std::size_t poolSize);

  std::vector<HostSummary> hosts();
  std::vector<ServiceStatus> services(const std::string& host);
  std::optional<ServiceStatus> service(const std::string& host, const std::string& service);
  std::vector<StoredResult> history(const HistoryQuery& q);
  std::vector<StoredResult> resultsAfter(std::int64_t id, std::size_t limit);
  std::vector<MetricSeries> metrics(const std::string& host, const std::string& service,
                                    const std::optional<std::string>& label, double since,
                                    std::size_t maxPoints);
  // The same series from the hourly roll-ups (metric_rollup.hpp), merged
  // `stepHours` hours per point: a chart over days reads a few hundred rows.
  std::vector<MetricSeries> hourlyMetrics(const std::string& host, const std::string& service,
                                          const std::optional<std::string>& label, double since,
                                          std::int64_t stepHours, std::size_t maxPoints);
  std::array<std::int64_t, 4> servicesByState();  // current services per state 0..3
  std::int64_t maxResultId();
  std::int64_t hostCount();
  std::optional<std::int64_t> cursor(const std::string& name);

 private:
  class Lease;
  Lease acquire();
  void release(std::unique_ptr<Database> db);

  std::string path_;
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<Database>> idle_;
  std::size_t created_ = 0;
  std::size_t poolSize_;
};

// Stores the forwarder's position (through its own write connection).
void saveCursor(Database& db, const std::string& name, std::int64_t lastId);

}  // namespace p2pmon::collector
