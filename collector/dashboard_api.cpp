#include "collector/dashboard_api.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <iterator>
#include <limits>
#include <map>
#include <unordered_map>

#include <httplib.h>

#include "collector/crawl_api.hpp"
#include "collector/crawl_results.hpp"
#include "core/clock.hpp"
#include "core/perfdata.hpp"
#include "core/state.hpp"

namespace p2pmon::collector {

using Json = nlohmann::ordered_json;

namespace {
constexpr const char* kJson = "application/json";
constexpr std::size_t kDefaultProblems = 50, kMaxProblems = 1000;
constexpr std::size_t kDefaultServices = 500, kMaxServices = 5000;
constexpr std::size_t kDefaultCrawls = 200, kMaxCrawls = 10'000;
constexpr std::size_t kMaxFilterBytes = 255;  // a host or service name's bound

Json stateFields(int state) {
  const auto s = core::stateFromInt(state).value_or(core::State::Unknown);
  return Json{{"state", state}, {"state_name", std::string(core::stateName(s))}};
}

Json renderStatus(const ServiceStatus& s, double now) {
  Json j = {{"host", s.last.host}, {"service", s.last.service}};
  j.update(stateFields(static_cast<int>(s.last.state)));
  j["output"] = s.last.output;
  j["perfdata"] = s.last.perfdata;
  j["last_check"] = s.last.time;
  j["last_state_change"] = s.lastStateChange;
  j["age"] = std::max(0.0, now - s.last.time);
  return j;
}

Json byState(const std::array<std::int64_t, 4>& counts) {
  return Json{{"ok", counts[0]}, {"warning", counts[1]}, {"critical", counts[2]},
              {"unknown", counts[3]}};
}

std::int64_t sum(const std::array<std::int64_t, 4>& counts) {
  return counts[0] + counts[1] + counts[2] + counts[3];
}

template <class T>
Json orNull(const std::optional<T>& v) {
  return v ? Json(*v) : Json(nullptr);
}

Json parsed(const std::string& text) {
  auto j = Json::parse(text, nullptr, false);
  return j.is_discarded() ? Json(nullptr) : j;
}

}  // namespace

Json renderVersion(const DataVersion& v) {
  return Json{{"results", v.results}, {"crawl", orNull(v.crawl)}};
}

Json renderOverview(const OverviewData& d, double now) {
  Json problems = Json::array();
  for (const auto& s : d.problems.rows) problems.push_back(renderStatus(s, now));
  Json crawl = nullptr;
  if (d.latestCrawl) {
    const Json full = renderCrawlSummary(*d.latestCrawl);
    crawl = Json::object();
    for (const char* k : {"id", "overlay", "started_at", "seconds", "found", "reachable",
                          "unreachable", "unvisited", "consistent", "rings", "partitioned",
                          "dangling", "churn"})
      crawl[k] = full[k];
    const Json& rings = full["rings"];
    crawl["partitions"] = rings.is_array() ? rings.size() : 0;
  }
  return Json{{"version", renderVersion(d.version)},
              {"hosts", {{"total", sum(d.hostsByState)}, {"by_state", byState(d.hostsByState)}}},
              {"services",
               {{"total", sum(d.servicesByState)}, {"by_state", byState(d.servicesByState)}}},
              {"problems", {{"total", d.problems.total}, {"items", std::move(problems)}}},
              {"latest_crawl", std::move(crawl)}};
}

Json renderServicePage(const ServicePage& page, const ServiceFilter& f, double now) {
  Json rows = Json::array();
  for (const auto& s : page.rows) rows.push_back(renderStatus(s, now));
  return Json{{"total", page.total},
              {"offset", f.offset},
              {"limit", f.limit},
              {"services", std::move(rows)}};
}

std::optional<std::vector<int>> parseStateList(std::string_view text) {
  std::vector<int> out;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const auto item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    if (item.empty()) continue;
    const auto state = core::parseStateName(item);
    if (!state) return std::nullopt;
    out.push_back(static_cast<int>(*state));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

namespace {
// Each reachable peer's first reachable successor (as the crawl's ring
// analysis counts rings): the first entry of its successor list (`detail`)
// that names a reachable peer, or its first successor when it has no list.
std::vector<long> firstLiveSuccessor(const std::vector<const CrawlPeerRow*>& peers,
                                     const std::unordered_map<std::string, std::size_t>& byId) {
  std::vector<long> next(peers.size(), -1);
  auto live = [&](const std::string& id) -> long {
    auto it = byId.find(id);
    return it != byId.end() && peers[it->second]->reachable ? static_cast<long>(it->second) : -1;
  };
  for (std::size_t i = 0; i < peers.size(); ++i) {
    if (!peers[i]->reachable) continue;
    const Json detail = parsed(peers[i]->detail);
    if (detail.is_object() && detail.contains("successors") && detail["successors"].is_array()) {
      for (const auto& s : detail["successors"]) {
        if (!s.is_string()) continue;
        if ((next[i] = live(s.get<std::string>())) >= 0) break;
      }
    } else if (peers[i]->successor) {
      next[i] = live(*peers[i]->successor);
    }
  }
  return next;
}

// Which successor cycle each peer is on or leads to: `next` (each peer's
// first live successor) is a functional graph; its cycles are the rings.
// Returns, per peer, the ring's index by size (largest first) or -1.
std::vector<int> ringIndex(const std::vector<long>& next) {
  const std::size_t n = next.size();
  std::vector<long> cycle(n, -2);  // -2 unvisited, -3 on the current walk, -1 dies
  std::vector<std::size_t> cycleSize;
  std::vector<std::size_t> walk;
  for (std::size_t start = 0; start < n; ++start) {
    if (cycle[start] != -2) continue;
    walk.clear();
    long at = static_cast<long>(start);
    while (at >= 0 && cycle[static_cast<std::size_t>(at)] == -2) {
      cycle[static_cast<std::size_t>(at)] = -3;
      walk.push_back(static_cast<std::size_t>(at));
      at = next[static_cast<std::size_t>(at)];
    }
    long found = -1;
    if (at >= 0 && cycle[static_cast<std::size_t>(at)] == -3) {
      // A new cycle: from `at` to the end of the walk.
      found = static_cast<long>(cycleSize.size());
      std::size_t size = 0;
      for (auto it = std::find(walk.begin(), walk.end(), static_cast<std::size_t>(at));
           it != walk.end(); ++it)
        ++size;
      cycleSize.push_back(size);
    } else if (at >= 0) {
      found = cycle[static_cast<std::size_t>(at)];
    }
    for (auto i : walk) cycle[i] = found;
  }
  // Renumber: largest ring first (ties: first found).
  std::vector<std::size_t> order(cycleSize.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return cycleSize[a] > cycleSize[b]; });
  std::vector<int> rank(cycleSize.size());
  for (std::size_t r = 0; r < order.size(); ++r) rank[order[r]] = static_cast<int>(r);
  std::vector<int> out(n, -1);
  for (std::size_t i = 0; i < n; ++i)
    if (cycle[i] >= 0) out[i] = rank[static_cast<std::size_t>(cycle[i])];
  return out;
}
}  // namespace

Json renderRing(const CrawlRow& crawl, const std::vector<CrawlPeerRow>& peers,
                const std::vector<std::pair<std::string, int>>& worst) {
  // One entry per Node-ID, a reachable sighting over an unreachable one.
  std::vector<const CrawlPeerRow*> placed;
  std::unordered_map<std::string, std::size_t> byId;
  std::size_t unplaced = 0;
  for (const auto& p : peers) {
    if (!p.nodeId) {
      ++unplaced;
      continue;
    }
    auto [it, fresh] = byId.emplace(*p.nodeId, placed.size());
    if (fresh) {
      placed.push_back(&p);
    } else if (p.reachable && !placed[it->second]->reachable) {
      placed[it->second] = &p;
    }
  }
  const auto ring = ringIndex(firstLiveSuccessor(placed, byId));
  auto hostState = [&](const std::string& host) -> std::optional<int> {
    auto it = std::lower_bound(worst.begin(), worst.end(), host,
                               [](const auto& e, const std::string& h) { return e.first < h; });
    if (it == worst.end() || it->first != host) return std::nullopt;
    return it->second;
  };
  Json list = Json::array();
  std::size_t dead = 0;
  for (std::size_t i = 0; i < placed.size(); ++i) {
    const auto& p = *placed[i];
    const std::string host = peerHostName(*p.nodeId);
    int state = 3;
    if (!p.reachable) {
      state = 2;
    } else if (auto s = hostState(host)) {
      state = *s;
    } else if (p.state) {
      state = *p.state;
    }
    bool deadSuccessor = false;
    if (p.reachable && p.successor) {
      auto it = byId.find(*p.successor);
      deadSuccessor = it == byId.end() || !placed[it->second]->reachable;
    }
    dead += deadSuccessor ? 1 : 0;
    Json j = {{"node_id", *p.nodeId},
              {"host", host},
              {"address", p.address},
              {"reachable", p.reachable},
              {"error", orNull(p.error)},
              {"successor", orNull(p.successor)},
              {"predecessor", orNull(p.predecessor)},
              {"dead_successor", deadSuccessor},
              {"ring", ring[i] >= 0 ? Json(ring[i]) : Json(nullptr)}};
    j["worst_state"] = state;
    j["worst_state_name"] = std::string(core::stateName(static_cast<core::State>(state)));
    list.push_back(std::move(j));
  }
  return Json{{"crawl", renderCrawlSummary(crawl)},
              {"placed", placed.size()},
              {"unplaced", unplaced},
              {"dead_successors", dead},
              {"peers", std::move(list)}};
}

std::string natTypeOf(std::string_view output) {
  static constexpr std::string_view kTypes[] = {
      "port_restricted_cone", "restricted_cone", "full_cone", "symmetric_firewall",
      "symmetric",            "open",            "blocked"};
  const auto dash = output.find(" - ");
  if (dash == std::string_view::npos) return "unknown";
  std::string_view text = output.substr(dash + 3);
  if (text.starts_with("UDP blocked")) return "blocked";
  for (auto t : kTypes) {
    if (text.starts_with(t) &&
        (text.size() == t.size() || text[t.size()] == ' ' || text[t.size()] == ','))
      return std::string(t);
  }
  return "unknown";
}

Json renderPeerPage(const std::string& host,
                    const std::optional<std::pair<CrawlRow, CrawlPeerRow>>& record,
                    const std::optional<ServiceStatus>& nat) {
  Json out = {{"host", host}, {"node_id", nullptr}, {"crawl", nullptr}, {"peer", nullptr}};
  if (record) {
    const auto& [c, p] = *record;
    out["node_id"] = orNull(p.nodeId);
    out["crawl"] = Json{{"id", c.id}, {"overlay", c.overlay}, {"started_at", c.startedAt}};
    Json peer = {{"address", p.address},
                 {"reachable", p.reachable},
                 {"error", orNull(p.error)},
                 {"rtt_ms", orNull(p.rttMs)},
                 {"attempts", p.attempts},
                 {"software_version", orNull(p.softwareVersion)},
                 {"uptime_s", orNull(p.uptimeS)},
                 {"state", orNull(p.state)}};
    const Json detail = parsed(p.detail);
    for (const char* k : {"successors", "predecessors", "fingers"})
      peer[k] = detail.is_object() && detail.contains(k) ? detail[k] : Json::array();
    for (const char* k : {"routing_table_size", "records_stored", "bytes_stored", "services"})
      peer[k] = detail.is_object() && detail.contains(k) ? detail[k] : Json(nullptr);
    out["peer"] = std::move(peer);
  }
  if (nat) {
    Json n = {{"type", natTypeOf(nat->last.output)}};
    n.update(stateFields(static_cast<int>(nat->last.state)));
    n["output"] = nat->last.output;
    n["perfdata"] = nat->last.perfdata;
    n["last_check"] = nat->last.time;
    out["nat"] = std::move(n);
  } else {
    out["nat"] = nullptr;
  }
  return out;
}

namespace {
// The E-model's user satisfaction bands (ITU-T G.107 Annex B, as MOS).
struct MosBand {
  const char* label;
  double from, to;
};
constexpr MosBand kMosBands[] = {{"not recommended", 1.0, 2.58}, {"poor", 2.58, 3.1},
                                 {"low", 3.1, 3.6},              {"medium", 3.6, 4.03},
                                 {"high", 4.03, 4.34},           {"best", 4.34, 4.5}};

std::optional<double> perfValue(std::string_view perfdata, std::string_view label) {
  core::PerfdataScanner scan(perfdata);
  for (core::PerfItemView item; scan.next(item);) {
    if (!item.labelEscaped && item.label == label) return item.value;
  }
  return std::nullopt;
}
}  // namespace

Json renderOverlaySummary(const std::vector<ServiceStatus>& nat,
                          const std::vector<ServiceStatus>& rtp,
                          const std::vector<CrawlPoint>& crawlsNewestFirst) {
  std::map<std::string, std::int64_t> types;
  for (const auto& s : nat) ++types[natTypeOf(s.last.output)];
  Json natJson = Json::object();
  for (const auto& [k, v] : types) natJson[k] = v;

  constexpr std::size_t kBands = std::size(kMosBands);
  std::array<std::int64_t, kBands> counts{};
  std::int64_t noValue = 0;
  for (const auto& s : rtp) {
    const auto mos = perfValue(s.last.perfdata, "mos");
    if (!mos || !std::isfinite(*mos)) {
      ++noValue;
      continue;
    }
    std::size_t b = 0;
    while (b + 1 < kBands && *mos >= kMosBands[b].to) ++b;
    ++counts[b];
  }
  Json buckets = Json::array();
  for (std::size_t b = 0; b < kBands; ++b) {
    buckets.push_back(Json{{"label", kMosBands[b].label},
                           {"from", kMosBands[b].from},
                           {"to", kMosBands[b].to},
                           {"count", counts[b]}});
  }
  Json crawls = Json::array();
  for (auto it = crawlsNewestFirst.rbegin(); it != crawlsNewestFirst.rend(); ++it) {
    crawls.push_back(Json{{"id", it->id},
                          {"overlay", it->overlay},
                          {"started_at", it->startedAt},
                          {"found", it->found},
                          {"reachable", it->reachable},
                          {"unreachable", it->unreachable},
                          {"consistent", it->consistent}});
  }
  return Json{{"nat_types", std::move(natJson)},
              {"mos", {{"hosts", rtp.size()}, {"no_value", noValue}, {"buckets", std::move(buckets)}}},
              {"crawls", std::move(crawls)}};
}

std::vector<MetricSeries> downsample(std::vector<MetricSeries> series, double step,
                                     std::size_t limit) {
  for (auto& m : series) {
    std::vector<std::pair<double, double>> out;
    double bucket = std::numeric_limits<double>::quiet_NaN(), total = 0;
    std::size_t n = 0;
    auto flush = [&] {
      if (n > 0) out.emplace_back(bucket * step, total / static_cast<double>(n));
    };
    for (const auto& [t, v] : m.points) {  // oldest first
      const double b = std::floor(t / step);
      if (b != bucket) {
        flush();
        bucket = b;
        total = 0;
        n = 0;
      }
      total += v;
      ++n;
    }
    flush();
    if (out.size() > limit) out.erase(out.begin(), out.end() - static_cast<long>(limit));
    m.points = std::move(out);
  }
  return series;
}

namespace {
void sendJson(httplib::Response& res, int status, const Json& body) {
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  res.set_content(body.dump(-1, ' ', false, Json::error_handler_t::replace), kJson);
}

void sendError(httplib::Response& res, int status, const std::string& code,
               const std::string& message) {
  sendJson(res, status, Json{{"error", code}, {"message", message}});
}

// A count parameter in [1, max] (or 0 when zeroOk), the default when absent.
std::optional<std::size_t> countParam(const httplib::Request& req, const char* name,
                                      std::size_t fallback, std::size_t max, bool zeroOk = false) {
  if (!req.has_param(name)) return fallback;
  const std::string v = req.get_param_value(name);
  std::size_t out = 0;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || ptr != v.data() + v.size() || (out == 0 && !zeroOk))
    return std::nullopt;
  return std::min(out, max);
}

std::optional<std::string> textParam(const httplib::Request& req, const char* name) {
  if (!req.has_param(name) || req.get_param_value(name).empty()) return std::nullopt;
  return req.get_param_value(name);
}
}  // namespace

DashboardApi::DashboardApi(DashboardReader& reader, StoreReader& store)
    : reader_(reader), store_(store) {}

void DashboardApi::install(httplib::Server& s) {
  s.Get("/api/v1/version", [this](const httplib::Request&, httplib::Response& res) {
    sendJson(res, 200, renderVersion(reader_.version()));
  });
  s.Get("/api/v1/overview", [this](const httplib::Request& req, httplib::Response& res) {
    auto limit = countParam(req, "problems", kDefaultProblems, kMaxProblems, true);
    if (!limit) return sendError(res, 400, "bad_param", "problems must be a count >= 0");
    OverviewData d;
    d.version = reader_.version();
    d.hostsByState = reader_.hostsByState();
    d.servicesByState = store_.servicesByState();
    d.problems = reader_.problems(*limit);
    d.latestCrawl = reader_.latestCrawl(std::nullopt);
    sendJson(res, 200, renderOverview(d, core::nowSeconds()));
  });
  s.Get("/api/v1/services", [this](const httplib::Request& req, httplib::Response& res) {
    ServiceFilter f;
    f.host = textParam(req, "host");
    f.service = textParam(req, "service");
    if ((f.host && f.host->size() > kMaxFilterBytes) ||
        (f.service && f.service->size() > kMaxFilterBytes))
      return sendError(res, 400, "bad_param", "host and service filters are at most 255 bytes");
    if (auto states = textParam(req, "state")) {
      auto parsedStates = parseStateList(*states);
      if (!parsedStates)
        return sendError(res, 400, "bad_param",
                         "state must list states: 0-3 or ok, warning, critical, unknown");
      f.states = std::move(*parsedStates);
    }
    auto limit = countParam(req, "limit", kDefaultServices, kMaxServices);
    auto offset = countParam(req, "offset", 0, std::numeric_limits<std::int32_t>::max(), true);
    if (!limit || !offset)
      return sendError(res, 400, "bad_param", "limit must be >= 1 and offset >= 0");
    f.limit = *limit;
    f.offset = *offset;
    sendJson(res, 200, renderServicePage(reader_.services(f), f, core::nowSeconds()));
  });
  s.Get("/api/v1/ring", [this](const httplib::Request& req, httplib::Response& res) {
    const auto overlay = textParam(req, "overlay");
    const auto crawl = reader_.latestCrawl(overlay);
    if (!crawl) {
      return sendError(res, 404, "not_found",
                       overlay ? "no crawl of overlay '" + *overlay + "' stored" : "no crawl stored");
    }
    std::vector<CrawlPeerRow> peers;
    if (crawl->peersStored) peers = reader_.ringPeers(crawl->id);
    sendJson(res, 200, renderRing(*crawl, peers, reader_.worstStates()));
  });
  s.Get(R"(/api/v1/hosts/([^/]+)/peer)", [this](const httplib::Request& req,
                                                httplib::Response& res) {
    const std::string host = req.matches[1];
    std::optional<std::pair<CrawlRow, CrawlPeerRow>> record;
    // Hosts named after their Node-ID (DESIGN.md): peer- and 8 hex digits.
    if (host.size() == 13 && host.starts_with("peer-") &&
        host.find_first_not_of("0123456789abcdef", 5) == std::string::npos)
      record = reader_.peerRecord(host.substr(5));
    const auto nat = store_.service(host, "nat_behaviour");
    if (!record && !nat && !reader_.hostKnown(host))
      return sendError(res, 404, "not_found", "no crawl record and no results for " + host);
    sendJson(res, 200, renderPeerPage(host, record, nat));
  });
  s.Get("/api/v1/overlay/summary", [this](const httplib::Request& req, httplib::Response& res) {
    auto limit = countParam(req, "limit", kDefaultCrawls, kMaxCrawls);
    if (!limit) return sendError(res, 400, "bad_param", "limit must be >= 1");
    sendJson(res, 200,
             renderOverlaySummary(reader_.currentOf("nat_behaviour"),
                                  reader_.currentOf("rtp_quality"),
                                  reader_.crawlHistory(textParam(req, "overlay"), *limit)));
  });
}

}  // namespace p2pmon::collector
