// Rows the collector's store hands out: current service status, host
// summaries, history entries and metric series (perfdata over time).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/check_result.hpp"

namespace p2pmon::collector {

struct StoredResult {
  std::int64_t id = 0;
  double received = 0;  // when the collector committed it
  core::CheckResult result;
};

struct HostSummary {
  std::string host;
  core::State worst = core::State::Ok;  // worst current state over its services
  double lastCheck = 0;                 // newest result time
  std::int64_t services = 0;
};

struct ServiceStatus {
  core::CheckResult last;  // the current state's result
  double lastStateChange = 0;
};

struct HistoryQuery {
  std::optional<std::string> host;
  std::optional<std::string> service;
  std::optional<double> since;  // result time >= since
  std::size_t limit = 100;      // newest first
};

struct MetricSeries {
  std::string host;
  std::string service;
  std::string label;
  std::string uom;
  std::vector<std::pair<double, double>> points;  // (time, value), oldest first
};

}  // namespace p2pmon::collector
