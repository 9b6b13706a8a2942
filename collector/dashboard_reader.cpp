#include "collector/dashboard_reader.hpp"

#include "core/state.hpp"

namespace p2pmon::collector {

namespace {
constexpr std::size_t kIdle = 4;  // read connections kept open

constexpr const char* kServiceColumns =
    "host, service, state, output, perfdata, last_check, last_state_change, source";

ServiceStatus readService(const Statement& st) {
  ServiceStatus s;
  s.last.host = st.text(0);
  s.last.service = st.text(1);
  s.last.state = static_cast<core::State>(st.int64(2));
  s.last.output = st.text(3);
  s.last.perfdata = st.text(4);
  s.last.time = st.real(5);
  s.lastStateChange = st.real(6);
  s.last.source = st.text(7);
  return s;
}

std::string lowered(std::string s) {
  for (auto& c : s) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return s;
}

}  // namespace

std::unique_ptr<Database> DashboardReader::acquire() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      auto db = std::move(idle_.back());
      idle_.pop_back();
      return db;
    }
  }
  return std::make_unique<Database>(path_, true);
}

void DashboardReader::release(std::unique_ptr<Database> db) {
  std::lock_guard lock(mutex_);
  if (db && idle_.size() < kIdle) idle_.push_back(std::move(db));
}

// A pooled connection, back to the pool when the scope ends.
class DashboardReader::Lease {
 public:
  explicit Lease(DashboardReader& owner) : owner_(owner), db_(owner.acquire()) {}
  ~Lease() { owner_.release(std::move(db_)); }
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  Database* operator->() { return db_.get(); }

 private:
  DashboardReader& owner_;
  std::unique_ptr<Database> db_;
};

DataVersion DashboardReader::version() {
  Lease db(*this);
  DataVersion v;
  // max() of an INTEGER PRIMARY KEY is one b-tree descent, whatever the size.
  auto r = db->prepare("SELECT coalesce(max(id), 0) FROM results");
  r.step();
  v.results = r.int64(0);
  auto c = db->prepare("SELECT max(id) FROM crawls");
  if (c.step() && !c.isNull(0)) v.crawl = c.int64(0);
  return v;
}

std::array<std::int64_t, 4> DashboardReader::hostsByState() {
  Lease db(*this);
  auto st = db->prepare("SELECT worst_severity, count(*) FROM hosts GROUP BY worst_severity");
  std::array<std::int64_t, 4> out{};
  while (st.step()) {
    const auto s = core::stateOfSeverity(static_cast<int>(st.int64(0)));
    out[static_cast<std::size_t>(s)] += st.int64(1);
  }
  return out;
}

std::array<std::int64_t, 4> DashboardReader::servicesByState() {
  Lease db(*this);
  auto st = db->prepare("SELECT state, count(*) FROM current WHERE service != '' GROUP BY state");
  std::array<std::int64_t, 4> out{};
  while (st.step()) {
    const auto s = st.int64(0);
    if (s >= 0 && s < 4) out[static_cast<std::size_t>(s)] = st.int64(1);
  }
  return out;
}

ServicePage DashboardReader::problems(std::size_t limit) {
  Lease db(*this);
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
  Lease db(*this);
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
  Lease db(*this);
  auto st = db->prepare("SELECT host, worst_severity FROM hosts ORDER BY host");
  std::vector<std::pair<std::string, int>> out;
  while (st.step()) {
    out.emplace_back(st.text(0),
                     static_cast<int>(core::stateOfSeverity(static_cast<int>(st.int64(1)))));
  }
  return out;
}

std::vector<ServiceStatus> DashboardReader::currentOf(const std::string& service) {
  Lease db(*this);
  auto st = db->prepare(std::string("SELECT ") + kServiceColumns +
                        " FROM current WHERE service = ?1 ORDER BY host");
  st.bind(1, service);
  std::vector<ServiceStatus> out;
  while (st.step()) out.push_back(readService(st));
  return out;
}

std::optional<ServiceStatus> DashboardReader::current(const std::string& host,
                                                      const std::string& service) {
  Lease db(*this);
  auto st = db->prepare(std::string("SELECT ") + kServiceColumns +
                        " FROM current WHERE host = ?1 AND service = ?2");
  st.bind(1, host).bind(2, service);
  if (!st.step()) return std::nullopt;
  return readService(st);
}

bool DashboardReader::hostKnown(const std::string& host) {
  Lease db(*this);
  auto st = db->prepare("SELECT 1 FROM hosts WHERE host = ?1");
  st.bind(1, host);
  return st.step();
}

namespace {
constexpr const char* kCrawlFigures =
    "id, overlay, started_at, seconds, received, found, reachable, unreachable, unvisited, "
    "consistent, rings, dangling, churn_joined, churn_left, churn_restarted, peers_stored";

CrawlRow readFigures(const Statement& st) {
  CrawlRow r;
  r.id = st.int64(0);
  r.overlay = st.text(1);
  r.startedAt = st.real(2);
  r.seconds = st.real(3);
  r.received = st.real(4);
  r.found = st.int64(5);
  r.reachable = st.int64(6);
  r.unreachable = st.int64(7);
  r.unvisited = st.int64(8);
  r.consistent = st.int64(9) != 0;
  r.rings = st.text(10);
  r.dangling = st.int64(11);
  if (!st.isNull(12)) r.churn = Churn{st.int64(12), st.int64(13), st.int64(14)};
  r.peersStored = st.int64(15) != 0;
  return r;
}

void bindOverlay(Statement& st, const std::optional<std::string>& overlay) {
  if (overlay) {
    st.bind(1, std::string_view(*overlay));
  } else {
    st.bindNull(1);
  }
}
}  // namespace

std::optional<CrawlRow> DashboardReader::latestCrawl(const std::optional<std::string>& overlay) {
  Lease db(*this);
  auto st = db->prepare(std::string("SELECT ") + kCrawlFigures +
                        " FROM crawls WHERE (?1 IS NULL OR overlay = ?1)"
                        " ORDER BY started_at DESC LIMIT 1");
  bindOverlay(st, overlay);
  if (!st.step()) return std::nullopt;
  return readFigures(st);
}

std::vector<CrawlPeerRow> DashboardReader::ringPeers(std::int64_t crawlId) {
  Lease db(*this);
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
  Lease db(*this);
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
  Lease db(*this);
  std::vector<CrawlRow> recent;
  {
    auto st = db->prepare(std::string("SELECT ") + kCrawlFigures +
                          " FROM crawls WHERE peers_stored != 0 ORDER BY started_at DESC LIMIT ?1");
    st.bind(1, static_cast<std::int64_t>(crawls));
    while (st.step()) recent.push_back(readFigures(st));
  }
  // One crawl's peers by its primary key; a reachable sighting first.
  auto st = db->prepare(
      "SELECT node_id, address, reachable, error, rtt_ms, attempts, software_version, uptime_s, "
      "successor, predecessor, state, detail FROM crawl_peers WHERE crawl_id = ?1 "
      "AND substr(node_id, 1, ?2) = ?3 ORDER BY reachable DESC, seq LIMIT 1");
  for (auto& crawl : recent) {
    st.reset();
    st.bind(1, crawl.id).bind(2, static_cast<std::int64_t>(prefix.size())).bind(3, prefix);
    if (!st.step()) continue;
    CrawlPeerRow p;
    p.nodeId = st.text(0);
    p.address = st.text(1);
    p.reachable = st.int64(2) != 0;
    if (!st.isNull(3)) p.error = st.text(3);
    if (!st.isNull(4)) p.rttMs = st.real(4);
    p.attempts = st.int64(5);
    if (!st.isNull(6)) p.softwareVersion = st.text(6);
    if (!st.isNull(7)) p.uptimeS = st.int64(7);
    if (!st.isNull(8)) p.successor = st.text(8);
    if (!st.isNull(9)) p.predecessor = st.text(9);
    if (!st.isNull(10)) p.state = static_cast<int>(st.int64(10));
    p.detail = st.text(11);
    return std::pair{std::move(crawl), std::move(p)};
  }
  return std::nullopt;
}

}  // namespace p2pmon::collector
