#include "collector/api_render.hpp"

#include <cmath>

#include "core/perfdata.hpp"

namespace p2pmon::collector {

using nlohmann::json;

namespace {
json stateFields(core::State s) {
  return json{{"state", static_cast<int>(s)}, {"state_name", core::stateName(s)}};
}
}  // namespace

json renderHosts(const std::vector<HostSummary>& hosts, double now) {
  json out = json::array();
  for (const auto& h : hosts) {
    out.push_back(json{{"host", h.host},
                       {"worst_state", static_cast<int>(h.worst)},
                       {"worst_state_name", core::stateName(h.worst)},
                       {"last_check", h.lastCheck},
                       {"age", std::max(0.0, now - h.lastCheck)},
                       {"services", h.services}});
  }
  return json{{"hosts", std::move(out)}};
}

namespace {
// A string as json::dump(-1, ' ', false, replace) writes it. Plain printable
// ASCII is copied as is; anything else (escapes, UTF-8, invalid bytes) goes
// through nlohmann so the bytes stay exactly the same.
void appendJsonString(std::string& out, const std::string& s) {
  bool plain = true;
  for (unsigned char c : s) {
    if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
      plain = false;
      break;
    }
  }
  if (!plain) {
    out += json(s).dump(-1, ' ', false, json::error_handler_t::replace);
    return;
  }
  out += '"';
  out += s;
  out += '"';
}

// A double as nlohmann's serializer writes it (same to_chars, "null" when
// not finite).
void appendJsonNumber(std::string& out, double v) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  std::array<char, 64> buf{};
  char* end = nlohmann::detail::to_chars(buf.data(), buf.data() + buf.size(), v);
  out.append(buf.data(), end);
}

void appendJsonNumber(std::string& out, std::int64_t v) { out += std::to_string(v); }
}  // namespace

std::string renderHostsText(const std::vector<HostSummary>& hosts, double now) {
  std::string out;
  out.reserve(32 + hosts.size() * 160);
  // Keys in json's (sorted) order.
  out += "{\"hosts\":[";
  bool first = true;
  for (const auto& h : hosts) {
    if (!first) out += ',';
    first = false;
    out += "{\"age\":";
    appendJsonNumber(out, std::max(0.0, now - h.lastCheck));
    out += ",\"host\":";
    appendJsonString(out, h.host);
    out += ",\"last_check\":";
    appendJsonNumber(out, h.lastCheck);
    out += ",\"services\":";
    appendJsonNumber(out, h.services);
    out += ",\"worst_state\":";
    appendJsonNumber(out, static_cast<std::int64_t>(static_cast<int>(h.worst)));
    out += ",\"worst_state_name\":";
    appendJsonString(out, std::string(core::stateName(h.worst)));
    out += '}';
  }
  out += "]}";
  return out;
}

json renderService(const ServiceStatus& s, double now) {
  json j = stateFields(s.last.state);
  j["host"] = s.last.host;
  j["service"] = s.last.service;
  j["output"] = s.last.output;
  j["perfdata"] = s.last.perfdata;
  j["last_check"] = s.last.time;
  j["last_state_change"] = s.lastStateChange;
  j["age"] = std::max(0.0, now - s.last.time);
  j["source"] = s.last.source;
  return j;
}

json renderServices(const std::string& host, const std::vector<ServiceStatus>& services,
                    double now) {
  json list = json::array();
  for (const auto& s : services) list.push_back(renderService(s, now));
  return json{{"host", host}, {"services", std::move(list)}};
}

json renderHistory(const std::vector<StoredResult>& rows) {
  json list = json::array();
  for (const auto& r : rows) {
    json j = core::toJson(r.result);
    j["id"] = r.id;
    j["received"] = r.received;
    list.push_back(std::move(j));
  }
  return json{{"results", std::move(list)}};
}

json renderMetrics(const std::vector<MetricSeries>& series) {
  json list = json::array();
  for (const auto& m : series) {
    json points = json::array();
    for (const auto& [t, v] : m.points) points.push_back(json::array({t, v}));
    list.push_back(json{{"host", m.host},
                        {"service", m.service},
                        {"label", m.label},
                        {"uom", m.uom},
                        {"points", std::move(points)}});
  }
  return json{{"series", std::move(list)}};
}

json renderStatus(const Stats& stats, const StoreFacts& facts, const std::string& version) {
  json accepted = json::object();
  std::uint64_t acceptedTotal = 0;
  for (int t = 0; t < kTransports; ++t) {
    auto n = stats.acceptedCount(static_cast<Transport>(t));
    accepted[transportName(static_cast<Transport>(t))] = n;
    acceptedTotal += n;
  }
  json rejected = json::object();
  for (const auto& [key, n] : stats.rejectedCounts()) rejected[key.first][key.second] = n;
  json byState = json::object();
  for (int s = 0; s < 4; ++s) {
    byState[std::string(core::stateName(static_cast<core::State>(s)))] =
        facts.servicesByState[static_cast<std::size_t>(s)];
  }
  return json{{"version", version},
              {"uptime_seconds", stats.uptimeSeconds()},
              {"results_accepted", accepted},
              {"results_accepted_total", acceptedTotal},
              {"results_rejected", rejected},
              {"results_rejected_total", stats.rejectedTotal()},
              {"queued_results", stats.queuedResults.load()},
              {"commits", stats.commits.load()},
              {"commit_failures", stats.commitFailures.load()},
              {"database_bytes", facts.databaseBytes},
              {"hosts", facts.hosts},
              {"services_by_state", byState},
              {"nsca_connections_total", stats.nscaConnections.load()},
              {"nsca_connections_active", stats.nscaActiveConnections.load()},
              {"forwarded_total", stats.forwarded.load()},
              {"forward_lag", stats.forwardLag.load()},
              {"forward_waits", stats.forwardWaits.load()},
              {"pruned_results_total", stats.prunedResults.load()},
              {"rollup_lag", stats.rollupLag.load()},
              {"results_duplicate_total", stats.duplicates.load()}};
}

namespace {
// Label values escape backslash, quote and newline (Prometheus text format).
std::string promLabel(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

void metric(std::string& out, const char* name, const char* type, const char* help) {
  out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

std::string num(double v) { return core::formatNumber(v); }
}  // namespace

std::string renderPrometheus(const Stats& stats, const StoreFacts& facts,
                             const std::string& version) {
  std::string out;
  metric(out, "p2pmon_collector_info", "gauge", "Build information.");
  out += "p2pmon_collector_info{version=\"" + promLabel(version) + "\"} 1\n";
  metric(out, "p2pmon_collector_uptime_seconds", "gauge", "Seconds since the collector started.");
  out += "p2pmon_collector_uptime_seconds " + num(stats.uptimeSeconds()) + "\n";
  metric(out, "p2pmon_collector_results_accepted_total", "counter",
         "Results committed to the store, by transport.");
  for (int t = 0; t < kTransports; ++t) {
    out += std::string("p2pmon_collector_results_accepted_total{transport=\"") +
           transportName(static_cast<Transport>(t)) + "\"} " +
           std::to_string(stats.acceptedCount(static_cast<Transport>(t))) + "\n";
  }
  metric(out, "p2pmon_collector_results_rejected_total", "counter",
         "Results or packets refused, by transport and reason.");
  for (const auto& [key, n] : stats.rejectedCounts()) {
    out += "p2pmon_collector_results_rejected_total{transport=\"" + promLabel(key.first) +
           "\",reason=\"" + promLabel(key.second) + "\"} " + std::to_string(n) + "\n";
  }
  metric(out, "p2pmon_collector_queued_results", "gauge", "Results waiting for commit.");
  out += "p2pmon_collector_queued_results " + std::to_string(stats.queuedResults.load()) + "\n";
  metric(out, "p2pmon_collector_commits_total", "counter", "Store transactions committed.");
  out += "p2pmon_collector_commits_total " + std::to_string(stats.commits.load()) + "\n";
  metric(out, "p2pmon_collector_commit_failures_total", "counter", "Store commits that failed.");
  out += "p2pmon_collector_commit_failures_total " + std::to_string(stats.commitFailures.load()) +
         "\n";
  metric(out, "p2pmon_collector_database_bytes", "gauge", "Size of the SQLite files (db + WAL).");
  out += "p2pmon_collector_database_bytes " + std::to_string(facts.databaseBytes) + "\n";
  metric(out, "p2pmon_collector_hosts", "gauge", "Hosts with a current state.");
  out += "p2pmon_collector_hosts " + std::to_string(facts.hosts) + "\n";
  metric(out, "p2pmon_collector_services", "gauge", "Services by current state.");
  for (int s = 0; s < 4; ++s) {
    std::string name(core::stateName(static_cast<core::State>(s)));
    for (auto& c : name) c = static_cast<char>(std::tolower(c));
    out += "p2pmon_collector_services{state=\"" + name + "\"} " +
           std::to_string(facts.servicesByState[static_cast<std::size_t>(s)]) + "\n";
  }
  metric(out, "p2pmon_collector_nsca_connections_total", "counter", "NSCA connections accepted.");
  out += "p2pmon_collector_nsca_connections_total " +
         std::to_string(stats.nscaConnections.load()) + "\n";
  metric(out, "p2pmon_collector_nsca_connections_active", "gauge", "Open NSCA connections.");
  out += "p2pmon_collector_nsca_connections_active " +
         std::to_string(stats.nscaActiveConnections.load()) + "\n";
  metric(out, "p2pmon_collector_forwarded_total", "counter",
         "Results written to the Nagios command file.");
  out += "p2pmon_collector_forwarded_total " + std::to_string(stats.forwarded.load()) + "\n";
  metric(out, "p2pmon_collector_forward_lag", "gauge",
         "Results committed but not yet written to the Nagios command file.");
  out += "p2pmon_collector_forward_lag " + std::to_string(stats.forwardLag.load()) + "\n";
  metric(out, "p2pmon_collector_pruned_results_total", "counter",
         "History rows removed by retention.");
  out += "p2pmon_collector_pruned_results_total " + std::to_string(stats.prunedResults.load()) +
         "\n";
  metric(out, "p2pmon_collector_rollup_lag", "gauge",
         "History rows not yet rolled up into the hourly metric roll-ups.");
  out += "p2pmon_collector_rollup_lag " + std::to_string(stats.rollupLag.load()) + "\n";
  metric(out, "p2pmon_collector_results_duplicate_total", "counter",
         "Results accepted but not stored again, as an identical one was stored already.");
  out += "p2pmon_collector_results_duplicate_total " + std::to_string(stats.duplicates.load()) +
         "\n";
  return out;
}

}  // namespace p2pmon::collector
