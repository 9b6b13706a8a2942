#include "collector/crawl_store.hpp"

#include <nlohmann/json.hpp>

#include "collector/store_rows.hpp"

namespace p2pmon::collector {

namespace {
constexpr std::int64_t kMaxExpiredPerInsert = 1000;  // whole crawls removed by age per insert

void bindOptional(Statement& st, int index, const std::optional<std::string>& v) {
  if (v) {
    st.bind(index, std::string_view(*v));
  } else {
    st.bindNull(index);
  }
}
}  // namespace

CrawlStore::CrawlStore(const std::string& path, CrawlRetention retention)
    : db_(path, false), retention_(retention) {}

std::optional<Churn> CrawlStore::churnAgainstPrevious(const CrawlDoc& doc) {
  auto prev = db_.prepare(
      "SELECT id, started_at, peers_stored FROM crawls WHERE overlay = ? AND started_at < ? "
      "ORDER BY started_at DESC LIMIT 1");
  prev.bind(1, std::string_view(doc.overlay)).bind(2, doc.startedAt);
  if (!prev.step() || prev.int64(2) == 0) return std::nullopt;
  const std::int64_t id = prev.int64(0);
  const double age = doc.startedAt - prev.real(1);
  auto peers = db_.prepare(
      "SELECT node_id, uptime_s FROM crawl_peers WHERE crawl_id = ? AND reachable = 1");
  peers.bind(1, id);
  std::vector<ChurnPeer> before;
  while (peers.step()) {
    ChurnPeer p{peers.text(0), std::nullopt};
    if (!peers.isNull(1)) p.uptimeS = peers.int64(1);
    before.push_back(std::move(p));
  }
  return computeChurn(before, age, doc);
}

StoredCrawl CrawlStore::insert(const CrawlDoc& doc, const std::vector<PeerVerdict>& verdicts,
                               double received) {
  Transaction tx(db_);
  {
    auto dup = db_.prepare("SELECT id FROM crawls WHERE overlay = ? AND started_at = ?");
    dup.bind(1, std::string_view(doc.overlay)).bind(2, doc.startedAt);
    if (dup.step()) return StoredCrawl{dup.int64(0), true, std::nullopt};
  }
  StoredCrawl stored;
  stored.churn = churnAgainstPrevious(doc);
  auto crawl = db_.prepare(
      "INSERT INTO crawls(overlay, started_at, seconds, received, found, reachable, unreachable, "
      "unvisited, consistent, rings, dangling, churn_joined, churn_left, churn_restarted, "
      "peers_stored, bootstrap, summary, ring) "
      "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)");
  crawl.bind(1, std::string_view(doc.overlay)).bind(2, doc.startedAt).bind(3, doc.seconds);
  crawl.bind(4, received).bind(5, static_cast<std::int64_t>(doc.discovered));
  crawl.bind(6, static_cast<std::int64_t>(doc.answered));
  crawl.bind(7, static_cast<std::int64_t>(doc.failed));
  crawl.bind(8, static_cast<std::int64_t>(doc.unvisited));
  crawl.bind(9, doc.consistent ? 1 : 0).bind(10, std::string_view(nlohmann::json(doc.rings).dump()));
  crawl.bind(11, doc.danglingPointers);
  if (stored.churn) {
    crawl.bind(12, stored.churn->joined).bind(13, stored.churn->left);
    crawl.bind(14, stored.churn->restarted);
  } else {
    crawl.bindNull(12).bindNull(13).bindNull(14);
  }
  crawl.bind(15, std::string_view(doc.bootstrap.dump()));
  crawl.bind(16, std::string_view(doc.summary.dump()));
  crawl.bind(17, std::string_view(doc.ring.dump()));
  crawl.step();
  stored.id = db_.lastInsertId();

  std::vector<std::optional<int>> state(doc.peers.size());
  for (const auto& v : verdicts) state.at(v.index) = static_cast<int>(v.result.state);
  auto peer = db_.prepare(
      "INSERT INTO crawl_peers(crawl_id, seq, node_id, address, reachable, error, rtt_ms, "
      "attempts, software_version, uptime_s, successor, predecessor, state, detail) "
      "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  for (std::size_t i = 0; i < doc.peers.size(); ++i) {
    const auto& p = doc.peers[i];
    peer.bind(1, stored.id).bind(2, static_cast<std::int64_t>(i));
    bindOptional(peer, 3, p.nodeId);
    peer.bind(4, std::string_view(p.address)).bind(5, p.reachable ? 1 : 0);
    bindOptional(peer, 6, p.error);
    if (p.rttMs) {
      peer.bind(7, *p.rttMs);
    } else {
      peer.bindNull(7);
    }
    peer.bind(8, p.attempts);
    bindOptional(peer, 9, p.softwareVersion);
    if (p.uptimeS) {
      peer.bind(10, *p.uptimeS);
    } else {
      peer.bindNull(10);
    }
    bindOptional(peer, 11, p.successors.empty() ? std::nullopt : std::optional(p.successors[0]));
    bindOptional(peer, 12,
                 p.predecessors.empty() ? std::nullopt : std::optional(p.predecessors[0]));
    if (state[i]) {
      peer.bind(13, *state[i]);
    } else {
      peer.bindNull(13);
    }
    peer.bind(14, std::string_view(p.detail.dump()));
    peer.step();
    peer.reset();
  }
  applyRetention(doc.overlay, stored.id, received);
  tx.commit();
  return stored;
}

void CrawlStore::applyRetention(const std::string& overlay, std::int64_t keep, double now) {
  auto dropPeers = db_.prepare("DELETE FROM crawl_peers WHERE crawl_id = ?");
  if (retention_.keepPeers > 0) {
    auto old = db_.prepare(
        "SELECT id FROM crawls WHERE overlay = ? AND peers_stored = 1 "
        "ORDER BY started_at DESC LIMIT -1 OFFSET ?");
    old.bind(1, std::string_view(overlay)).bind(2, static_cast<std::int64_t>(retention_.keepPeers));
    std::vector<std::int64_t> ids;
    while (old.step()) ids.push_back(old.int64(0));
    auto mark = db_.prepare("UPDATE crawls SET peers_stored = 0 WHERE id = ?");
    for (auto id : ids) {
      dropPeers.bind(1, id).step();
      dropPeers.reset();
      mark.bind(1, id).step();
      mark.reset();
    }
  }
  if (retention_.days > 0) {
    auto expired = db_.prepare("SELECT id FROM crawls WHERE started_at < ? AND id != ? LIMIT ?");
    expired.bind(1, now - retention_.days * 86400.0).bind(2, keep).bind(3, kMaxExpiredPerInsert);
    std::vector<std::int64_t> ids;
    while (expired.step()) ids.push_back(expired.int64(0));
    auto drop = db_.prepare("DELETE FROM crawls WHERE id = ?");
    for (auto id : ids) {
      dropPeers.bind(1, id).step();
      dropPeers.reset();
      drop.bind(1, id).step();
      drop.reset();
    }
  }
}

std::vector<CrawlRow> CrawlReader::list(const CrawlQuery& q) {
  auto db = pool_.lease();
  std::vector<CrawlRow> out;
  {
    auto st = db->prepare(std::string("SELECT ") + kCrawlColumns +
                          " FROM crawls WHERE (?1 IS NULL OR overlay = ?1) AND "
                          "(?2 IS NULL OR started_at < ?2) ORDER BY started_at DESC LIMIT ?3");
    bindOptional(st, 1, q.overlay);
    if (q.before) {
      st.bind(2, *q.before);
    } else {
      st.bindNull(2);
    }
    st.bind(3, static_cast<std::int64_t>(q.limit));
    while (st.step()) out.push_back(readCrawl(st));
  }
  return out;
}

std::optional<CrawlRow> CrawlReader::get(std::int64_t id) {
  auto db = pool_.lease();
  auto st = db->prepare(std::string("SELECT ") + kCrawlColumns + " FROM crawls WHERE id = ?");
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  return readCrawl(st);
}

std::optional<CrawlRow> CrawlReader::latest(const std::optional<std::string>& overlay) {
  CrawlQuery q;
  q.overlay = overlay;
  q.limit = 1;
  auto rows = list(q);
  if (rows.empty()) return std::nullopt;
  return std::move(rows.front());
}

std::vector<CrawlPeerRow> CrawlReader::peers(std::int64_t crawlId) {
  auto db = pool_.lease();
  std::vector<CrawlPeerRow> out;
  {
    auto st = db->prepare(std::string("SELECT ") + kCrawlPeerColumns +
                          " FROM crawl_peers WHERE crawl_id = ? ORDER BY seq");
    st.bind(1, crawlId);
    while (st.step()) out.push_back(readCrawlPeer(st));
  }
  return out;
}

}  // namespace p2pmon::collector
