// p2pmon-collector: receives check results (NSCA, HTTP JSON, NRDP), stores
// them in SQLite, serves the JSON API and /metrics, forwards to Nagios.
#include <csignal>
#include <fstream>
#include <iostream>

#include <boost/program_options.hpp>

#include "collector/crawl_api.hpp"
#include "collector/dashboard_api.hpp"
#include "collector/http_api.hpp"
#include "collector/ingest_writer.hpp"
#include "collector/nagios_api.hpp"
#include "collector/nagios_forwarder.hpp"
#include "collector/nsca_listener.hpp"
#include "collector/store_reader.hpp"
#include "collector/store_writer.hpp"
#include "collector/web_root.hpp"
#include "core/log.hpp"
#include "core/version.hpp"

namespace po = boost::program_options;
using namespace p2pmon;

namespace {
std::string readTokenFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read token file " + path);
  std::string token;
  std::getline(in, token);
  return token;
}

core::HostPort endpoint(const std::string& text, const char* option) {
  auto hp = core::parseHostPort(text);
  if (!hp) throw std::runtime_error(std::string("--") + option + ": " + hp.error().message);
  return *hp;
}
}  // namespace

int main(int argc, char** argv) try {
  std::string db, nscaListen, nscaPassword, httpListen, token, tokenFile, commandFile, level;
  int encryption = 1;
  double retentionDays = 30;
  std::size_t maxBody = 32;
  std::size_t crawlRetention = 100;
  std::string webRoot;
  collector::NagiosSettings nagios;
  po::options_description opts("p2pmon-collector options");
  opts.add_options()
      ("help,h", "show this help and exit")
      ("version,V", "show the version and exit")
      ("db", po::value(&db)->default_value("p2pmon.db"), "SQLite database file (created if missing)")
      ("nsca-listen", po::value(&nscaListen)->default_value("127.0.0.1:5667"),
       "NSCA listener ADDR:PORT (port 0 picks a free one)")
      ("nsca-password", po::value(&nscaPassword)->default_value(""),
       "NSCA password (send_nsca's `password`)")
      ("nsca-encryption", po::value(&encryption)->default_value(1),
       "NSCA encryption method: 0 none, 1 XOR (send_nsca's `encryption_method`)")
      ("http-listen", po::value(&httpListen)->default_value("127.0.0.1:8080"),
       "HTTP API ADDR:PORT (port 0 picks a free one)")
      ("token", po::value(&token)->default_value(""),
       "bearer token every write must carry (Authorization: Bearer TOKEN); empty: none")
      ("token-file", po::value(&tokenFile), "read the token from the first line of this file")
      ("nagios-command-file", po::value(&commandFile),
       "forward every accepted result to this Nagios external command file (FIFO)")
      ("retention-days", po::value(&retentionDays)->default_value(30),
       "delete history and metric points older than this many days; 0 keeps all")
      ("crawl-retention", po::value(&crawlRetention)->default_value(100),
       "newest crawls per overlay that keep their peers (older ones keep their figures until "
       "--retention-days); 0 keeps all")
      ("max-body-mb", po::value(&maxBody)->default_value(32),
       "largest HTTP request body in MiB (larger ones get 413)")
      ("web-root", po::value(&webRoot)->default_value(P2PMON_WEB_ROOT),
       "directory of the dashboard served at / (the build's web/; missing: / answers 503)")
      ("log-level", po::value(&level)->default_value("info"), "debug, info, warning, error");
  opts.add(collector::nagiosOptionDescription(nagios));
  po::variables_map vm;
  po::store(po::parse_command_line(argc, argv, opts), vm);
  if (vm.count("help") != 0U) {
    std::cout << "Usage: p2pmon-collector [options]\n\n" << opts << "\n";
    return 0;
  }
  if (vm.count("version") != 0U) {
    std::cout << "p2pmon-collector " << kVersion << "\n";
    return 0;
  }
  po::notify(vm);
  core::LogLevel logLevel{};
  if (!core::parseLogLevel(level, logLevel)) throw std::runtime_error("bad --log-level " + level);
  core::setLogLevel(logLevel);
  if (encryption != 0 && encryption != 1) {
    throw std::runtime_error("--nsca-encryption must be 0 or 1 (the mcrypt methods are not supported)");
  }
  if (!tokenFile.empty()) token = readTokenFile(tokenFile);
  if (!nagios.writeDir.empty()) {
    return collector::writeNagiosConfigCommand(db, nagios, endpoint(httpListen, "http-listen"));
  }

  // Signals are taken by sigwait below; threads started after this inherit the mask.
  sigset_t stopSignals;
  sigemptyset(&stopSignals);
  sigaddset(&stopSignals, SIGINT);
  sigaddset(&stopSignals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  collector::Stats stats;
  collector::StoreWriter store(db);
  collector::StoreReader reader(db, 8);
  collector::IngestWriter writer(store, stats, {.retentionDays = retentionDays});
  // Crawl snapshots: written on the ingest writer's thread (one writer).
  collector::CrawlStore crawlStore(db, {.keepPeers = crawlRetention, .days = retentionDays});
  collector::CrawlReader crawlReader(db);
  std::unique_ptr<collector::NagiosForwarder> forwarder;
  if (!commandFile.empty()) {
    forwarder = std::make_unique<collector::NagiosForwarder>(commandFile, db, reader, stats);
    writer.onCommit([&](std::int64_t id) { forwarder->notify(id); });
    forwarder->start();
  }
  writer.start();

  collector::NscaListener nsca(
      {.listen = endpoint(nscaListen, "nsca-listen"),
       .password = nscaPassword,
       .encryption = static_cast<core::nsca::Encryption>(encryption)},
      writer, stats);
  collector::HttpApi http({.listen = endpoint(httpListen, "http-listen"),
                           .token = token,
                           .maxBodyBytes = maxBody << 20,
                           .dbPath = db},
                          reader, writer, stats);
  http.addRoutes([api = std::make_shared<collector::CrawlApi>(
                      collector::CrawlDocLimits{}, crawlStore, crawlReader, writer,
                      [&http](const httplib::Request& req) { return http.authorized(req); })](
                     httplib::Server& s) { api->install(s); });
  http.addRoutes([api = std::make_shared<collector::NagiosApi>(
                      nagios, db, [&http, listen = endpoint(httpListen, "http-listen")] {
                        return core::HostPort{listen.host, http.port()};
                      })](httplib::Server& s) { api->install(s); });
  // The dashboard: its JSON endpoints, then its static files at / (docs/api.md "Dashboard").
  collector::DashboardReader dashboardReader(reader, db);
  http.addRoutes([api = std::make_shared<collector::DashboardApi>(dashboardReader, reader)](
                     httplib::Server& s) { api->install(s); });
  http.addRoutes([web = std::make_shared<collector::WebRoot>(webRoot)](httplib::Server& s) {
    web->install(s);
  });
  nsca.start();
  http.start();
  const std::string httpHost = endpoint(httpListen, "http-listen").host;
  std::cout << "p2pmon-collector " << kVersion << ": HTTP API on http://"
            << core::HostPort{httpHost, http.port()}.str() << "/api/v1/ , NSCA on "
            << core::HostPort{endpoint(nscaListen, "nsca-listen").host, nsca.port()}.str()
            << " , database " << db << std::endl;

  int sig = 0;
  sigwait(&stopSignals, &sig);
  core::logInfo(std::string("stopping on ") + (sig == SIGINT ? "SIGINT" : "SIGTERM"));
  nsca.stop();
  http.stop();
  writer.stop();  // commits whatever is still queued
  if (forwarder) forwarder->stop();
  core::logInfo("stopped; all accepted results are committed");
  return 0;
} catch (const std::exception& e) {
  std::cerr << "p2pmon-collector: " << e.what() << "\n";
  return 2;
}
