#include "collector/crawl_api.hpp"

#include <charconv>
#include <cmath>

#include <httplib.h>

#include "collector/crawl_results.hpp"
#include "core/check_result.hpp"
#include "core/clock.hpp"
#include "core/state.hpp"

namespace p2pmon::collector {

using Json = nlohmann::ordered_json;

namespace {
constexpr const char* kJson = "application/json";
constexpr std::size_t kMaxList = 10'000;

void sendJson(httplib::Response& res, int status, const Json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, Json::error_handler_t::replace), kJson);
}

void sendError(httplib::Response& res, int status, const std::string& code,
               const std::string& message) {
  sendJson(res, status, Json{{"error", code}, {"message", message}});
}

std::optional<double> number(const std::string& v) {
  double out = 0;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || ptr != v.data() + v.size()) return std::nullopt;
  return out;
}

std::optional<std::string> overlayParam(const httplib::Request& req) {
  if (!req.has_param("overlay") || req.get_param_value("overlay").empty()) return std::nullopt;
  return req.get_param_value("overlay");
}

// ?peers=false (or 0, no) leaves the peers out: check_p2p_overlay needs only the figures.
bool wantsPeers(const httplib::Request& req) {
  const auto v = req.get_param_value("peers");
  return !(v == "false" || v == "0" || v == "no");
}

Json stored(const std::string& text) {
  auto j = Json::parse(text, nullptr, false);
  return j.is_discarded() ? Json(nullptr) : j;
}

template <class T>
Json orNull(const std::optional<T>& v) {
  return v ? Json(*v) : Json(nullptr);
}

Json renderPeer(const CrawlPeerRow& p) {
  Json out = {{"host", p.nodeId ? Json(peerHostName(*p.nodeId)) : Json(nullptr)},
              {"node_id", orNull(p.nodeId)},
              {"address", p.address},
              {"reachable", p.reachable},
              {"error", orNull(p.error)},
              {"rtt_ms", orNull(p.rttMs)},
              {"attempts", p.attempts},
              {"software_version", orNull(p.softwareVersion)},
              {"uptime_s", orNull(p.uptimeS)},
              {"successor", orNull(p.successor)},
              {"predecessor", orNull(p.predecessor)},
              {"state", orNull(p.state)},
              {"state_name", p.state ? Json(std::string(core::stateName(
                                           static_cast<core::State>(*p.state))))
                                     : Json(nullptr)}};
  // The rest of the peer's document object (lists, services, storage, ...).
  const Json detail = stored(p.detail);
  if (detail.is_object())
    for (const auto& [k, v] : detail.items())
      if (!out.contains(k)) out[k] = v;
  return out;
}
}  // namespace

Json renderCrawlSummary(const CrawlRow& r) {
  const Json rings = stored(r.rings);
  const std::int64_t asked = r.reachable + r.unreachable;
  const double percent =
      asked == 0 ? 0.0
                 : std::round(1000.0 * static_cast<double>(r.unreachable) / static_cast<double>(asked)) /
                       10.0;
  return {{"id", r.id},
          {"overlay", r.overlay},
          {"started_at", r.startedAt},
          {"seconds", r.seconds},
          {"received", r.received},
          {"found", r.found},
          {"reachable", r.reachable},
          {"unreachable", r.unreachable},
          {"unvisited", r.unvisited},
          {"unreachable_percent", percent},
          {"consistent", r.consistent},
          {"rings", rings},
          {"partitioned", rings.is_array() && rings.size() > 1},
          {"dangling", r.dangling},
          {"churn", r.churn ? Json{{"joined", r.churn->joined},
                                   {"left", r.churn->left},
                                   {"restarted", r.churn->restarted}}
                            : Json(nullptr)},
          {"peers_stored", r.peersStored}};
}

Json renderCrawl(const CrawlRow& r, const std::vector<CrawlPeerRow>* peers) {
  Json out = renderCrawlSummary(r);
  out["bootstrap"] = stored(r.bootstrap);
  out["summary"] = stored(r.summary);
  out["ring"] = stored(r.ring);
  if (peers != nullptr) {
    Json list = Json::array();
    for (const auto& p : *peers) list.push_back(renderPeer(p));
    out["peers"] = std::move(list);
  }
  return out;
}

CrawlApi::CrawlApi(CrawlDocLimits limits, CrawlStore& store, CrawlReader& reader,
                   IngestWriter& writer, Authorizer authorized)
    : limits_(limits), store_(store), reader_(reader), writer_(writer),
      authorized_(std::move(authorized)) {}

void CrawlApi::install(httplib::Server& s) {
  s.Post("/api/v1/crawls", [this](const httplib::Request& req, httplib::Response& res) {
    if (!authorized_(req)) {
      res.set_header("WWW-Authenticate", "Bearer");
      return sendError(res, 401, "unauthorized", "missing or wrong bearer token");
    }
    const double now = core::nowSeconds();
    auto doc = parseCrawlDocument(req.body, now, limits_);
    if (!doc) return sendError(res, 400, doc.error().code, doc.error().message);
    auto verdicts = judgePeers(*doc, "crawl");
    StoredCrawl crawl;
    std::string error;
    // Crawl and peers in one transaction on the writer thread; then the
    // peers' results through the ordinary path (current state, history,
    // forwarding). Posting the same document again after a 503 stores the
    // crawl once (same overlay and started_at) and its results again.
    if (!writer_.runAndWait([&] { crawl = store_.insert(*doc, verdicts, now); }, error)) {
      res.set_header("Retry-After", "1");
      return sendError(res, 503, "store_failed", "crawl not stored; retry later");
    }
    std::vector<core::CheckResult> results;
    results.reserve(verdicts.size());
    for (auto& v : verdicts) {
      v.result.source = "crawl:" + std::to_string(crawl.id);
      if (!core::validate(v.result, now)) results.push_back(std::move(v.result));
    }
    const std::size_t n = results.size();
    if (!writer_.submitAndWait(std::move(results), Transport::Http, error)) {
      res.set_header("Retry-After", "1");
      return sendError(res, 503, error,
                       "crawl " + std::to_string(crawl.id) +
                           " is stored, its peer results are not; post the same document again");
    }
    res.set_header("Location", "/api/v1/crawls/" + std::to_string(crawl.id));
    sendJson(res, crawl.duplicate ? 200 : 201,
             Json{{"id", crawl.id},
                  {"duplicate", crawl.duplicate},
                  {"results", n},
                  {"churn", crawl.churn ? Json{{"joined", crawl.churn->joined},
                                               {"left", crawl.churn->left},
                                               {"restarted", crawl.churn->restarted}}
                                        : Json(nullptr)}});
  });
  s.Get("/api/v1/crawls", [this](const httplib::Request& req, httplib::Response& res) {
    CrawlQuery q;
    q.overlay = overlayParam(req);
    if (req.has_param("limit")) {
      auto limit = number(req.get_param_value("limit"));
      if (!limit || *limit < 1) return sendError(res, 400, "bad_param", "limit must be >= 1");
      q.limit = static_cast<std::size_t>(std::min<double>(*limit, kMaxList));
    }
    if (req.has_param("before")) {
      q.before = number(req.get_param_value("before"));
      if (!q.before) return sendError(res, 400, "bad_param", "before must be epoch seconds");
    }
    Json list = Json::array();
    for (const auto& row : reader_.list(q)) list.push_back(renderCrawlSummary(row));
    sendJson(res, 200, Json{{"crawls", std::move(list)}});
  });
  auto one = [this](const std::optional<CrawlRow>& row, const httplib::Request& req,
                    httplib::Response& res, const std::string& what) {
    if (!row) return sendError(res, 404, "not_found", what);
    if (!wantsPeers(req) || !row->peersStored) return sendJson(res, 200, renderCrawl(*row, nullptr));
    const auto peers = reader_.peers(row->id);
    sendJson(res, 200, renderCrawl(*row, &peers));
  };
  s.Get("/api/v1/crawls/latest", [this, one](const httplib::Request& req, httplib::Response& res) {
    const auto overlay = overlayParam(req);
    one(reader_.latest(overlay), req, res,
        overlay ? "no crawl of overlay '" + *overlay + "' stored" : "no crawl stored");
  });
  s.Get(R"(/api/v1/crawls/(\d{1,18}))", [this, one](const httplib::Request& req,
                                                    httplib::Response& res) {
    const std::string id = req.matches[1];
    one(reader_.get(std::stoll(id)), req, res, "no crawl " + id);
  });
}

}  // namespace p2pmon::collector
