#include "collector/nagios_inventory.hpp"

#include <algorithm>
#include <map>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "collector/crawl_results.hpp"
#include "collector/store_schema.hpp"
#include "core/address.hpp"

namespace p2pmon::collector {

namespace {
constexpr int kSamples = 9;  // newest results per service for the interval

std::vector<double> column(Statement& st) {
  std::vector<double> out;
  while (st.step()) out.push_back(st.real(0));
  return out;
}

struct Sighting {
  std::int64_t crawlId = 0, seq = 0;
  std::string address;
  bool reachable = false;
  double lastReachable = 0;
};

void readPeers(Database& db, const std::string& overlay, std::map<std::string, NagiosHost>& hosts) {
  // Every stored sighting, oldest crawl first: the newest reachable one
  // gives the address (else the newest at all), and the newest answer time.
  auto st = db.prepare(
      "SELECT p.node_id, p.crawl_id, p.seq, p.address, p.reachable, c.started_at"
      " FROM crawl_peers AS p JOIN crawls AS c ON c.id = p.crawl_id"
      " WHERE c.overlay = ?1 AND p.node_id IS NOT NULL ORDER BY c.started_at, p.crawl_id, p.seq");
  st.bind(1, overlay);
  std::map<std::string, Sighting> seen;
  while (st.step()) {
    Sighting& s = seen[st.text(0)];
    const bool reachable = st.int64(4) != 0;
    if (reachable || !s.reachable) {
      s.crawlId = st.int64(1);
      s.seq = st.int64(2);
      s.address = st.text(3);
      s.reachable = reachable;
    }
    if (reachable) s.lastReachable = st.real(5);
  }
  auto detail = db.prepare("SELECT detail FROM crawl_peers WHERE crawl_id = ?1 AND seq = ?2");
  for (const auto& [nodeId, s] : seen) {
    NagiosHost h{.host = peerHostName(nodeId), .nodeId = nodeId, .lastSighting = s.lastReachable};
    if (auto hp = core::parseHostPort(s.address)) {
      h.address = hp->host;
      if (hp->port != 0) h.overlayPort = hp->port;
    }
    detail.bind(1, s.crawlId).bind(2, s.seq);
    if (detail.step()) {
      // The peer's diagnostics named its SIP port (p2pmon-crawl: services.sip).
      const auto j = nlohmann::json::parse(detail.textView(0), nullptr, false);
      if (j.is_object() && j.contains("services") && j["services"].is_object()) {
        const auto& sip = j["services"].value("sip", nlohmann::json());
        if (sip.is_number_integer() && sip.get<std::int64_t>() > 0 && sip.get<std::int64_t>() < 65536)
          h.sipPort = static_cast<std::uint16_t>(sip.get<std::int64_t>());
      }
    }
    detail.reset();
    hosts[h.host] = std::move(h);
  }
}
}  // namespace

NagiosInventory readNagiosInventory(Database& db, const std::optional<std::string>& overlay) {
  {
    auto v = db.prepare("PRAGMA user_version");
    v.step();
    if (v.int64(0) != kSchemaVersion) {
      throw std::runtime_error("database schema " + std::to_string(v.int64(0)) + ", expected " +
                               std::to_string(kSchemaVersion) +
                               " (start p2pmon-collector on it once to migrate it)");
    }
  }
  NagiosInventory inv;
  {
    auto st = db.prepare(overlay ? "SELECT overlay FROM crawls WHERE overlay = ?1"
                                   " ORDER BY started_at DESC LIMIT 1"
                                 : "SELECT overlay FROM crawls ORDER BY started_at DESC LIMIT 1");
    if (overlay) st.bind(1, *overlay);
    if (st.step()) inv.overlay = st.text(0);
  }
  std::map<std::string, NagiosHost> hosts;
  if (inv.overlay) {
    auto st = db.prepare("SELECT started_at FROM crawls WHERE overlay = ?1"
                         " ORDER BY started_at DESC LIMIT ?2");
    st.bind(1, *inv.overlay).bind(2, kSamples);
    inv.crawlIntervalS = inferIntervalS(column(st));
    readPeers(db, *inv.overlay, hosts);
  }
  auto cur = db.prepare("SELECT id, host, service, last_check FROM current ORDER BY host, service");
  auto times = db.prepare("SELECT time FROM results WHERE service_id = ?1 ORDER BY time DESC LIMIT ?2");
  while (cur.step()) {
    const std::string host = cur.text(1);
    const std::string service = cur.text(2);
    const double last = cur.real(3);
    auto [it, fresh] = hosts.try_emplace(host, NagiosHost{.host = host});
    it->second.lastCheck = std::max(it->second.lastCheck, last);
    if (service.empty()) continue;  // the host check result
    times.bind(1, cur.int64(0)).bind(2, kSamples);
    inv.services.push_back({host, service, inferIntervalS(column(times)), last});
    times.reset();
  }
  for (auto& [name, h] : hosts) inv.hosts.push_back(std::move(h));
  return inv;
}

}  // namespace p2pmon::collector
