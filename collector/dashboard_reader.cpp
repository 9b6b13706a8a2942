#include "collector/dashboard_reader.hpp"

#include "collector/store_rows.hpp"

#include "core/state.hpp"

namespace p2pmon::collector {

namespace {

std::string lowered(std::string s) {
  for (auto& c : s) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return s;
}

}  // namespace

DataVersion DashboardReader::version() {
  DataVersion v;
  v.results = store_.maxResultId();  // one b-tree descent, whatever the history's size
  auto db = pool_.lease();
  auto c = db->prepare("SELECT max(id) FROM crawls");
  if (c.step() && !c.isNull(0)) v.crawl = c.int64(0);
  return v;
}

std::array<std::int64_t, 4> DashboardReader::hostsByState() {
  auto db = pool_.lease();
  auto st = db->prepare("SELECT worst_severity, count(*) FROM hosts GROUP BY worst_severity");
  std::array<std::int64_t, 4> out{};
  while (st.step()) {
    const auto s = core::stateOfSeverity(static_cast<int>(st.int64(0)));
    out[static_cast<std::size_t>(s)] += st.int64(1);
  }
  return out;
}

ServicePage DashboardReader::problems(std::size_t limit) {
  auto db = pool_.lease();
  ServicePage page;
  auto count = db->prepare("SELECT count(*) FROM current WHERE severity > 0");
  count.step();
  page.total = count.int64(0);
  auto st = db->prepare(std::string("SELECT ") + kServiceColumns +
                        " FROM current WHERE severity > 0"
                        " ORDER BY severity DESC, last_state_change ASC, host, service LIMIT ?1");
  st.bind(1, static_cast<std::int64_t>(limit));
  while (st.step()) page.rows.push_back(readService(st));
  return page;
}

ServicePage DashboardReader::services(const ServiceFilter& f) {
  std::string where = " WHERE 1";
  if (f.host) where += " AND instr(lower(host), ?1) > 0";
  if (f.service) where += " AND instr(lower(service), ?2) > 0";
  if (!f.states.empty()) {
    where += " AND state IN (";
    for (std::size_t i = 0; i < f.states.size(); ++i) {
      where += (i ? "," : "") + std::to_string(f.states[i]);  // validated 0..3
    }
    where += ")";
  }
  auto bindFilters = [&](Statement& st) {
    if (f.host) st.bind(1, lowered(*f.host));
    if (f.service) st.bind(2, lowered(*f.service));
  };
  auto db = pool_.lease();
  ServicePage page;
  auto count = db->prepare("SELECT count(*) FROM current" + where);
  bindFilters(count);
  count.step();
  page.total = count.int64(0);
  auto st = db->prepare(std::string("SELECT ") + kServiceColumns + " FROM current" + where +
                        " ORDER BY host, service LIMIT ?3 OFFSET ?4");
  bindFilters(st);
  st.bind(3, static_cast<std::int64_t>(f.limit)).bind(4, static_cast<std::int64_t>(f.offset));
  while (st.step()) page.rows.push_back(readService(st));
  return page;
}

std::vector<std::pair<std::string, int>> DashboardReader::worstStates() {
  auto db = pool_.lease();
  auto st = db->prepare("SELECT host, worst_severity FROM hosts ORDER BY host");
  std::vector<std::pair<std::string, int>> out;
  while (st.step()) {
    out.emplace_back(st.text(0),
                     static_cast<int>(core::stateOfSeverity(static_cast<int>(st.int64(1)))));
  }
  return out;
}

std::vector<ServiceStatus> DashboardReader::currentOf(const std::string& service) {
  auto db = pool_.lease();
  auto st = db->prepare(std::string("SELECT ") + kServiceColumns +
                        " FROM current WHERE service = ?1 ORDER BY host");
  st.bind(1, service);
  std::vector<ServiceStatus> out;
  while (st.step()) out.push_back(readService(st));
  return out;
}

bool DashboardReader::hostKnown(const std::string& host) {
  auto db = pool_.lease();
  auto st = db->prepare("SELECT 1 FROM hosts WHERE host = ?1");
  st.bind(1, host);
  return st.step();
}

namespace {
void bindOverlay(Statement& st, const std::optional<std::string>& overlay) {
  if (overlay) {
    st.bind(1, std::string_view(*overlay));
  } else {
    st.bindNull(1);
  }
}
}  // namespace

std::optional<CrawlRow> DashboardReader::latestCrawl(const std::optional<std::string>& overlay) {
  auto db = pool_.lease();
  auto st = db->prepare(std::string("SELECT ") + kCrawlFigureColumns +
                        " FROM crawls WHERE (?1 IS NULL OR overlay = ?1)"
                        " ORDER BY started_at DESC LIMIT 1");
  bindOverlay(st, overlay);
  if (!st.step()) return std::nullopt;
  return readCrawlFigures(st);
}

std::vector<CrawlPeerRow> DashboardReader::ringPeers(std::int64_t crawlId) {
  auto db = pool_.lease();
  auto st = db->prepare(
      "SELECT node_id, address, reachable, error, successor, predecessor, state, "
      "json_extract(detail, '$.successors') FROM crawl_peers WHERE crawl_id = ?1 ORDER BY seq");
  st.bind(1, crawlId);
  std::vector<CrawlPeerRow> out;
  while (st.step()) {
    CrawlPeerRow p;
    if (!st.isNull(0)) p.nodeId = st.text(0);
    p.address = st.text(1);
    p.reachable = st.int64(2) != 0;
    if (!st.isNull(3)) p.error = st.text(3);
    if (!st.isNull(4)) p.successor = st.text(4);
    if (!st.isNull(5)) p.predecessor = st.text(5);
    if (!st.isNull(6)) p.state = static_cast<int>(st.int64(6));
    p.detail = st.isNull(7) ? "{}" : "{\"successors\":" + st.text(7) + "}";
    out.push_back(std::move(p));
  }
  return out;
}

std::vector<CrawlPoint> DashboardReader::crawlHistory(const std::optional<std::string>& overlay,
                                                      std::size_t limit) {
  auto db = pool_.lease();
  auto st = db->prepare(
      "SELECT id, overlay, started_at, found, reachable, unreachable, consistent FROM crawls"
      " WHERE (?1 IS NULL OR overlay = ?1) ORDER BY started_at DESC LIMIT ?2");
  bindOverlay(st, overlay);
  st.bind(2, static_cast<std::int64_t>(limit));
  std::vector<CrawlPoint> out;
  while (st.step()) {
    out.push_back({st.int64(0), st.text(1), st.real(2), st.int64(3), st.int64(4), st.int64(5),
                   st.int64(6) != 0});
  }
  return out;
}

std::optional<std::pair<CrawlRow, CrawlPeerRow>> DashboardReader::peerRecord(
    const std::string& prefix, std::size_t crawls) {
  auto db = pool_.lease();
  std::vector<CrawlRow> recent;
  {
    auto st = db->prepare(std::string("SELECT ") + kCrawlFigureColumns +
                          " FROM crawls WHERE peers_stored != 0 ORDER BY started_at DESC LIMIT ?1");
    st.bind(1, static_cast<std::int64_t>(crawls));
    while (st.step()) recent.push_back(readCrawlFigures(st));
  }
  // One crawl's peers by its primary key; a reachable sighting first.
  auto st = db->prepare(std::string("SELECT ") + kCrawlPeerColumns +
                        " FROM crawl_peers WHERE crawl_id = ?1"
                        " AND substr(node_id, 1, ?2) = ?3 ORDER BY reachable DESC, seq LIMIT 1");
  for (auto& crawl : recent) {
    st.reset();
    st.bind(1, crawl.id).bind(2, static_cast<std::int64_t>(prefix.size())).bind(3, prefix);
    if (!st.step()) continue;
    return std::pair{std::move(crawl), readCrawlPeer(st)};
  }
  return std::nullopt;
}

}  // namespace p2pmon::collector
