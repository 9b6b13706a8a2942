// JSON and Prometheus renderings of what the store and the stats hold, for
// the HTTP API (docs/api.md documents every field). Pure.
#pragma once

#include <array>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "collector/stats.hpp"
#include "collector/store_types.hpp"

namespace p2pmon::collector {

nlohmann::json renderHosts(const std::vector<HostSummary>& hosts, double now);
// renderHosts(...).dump() byte for byte, written straight into the string
// without building the JSON tree (GET /api/v1/hosts with 10,000 hosts).
std::string renderHostsText(const std::vector<HostSummary>& hosts, double now);
nlohmann::json renderService(const ServiceStatus& s, double now);
nlohmann::json renderServices(const std::string& host, const std::vector<ServiceStatus>& services,
                              double now);
nlohmann::json renderHistory(const std::vector<StoredResult>& rows);
nlohmann::json renderMetrics(const std::vector<MetricSeries>& series);

struct StoreFacts {
  std::int64_t databaseBytes = 0;
  std::array<std::int64_t, 4> servicesByState{};
  std::int64_t hosts = 0;
};

nlohmann::json renderStatus(const Stats& stats, const StoreFacts& facts, const std::string& version);
std::string renderPrometheus(const Stats& stats, const StoreFacts& facts, const std::string& version);

}  // namespace p2pmon::collector
