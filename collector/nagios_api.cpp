#include "collector/nagios_api.hpp"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <boost/program_options.hpp>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "collector/nagios_inventory.hpp"
#include "collector/sqlite_db.hpp"
#include "core/clock.hpp"
#include "core/log.hpp"

namespace p2pmon::collector {

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace {
std::string urlOf(const NagiosSettings& s, const core::HostPort& listen) {
  return s.generator.collectorUrl.empty() ? "http://" + listen.str() : s.generator.collectorUrl;
}

std::optional<std::string> readWhole(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Temporary file in the same directory, flushed to disk, renamed over `p`:
// Nagios (or a reload) never reads half a file.
void writeAtomically(const fs::path& p, const std::string& text) {
  const fs::path tmp = p.parent_path() / ("." + p.filename().string() + ".tmp." +
                                          std::to_string(::getpid()));
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) throw std::runtime_error("cannot create " + tmp.string());
  const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size() &&
                  std::fflush(f) == 0 && ::fsync(::fileno(f)) == 0;
  if (std::fclose(f) != 0 || !ok) {
    fs::remove(tmp);
    throw std::runtime_error("cannot write " + tmp.string());
  }
  std::error_code ec;
  fs::permissions(tmp, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                           fs::perms::others_read, ec);
  fs::rename(tmp, p, ec);
  if (ec) {
    fs::remove(tmp);
    throw std::runtime_error("cannot rename " + tmp.string() + " to " + p.string() + ": " +
                             ec.message());
  }
}
}  // namespace

po::options_description nagiosOptionDescription(NagiosSettings& s) {
  po::options_description d("Nagios configuration (docs/operations.md \"Nagios configuration\")");
  auto& g = s.generator;
  g.collectorUrl.clear();
  d.add_options()
      ("write-nagios-config", po::value(&s.writeDir),
       "write the Nagios object configuration to DIR/p2pmon.cfg (when it changed) and exit")
      ("nagios-plugin-dir", po::value(&g.pluginDir)->default_value(g.pluginDir),
       "where Nagios finds the check_p2p_* plugins")
      ("nagios-collector-url", po::value(&g.collectorUrl),
       "collector URL the plugins ask (default: http:// + --http-listen)")
      ("nagios-grace", po::value(&g.graceS)->default_value(g.graceS),
       "seconds after which a host (no result, no crawl answer) or service (no result) is "
       "left out; 0 keeps all")
      ("nagios-lookup-aor", po::value(&g.lookupAor),
       "AOR check_p2p_lookup looks up through every peer (register it); default: each peer's "
       "agent canary, for peers that report dht_lookup")
      ("nagios-overlay", po::value<std::string>()->notifier([&s](const std::string& v) {
         s.overlay = v;
       }),
       "the overlay whose crawls give the peers (default: that of the newest crawl)")
      ("nagios-overlay-host", po::value(&g.overlayHost)->default_value(g.overlayHost),
       "host name of the overlay's check_p2p_overlay service")
      ("nagios-host-template", po::value(&g.hostTemplate),
       "existing host template the generated p2pmon-host uses (e.g. generic-host)")
      ("nagios-service-template", po::value(&g.serviceTemplate),
       "existing service template the generated service templates use (e.g. generic-service)")
      ("nagios-check-interval", po::value(&g.checkInterval)->default_value(g.checkInterval),
       "active checks' check_interval, in Nagios interval_length units")
      ("nagios-retry-interval", po::value(&g.retryInterval)->default_value(g.retryInterval),
       "active checks' retry_interval, in interval_length units");
  return d;
}

NagiosConfig nagiosConfigFromDatabase(const std::string& dbPath, const NagiosSettings& s,
                                      const std::string& collectorUrl, double now) {
  NagiosConfigOptions o = s.generator;
  o.collectorUrl = collectorUrl;
  o.now = now;
  if (auto ok = checkNagiosOptions(o); !ok) throw std::runtime_error(ok.error().message);
  if (!fs::exists(dbPath)) throw std::runtime_error("no database " + dbPath);
  Database db(dbPath, true);
  return generateNagiosConfig(readNagiosInventory(db, s.overlay), o);
}

int writeNagiosConfigCommand(const std::string& dbPath, const NagiosSettings& s,
                             const core::HostPort& httpListen) try {
  const NagiosConfig cfg =
      nagiosConfigFromDatabase(dbPath, s, urlOf(s, httpListen), core::nowSeconds());
  for (const auto& skipped : cfg.skipped) std::cerr << "p2pmon-collector: left out " << skipped << "\n";
  const fs::path dir(s.writeDir);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (!fs::is_directory(dir)) throw std::runtime_error("cannot create directory " + dir.string());
  const fs::path file = dir / kNagiosConfigFile;
  const bool same = readWhole(file) == cfg.text;
  if (!same) writeAtomically(file, cfg.text);
  std::cout << file.string() << (same ? " unchanged" : " written") << ": " << cfg.hosts
            << " hosts, " << cfg.passive << " passive and " << cfg.active
            << " active peer services, " << cfg.skipped.size() << " left out" << std::endl;
  return 0;
} catch (const std::exception& e) {
  std::cerr << "p2pmon-collector: --write-nagios-config: " << e.what() << "\n";
  return 1;
}

NagiosApi::NagiosApi(NagiosSettings settings, std::string dbPath,
                     std::function<core::HostPort()> listen)
    : settings_(std::move(settings)), dbPath_(std::move(dbPath)), listen_(std::move(listen)) {}

void NagiosApi::install(httplib::Server& server) {
  server.Get("/api/v1/nagios/objects.cfg", [this](const httplib::Request&, httplib::Response& res) {
    try {
      const auto cfg = nagiosConfigFromDatabase(dbPath_, settings_, urlOf(settings_, listen_()),
                                                core::nowSeconds());
      res.set_content(cfg.text, "text/plain; charset=utf-8");
    } catch (const std::exception& e) {
      core::logWarning(std::string("nagios objects.cfg: ") + e.what());
      res.status = 500;
      res.set_content(std::string(R"({"error":"nagios_config","message":)") +
                          nlohmann::json(e.what()).dump() + "}",
                      "application/json");
    }
  });
}

}  // namespace p2pmon::collector
