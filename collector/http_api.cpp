#include "collector/http_api.hpp"

#include <charconv>
#include <filesystem>

#include <httplib.h>

#include "collector/api_render.hpp"
#include "collector/dashboard_api.hpp"
#include "collector/rollup_cells.hpp"
#include "collector/nrdp.hpp"
#include "collector/result_batch.hpp"
#include "core/clock.hpp"
#include "core/log.hpp"
#include "core/version.hpp"

namespace p2pmon::collector {

using nlohmann::json;

namespace {
constexpr const char* kJson = "application/json";

// Accept-Encoding without the `br` coding ("gzip, deflate, br" -> "gzip, deflate").
std::string withoutBrotli(std::string_view accept) {
  std::string out;
  while (!accept.empty()) {
    const auto comma = accept.find(',');
    std::string_view item = accept.substr(0, comma);
    accept = comma == std::string_view::npos ? std::string_view{} : accept.substr(comma + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    std::string_view coding = item.substr(0, item.find(';'));
    while (!coding.empty() && coding.back() == ' ') coding.remove_suffix(1);
    if (item.empty() || coding == "br") continue;
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}
constexpr std::size_t kMaxHistory = 10'000;
constexpr std::size_t kMaxPoints = 100'000;

void sendJson(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), kJson);
}

void sendError(httplib::Response& res, int status, const std::string& code,
               const std::string& message) {
  sendJson(res, status, json{{"error", code}, {"message", message}});
}

// Constant-time comparison so the token cannot be guessed byte by byte.
bool sameSecret(const std::string& a, const std::string& b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  }
  return diff == 0;
}

std::optional<double> numberParam(const httplib::Request& req, const char* name) {
  if (!req.has_param(name)) return std::nullopt;
  std::string v = req.get_param_value(name);
  double out = 0;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || ptr != v.data() + v.size()) return std::nullopt;
  return out;
}

std::optional<std::string> textParam(const httplib::Request& req, const char* name) {
  if (!req.has_param(name) || req.get_param_value(name).empty()) return std::nullopt;
  return req.get_param_value(name);
}

std::int64_t fileSize(const std::string& path) {
  std::error_code ec;
  auto n = std::filesystem::file_size(path, ec);
  return ec ? 0 : static_cast<std::int64_t>(n);
}
}  // namespace

HttpApi::HttpApi(HttpOptions options, StoreReader& reader, IngestWriter& writer, Stats& stats)
    : options_(std::move(options)), reader_(reader), writer_(writer), stats_(stats),
      server_(std::make_unique<httplib::Server>()) {}

HttpApi::~HttpApi() { stop(); }

bool HttpApi::authorized(const httplib::Request& req) const {
  if (options_.token.empty()) return true;
  return sameSecret(req.get_header_value("Authorization"), "Bearer " + options_.token);
}

void HttpApi::addRoutes(std::function<void(httplib::Server&)> install) {
  extraRoutes_.push_back(std::move(install));
}

void HttpApi::start() {
  routes();
  for (const auto& install : extraRoutes_) install(*server_);
  server_->set_payload_max_length(options_.maxBodyBytes);
  server_->set_keep_alive_max_count(1000);
  // A reply goes out in more than one write (headers, body); with Nagle on,
  // the last one waits for the peer's delayed ACK, up to 40 ms per request.
  server_->set_tcp_nodelay(true);
  server_->set_read_timeout(30, 0);
  server_->set_write_timeout(30, 0);
  if (options_.listen.port == 0) {
    int p = server_->bind_to_any_port(options_.listen.host);
    if (p <= 0) throw std::runtime_error("cannot listen for HTTP on " + options_.listen.str());
    port_ = static_cast<std::uint16_t>(p);
  } else {
    if (!server_->bind_to_port(options_.listen.host, options_.listen.port)) {
      throw std::runtime_error("cannot listen for HTTP on " + options_.listen.str());
    }
    port_ = options_.listen.port;
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
}

void HttpApi::stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

void HttpApi::routes() {
  auto& s = *server_;
  // Debian's cpp-httplib (0.11, built with brotli) answers every client
  // that accepts brotli with brotli at quality 11, which it does not let us
  // set: about a second of CPU for the ring's 300 KB of JSON, where gzip
  // (level 6) takes ~10 ms and gives 55 KB. So the server does not see `br`
  // in Accept-Encoding and browsers get gzip. httplib hands the request over
  // as const, but the object it owns is not (const_cast is defined here).
  s.set_pre_routing_handler([](const httplib::Request& req, httplib::Response&) {
    auto& headers = const_cast<httplib::Request&>(req).headers;
    auto [from, to] = headers.equal_range("Accept-Encoding");
    for (auto it = from; it != to; ++it) it->second = withoutBrotli(it->second);
    return httplib::Server::HandlerResponse::Unhandled;
  });
  s.Get("/api/v1/hosts", [this](const httplib::Request&, httplib::Response& res) {
    res.status = 200;
    res.set_content(renderHostsText(reader_.hosts(), core::nowSeconds()), kJson);
  });
  s.Get(R"(/api/v1/hosts/([^/]+)/services)",
        [this](const httplib::Request& req, httplib::Response& res) {
          std::string host = req.matches[1];
          auto services = reader_.services(host);
          if (services.empty()) return sendError(res, 404, "not_found", "no such host: " + host);
          sendJson(res, 200, renderServices(host, services, core::nowSeconds()));
        });
  s.Get(R"(/api/v1/hosts/([^/]+)/services/([^/]*))",
        [this](const httplib::Request& req, httplib::Response& res) {
          std::string host = req.matches[1];
          std::string service = req.matches[2];
          auto status = reader_.service(host, service);
          if (!status) {
            return sendError(res, 404, "not_found", "no result for " + host + "/" + service);
          }
          sendJson(res, 200, renderService(*status, core::nowSeconds()));
        });
  s.Get("/api/v1/results", [this](const httplib::Request& req, httplib::Response& res) {
    getHistory(req, res);
  });
  s.Get("/api/v1/metrics", [this](const httplib::Request& req, httplib::Response& res) {
    getMetrics(req, res);
  });
  auto facts = [this] {
    StoreFacts f;
    f.databaseBytes = fileSize(options_.dbPath) + fileSize(options_.dbPath + "-wal");
    f.servicesByState = reader_.servicesByState();
    f.hosts = reader_.hostCount();
    return f;
  };
  s.Get("/api/v1/status", [this, facts](const httplib::Request&, httplib::Response& res) {
    sendJson(res, 200, renderStatus(stats_, facts(), kVersion));
  });
  s.Get("/metrics", [this, facts](const httplib::Request&, httplib::Response& res) {
    res.set_content(renderPrometheus(stats_, facts(), kVersion), "text/plain; version=0.0.4");
  });
  s.Post("/api/v1/results", [this](const httplib::Request& req, httplib::Response& res) {
    postResults(req, res);
  });
  for (const char* path : {"/nrdp", "/nrdp/"}) {
    s.Post(path, [this](const httplib::Request& req, httplib::Response& res) { nrdp(req, res); });
    s.Get(path, [this](const httplib::Request& req, httplib::Response& res) { nrdp(req, res); });
  }
  s.set_exception_handler([](const httplib::Request& req, httplib::Response& res,
                             std::exception_ptr ep) {
    std::string what = "internal error";
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    core::logError("http " + req.method + " " + req.path + ": " + what);
    sendError(res, 500, "internal", what);
  });
  s.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return;
    if (res.status == 413) {
      return sendError(res, 413, "too_large", "request body over the size bound");
    }
    sendError(res, res.status, res.status == 404 ? "not_found" : "error",
              "HTTP error " + std::to_string(res.status));
  });
}

void HttpApi::postResults(const httplib::Request& req, httplib::Response& res) {
  if (!authorized(req)) {
    res.set_header("WWW-Authenticate", "Bearer");
    return sendError(res, 401, "unauthorized", "missing or wrong bearer token");
  }
  const double now = core::nowSeconds();
  auto batch = decodeResultBatch(req.body, now);
  if (!batch) {
    stats_.rejected(Transport::Http, "bad_json");
    return sendError(res, 400, "bad_json", "body is not valid JSON");
  }
  if (batch->isArray && batch->items.size() > options_.maxBatch) {
    return sendError(res, 413, "too_large",
                     "more than " + std::to_string(options_.maxBatch) + " results in one request");
  }
  std::vector<core::CheckResult> accepted;
  accepted.reserve(batch->items.size());
  json rejected = json::array();
  for (std::size_t i = 0; i < batch->items.size(); ++i) {
    auto& r = batch->items[i];
    std::optional<core::Error> err;
    if (!r) {
      err = r.error();
    } else {
      err = core::validate(*r, now);
    }
    if (err) {
      stats_.rejected(Transport::Http, err->code);
      rejected.push_back(json{{"index", i}, {"code", err->code}, {"message", err->message}});
      continue;
    }
    accepted.push_back(std::move(r).value());
  }
  const std::size_t n = accepted.size();
  std::string error;
  if (!writer_.submitAndWait(std::move(accepted), Transport::Http, error)) {
    res.set_header("Retry-After", "1");
    return sendError(res, 503, error, "results not stored; retry later");
  }
  const bool noneAccepted = n == 0 && !rejected.empty();
  sendJson(res, noneAccepted ? 400 : 200, json{{"accepted", n}, {"rejected", std::move(rejected)}});
}

void HttpApi::nrdp(const httplib::Request& req, httplib::Response& res) {
  std::string cmd = req.get_param_value("cmd");
  std::string jsonDoc = req.has_param("json") ? req.get_param_value("json")
                                              : req.get_param_value("JSONDATA");
  bool wantsXml = jsonDoc.empty();
  auto reply = [&](int status, const std::string& message, const std::string& output = "") {
    // NRDP answers 200 with the status inside the envelope, errors included.
    if (wantsXml) {
      res.set_content(nrdpXmlReply(status, message, output), "text/xml");
    } else {
      res.set_content(nrdpJsonReply(status, message, output), kJson);
    }
  };
  if (cmd == "hello") return res.set_content(nrdpHelloReply(kVersion), kJson);
  if (!req.has_param("token") || req.get_param_value("token").empty()) {
    return reply(-1, "NO TOKEN");
  }
  if (!options_.token.empty() && !sameSecret(req.get_param_value("token"), options_.token)) {
    stats_.rejected(Transport::Nrdp, "bad_token");
    return reply(-1, "BAD TOKEN");
  }
  if (cmd != "submitcheck") return reply(-1, "BAD COMMAND");
  if (jsonDoc.empty()) {
    return reply(-1, req.has_param("xml") || req.has_param("XMLDATA")
                         ? "XML NOT SUPPORTED, USE json="
                         : "NO DATA");
  }
  const double now = core::nowSeconds();
  auto items = parseNrdpJson(jsonDoc, now, "nrdp:" + req.remote_addr);
  if (!items) {
    stats_.rejected(Transport::Nrdp, items.error().code);
    return reply(-1, items.error().message);
  }
  std::vector<core::CheckResult> accepted;
  for (auto& item : *items) {
    std::optional<core::Error> err;
    if (!item.result) {
      err = item.result.error();
    } else {
      err = core::validate(*item.result, now);
    }
    if (err) {
      stats_.rejected(Transport::Nrdp, err->code);
      continue;
    }
    accepted.push_back(std::move(item.result).value());
  }
  const std::size_t n = accepted.size();
  std::string error;
  if (!writer_.submitAndWait(std::move(accepted), Transport::Nrdp, error)) {
    return reply(-1, "STORE UNAVAILABLE");
  }
  reply(0, "OK", std::to_string(n) + " checks processed");
}

void HttpApi::getHistory(const httplib::Request& req, httplib::Response& res) {
  HistoryQuery q;
  q.host = textParam(req, "host");
  q.service = textParam(req, "service");
  if (req.has_param("since")) {
    q.since = numberParam(req, "since");
    if (!q.since) return sendError(res, 400, "bad_param", "since must be epoch seconds");
  }
  if (req.has_param("limit")) {
    auto limit = numberParam(req, "limit");
    if (!limit || *limit < 1) return sendError(res, 400, "bad_param", "limit must be >= 1");
    q.limit = static_cast<std::size_t>(std::min<double>(*limit, kMaxHistory));
  }
  sendJson(res, 200, renderHistory(reader_.history(q)));
}

void HttpApi::getMetrics(const httplib::Request& req, httplib::Response& res) {
  auto host = textParam(req, "host");
  auto service = textParam(req, "service");
  if (!host || !service) {
    return sendError(res, 400, "bad_param", "host and service are required");
  }
  double since = 0;
  if (req.has_param("since")) {
    auto s = numberParam(req, "since");
    if (!s) return sendError(res, 400, "bad_param", "since must be epoch seconds");
    since = *s;
  }
  std::size_t limit = 1000;
  if (req.has_param("limit")) {
    auto l = numberParam(req, "limit");
    if (!l || *l < 1) return sendError(res, 400, "bad_param", "limit must be >= 1");
    limit = static_cast<std::size_t>(std::min<double>(*l, kMaxPoints));
  }
  if (req.has_param("step")) {
    // Averages per step-second bucket (the dashboard's 7-day charts); limit counts buckets.
    auto step = numberParam(req, "step");
    if (!step || !(*step >= 1)) return sendError(res, 400, "bad_param", "step must be >= 1 seconds");
    if (*step >= static_cast<double>(kRollupSeconds)) {
      // Whole hours: from the hourly roll-ups, not from every stored result
      // (a week of one service is ~2,000 history rows on as many pages).
      const auto hours = static_cast<std::int64_t>(*step / static_cast<double>(kRollupSeconds));
      return sendJson(res, 200,
                      renderMetrics(reader_.hourlyMetrics(*host, *service, textParam(req, "label"),
                                                          since, hours, limit)));
    }
    auto all = reader_.metrics(*host, *service, textParam(req, "label"), since, kMaxPoints);
    return sendJson(res, 200, renderMetrics(downsample(std::move(all), *step, limit)));
  }
  sendJson(res, 200,
           renderMetrics(reader_.metrics(*host, *service, textParam(req, "label"), since, limit)));
}

}  // namespace p2pmon::collector
