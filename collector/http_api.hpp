// The collector's HTTP side (cpp-httplib): the JSON API under /api/v1/,
// NRDP-compatible submission at /nrdp/, and /metrics for Prometheus.
// Writes need `Authorization: Bearer TOKEN` when a token is set; a 200 to a
// write means the results are committed. Routes are documented in docs/api.md.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "collector/ingest_writer.hpp"
#include "collector/stats.hpp"
#include "collector/store_reader.hpp"
#include "core/address.hpp"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace p2pmon::collector {

struct HttpOptions {
  core::HostPort listen{"127.0.0.1", 8080};
  std::string token;                    // empty: writes need no token
  std::size_t maxBodyBytes = 32 << 20;  // larger requests get 413
  std::size_t maxBatch = 100'000;       // results per request
  std::string dbPath;                   // for the database size in /status
};

class HttpApi {
 public:
  HttpApi(HttpOptions options, StoreReader& reader, IngestWriter& writer, Stats& stats);
  ~HttpApi();

  void start();  // binds (port 0 picks a free port) and serves on a thread
  void stop();
  std::uint16_t port() const { return port_; }

  // More routes, installed by start() after the built-in ones (crawl_api.hpp).
  void addRoutes(std::function<void(httplib::Server&)> install);
  // Whether a write carries the bearer token (always, without --token).
  bool authorized(const httplib::Request& req) const;

 private:
  void routes();
  void postResults(const httplib::Request& req, httplib::Response& res);
  void nrdp(const httplib::Request& req, httplib::Response& res);
  void getHistory(const httplib::Request& req, httplib::Response& res);
  void getMetrics(const httplib::Request& req, httplib::Response& res);

  HttpOptions options_;
  StoreReader& reader_;
  IngestWriter& writer_;
  Stats& stats_;
  std::unique_ptr<httplib::Server> server_;
  std::vector<std::function<void(httplib::Server&)>> extraRoutes_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

}  // namespace p2pmon::collector
