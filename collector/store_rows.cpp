#include "collector/store_rows.hpp"

namespace p2pmon::collector {

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

CrawlRow readCrawlFigures(const Statement& st) {
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

CrawlRow readCrawl(const Statement& st) {
  CrawlRow r = readCrawlFigures(st);
  r.bootstrap = st.text(16);
  r.summary = st.text(17);
  r.ring = st.text(18);
  return r;
}

CrawlPeerRow readCrawlPeer(const Statement& st) {
  auto optionalText = [&](int col) {
    return st.isNull(col) ? std::nullopt : std::optional(st.text(col));
  };
  CrawlPeerRow p;
  p.nodeId = optionalText(0);
  p.address = st.text(1);
  p.reachable = st.int64(2) != 0;
  p.error = optionalText(3);
  if (!st.isNull(4)) p.rttMs = st.real(4);
  p.attempts = st.int64(5);
  p.softwareVersion = optionalText(6);
  if (!st.isNull(7)) p.uptimeS = st.int64(7);
  p.successor = optionalText(8);
  p.predecessor = optionalText(9);
  if (!st.isNull(10)) p.state = static_cast<int>(st.int64(10));
  p.detail = st.text(11);
  return p;
}

}  // namespace p2pmon::collector
