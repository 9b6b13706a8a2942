#include <doctest/doctest.h>

#include "collector/crawl_api.hpp"
#include "collector/crawl_store.hpp"
#include "collector/dashboard_api.hpp"
#include "collector/dashboard_reader.hpp"
#include "collector/store_writer.hpp"
#include "collector/web_root.hpp"
#include "tests/support/crawl_samples.hpp"
#include "tests/support/temp_dir.hpp"

using namespace p2pmon;
using namespace p2pmon::collector;
using p2pmon::test::nodeId;
using p2pmon::test::TempDb;

namespace {
CrawlPeerRow peer(int i, bool reachable, std::optional<int> successor) {
  CrawlPeerRow p;
  p.nodeId = nodeId(i);
  p.address = "127.0.0.1:" + std::to_string(4000 + i);
  p.reachable = reachable;
  if (!reachable) p.error = "timeout";
  if (successor) p.successor = nodeId(*successor);
  p.detail = "{}";
  return p;
}

ServiceStatus status(std::string host, std::string service, core::State state,
                     std::string output, std::string perfdata = "") {
  ServiceStatus s;
  s.last = {std::move(host), std::move(service), state, std::move(output), std::move(perfdata),
            100, "test"};
  s.lastStateChange = 50;
  return s;
}

const nlohmann::ordered_json& byHost(const nlohmann::ordered_json& ring, const std::string& host) {
  for (const auto& p : ring["peers"])
    if (p["host"] == host) return p;
  FAIL("no peer " << host);
  return ring;
}
}  // namespace

TEST_CASE("dashboard: a state list takes numbers and names, sorted and each once") {
  CHECK(parseStateList("2,0") == std::vector<int>{0, 2});
  CHECK(parseStateList("critical,WARNING,2") == std::vector<int>{1, 2});
  CHECK(parseStateList("") == std::vector<int>{});
  CHECK_FALSE(parseStateList("4").has_value());
  CHECK_FALSE(parseStateList("0,bad").has_value());
}

TEST_CASE("dashboard: the NAT type is read from a nat_behaviour output") {
  CHECK(natTypeOf("NAT OK - open (mapping endpoint_independent, filtering endpoint_independent), "
                  "mapped 127.0.0.1:48635, hairpinning") == "open");
  CHECK(natTypeOf("NAT OK - port_restricted_cone (mapping endpoint_independent, filtering "
                  "address_port_dependent)") == "port_restricted_cone");
  CHECK(natTypeOf("NAT WARNING - symmetric, expected open") == "symmetric");
  CHECK(natTypeOf("NAT CRITICAL - UDP blocked: no STUN answer from 192.0.2.1:3478 within 3 s") ==
        "blocked");
  CHECK(natTypeOf("NAT UNKNOWN - NAT type undetermined via x: timeout") == "unknown");
  CHECK(natTypeOf("garbage") == "unknown");
}

TEST_CASE("dashboard: the ring colours peers by their worst state, unreachable ones CRITICAL") {
  CrawlRow crawl;
  crawl.id = 7;
  crawl.rings = "[3]";
  // 0 -> 1 -> 2 -> 0, and 3 is unreachable; 2 also appears again unreachable (a second sighting).
  std::vector<CrawlPeerRow> peers = {peer(0, true, 1), peer(1, true, 2), peer(2, true, 0),
                                     peer(3, false, std::nullopt), peer(2, false, std::nullopt)};
  std::vector<std::pair<std::string, int>> worst = {
      {"peer-01000000", 0}, {"peer-02000000", 1}, {"peer-04000000", 0}};
  const auto ring = renderRing(crawl, peers, worst);
  CHECK(ring["crawl"]["id"] == 7);
  CHECK(ring["placed"] == 4);
  CHECK(ring["peers"].size() == 4);
  CHECK(byHost(ring, "peer-01000000")["worst_state"] == 0);
  CHECK(byHost(ring, "peer-02000000")["worst_state"] == 1);
  CHECK(byHost(ring, "peer-03000000")["worst_state"] == 3);  // no results: UNKNOWN
  CHECK(byHost(ring, "peer-03000000")["reachable"] == true);  // the reachable sighting wins
  CHECK(byHost(ring, "peer-04000000")["worst_state"] == 2);   // unreachable beats its OK results
  CHECK(byHost(ring, "peer-04000000")["worst_state_name"] == "CRITICAL");
  CHECK(ring["dead_successors"] == 0);
  for (int i = 0; i < 3; ++i) CHECK(ring["peers"][i]["ring"] == 0);
  CHECK(ring["peers"][3]["ring"].is_null());
}

TEST_CASE("dashboard: dead successors are flagged and partitions numbered largest first") {
  CrawlRow crawl;
  crawl.rings = "[3,2]";
  // Ring A: 0 -> 1 -> 0 (2 peers); ring B: 2 -> 3 -> 4 -> 2 (3 peers);
  // 5 -> 6 (unreachable): dead; 7 -> 0: leads into ring A; 8 -> an unknown id: dead.
  std::vector<CrawlPeerRow> peers = {peer(0, true, 1), peer(1, true, 0), peer(2, true, 3),
                                     peer(3, true, 4), peer(4, true, 2), peer(5, true, 6),
                                     peer(6, false, std::nullopt), peer(7, true, 0),
                                     peer(8, true, 99)};
  const auto ring = renderRing(crawl, peers, {});
  const auto& list = ring["peers"];
  CHECK(list[0]["ring"] == 1);
  CHECK(list[1]["ring"] == 1);
  CHECK(list[2]["ring"] == 0);
  CHECK(list[4]["ring"] == 0);
  CHECK(list[5]["ring"].is_null());
  CHECK(list[5]["dead_successor"] == true);
  CHECK(list[7]["ring"] == 1);
  CHECK(list[7]["dead_successor"] == false);
  CHECK(list[8]["dead_successor"] == true);
  CHECK(ring["dead_successors"] == 2);
  CHECK(ring["crawl"]["partitioned"] == true);
}

TEST_CASE("dashboard: rings follow each peer's first reachable successor, as the crawl counts them") {
  CrawlRow crawl;
  crawl.rings = "[3]";
  auto listed = [](int i, std::vector<int> successors) {
    auto p = peer(i, true, successors.front());
    nlohmann::json list = nlohmann::json::array();
    for (int s : successors) list.push_back(nodeId(s));
    p.detail = nlohmann::json{{"successors", list}}.dump();
    return p;
  };
  // 0 -> [1 (dead), 2], 2 -> [3], 3 -> [0]: one ring of three despite the dead pointer.
  std::vector<CrawlPeerRow> peers = {listed(0, {1, 2}), peer(1, false, std::nullopt),
                                     listed(2, {3}), listed(3, {0, 2})};
  const auto ring = renderRing(crawl, peers, {});
  CHECK(ring["peers"][0]["dead_successor"] == true);
  CHECK(ring["peers"][0]["ring"] == 0);
  CHECK(ring["peers"][1]["ring"].is_null());
  CHECK(ring["peers"][2]["ring"] == 0);
  CHECK(ring["peers"][3]["ring"] == 0);
}

TEST_CASE("dashboard: the overview counts, problems and latest crawl with partitions and churn") {
  OverviewData d;
  d.version = {42, 3};
  d.hostsByState = {5, 1, 2, 0};
  d.servicesByState = {20, 3, 2, 1};
  d.problems.total = 6;
  d.problems.rows = {status("h1", "sip_options", core::State::Critical, "SIP CRITICAL - timeout")};
  CrawlRow c;
  c.id = 3;
  c.found = 10;
  c.reachable = 9;
  c.unreachable = 1;
  c.rings = "[6,3]";
  c.churn = Churn{1, 2, 0};
  d.latestCrawl = c;
  const auto o = renderOverview(d, 110);
  CHECK(o["version"] == nlohmann::ordered_json{{"results", 42}, {"crawl", 3}});
  CHECK(o["hosts"]["total"] == 8);
  CHECK(o["hosts"]["by_state"]["critical"] == 2);
  CHECK(o["services"]["total"] == 26);
  CHECK(o["services"]["by_state"]["unknown"] == 1);
  CHECK(o["problems"]["total"] == 6);
  CHECK(o["problems"]["items"][0]["state_name"] == "CRITICAL");
  CHECK(o["problems"]["items"][0]["last_state_change"] == 50);
  CHECK(o["latest_crawl"]["partitions"] == 2);
  CHECK(o["latest_crawl"]["consistent"] == false);
  CHECK(o["latest_crawl"]["churn"]["left"] == 2);
  d.latestCrawl.reset();
  d.version.crawl.reset();
  const auto none = renderOverview(d, 110);
  CHECK(none["latest_crawl"].is_null());
  CHECK(none["version"]["crawl"].is_null());
}

TEST_CASE("dashboard: the overlay summary counts NAT types and MOS bands, crawls oldest first") {
  std::vector<ServiceStatus> nat = {status("a", "nat_behaviour", core::State::Ok, "NAT OK - open"),
                                    status("b", "nat_behaviour", core::State::Ok, "NAT OK - open"),
                                    status("c", "nat_behaviour", core::State::Ok,
                                           "NAT OK - symmetric (mapping x)")};
  std::vector<ServiceStatus> rtp = {
      status("a", "rtp_quality", core::State::Ok, "RTP OK", "mos=4.41;3.6:;3.1:;1;4.5 loss=0%"),
      status("b", "rtp_quality", core::State::Warning, "RTP WARNING", "r_factor=70 mos=3.5;;;1;4.5"),
      status("c", "rtp_quality", core::State::Critical, "RTP CRITICAL - no answer", ""),
      status("d", "rtp_quality", core::State::Ok, "RTP OK", "mos=4.5")};
  std::vector<CrawlPoint> crawls = {{2, "p2pmon", 200, 10, 9, 1, false},
                                    {1, "p2pmon", 100, 10, 10, 0, true}};
  const auto s = renderOverlaySummary(nat, rtp, crawls);
  CHECK(s["nat_types"] == nlohmann::ordered_json{{"open", 2}, {"symmetric", 1}});
  CHECK(s["mos"]["hosts"] == 4);
  CHECK(s["mos"]["no_value"] == 1);
  const auto& b = s["mos"]["buckets"];
  REQUIRE(b.size() == 6);
  CHECK(b[2]["label"] == "low");
  CHECK(b[2]["count"] == 1);
  CHECK(b[5]["label"] == "best");
  CHECK(b[5]["count"] == 2);  // 4.5 falls into the top band
  CHECK(s["crawls"][0]["id"] == 1);
  CHECK(s["crawls"][1]["unreachable"] == 1);
}

TEST_CASE("dashboard: metrics are averaged per step bucket, newest buckets kept") {
  MetricSeries m{"h", "s", "rtt", "ms", {{0, 1}, {10, 3}, {60, 5}, {61, 7}, {125, 9}}};
  auto out = downsample({m}, 60, 10);
  REQUIRE(out.size() == 1);
  CHECK(out[0].points ==
        std::vector<std::pair<double, double>>{{0, 2}, {60, 6}, {120, 9}});
  out = downsample({m}, 60, 2);
  CHECK(out[0].points == std::vector<std::pair<double, double>>{{60, 6}, {120, 9}});
}

TEST_CASE("dashboard: web root paths, content types and caching") {
  CHECK(webFilePath("/") == "index.html");
  CHECK(webFilePath("/index.html") == "index.html");
  CHECK(webFilePath("/assets/app-ABCDEFGH.js") == "assets/app-ABCDEFGH.js");
  CHECK_FALSE(webFilePath("/../etc/passwd").has_value());
  CHECK_FALSE(webFilePath("/assets/../../x").has_value());
  CHECK_FALSE(webFilePath("/.hidden").has_value());
  CHECK_FALSE(webFilePath("/a/b.js").has_value());
  CHECK(contentTypeFor("index.html") == "text/html; charset=utf-8");
  CHECK(contentTypeFor("assets/app-X.js") == "text/javascript; charset=utf-8");
  CHECK(contentTypeFor("assets/app-X.css") == "text/css; charset=utf-8");
  CHECK(contentTypeFor("favicon.svg") == "image/svg+xml");
  CHECK(contentTypeFor("x.bin") == "application/octet-stream");
  CHECK(cacheControlFor("assets/app-K7OPJLZ5.css") == "public, max-age=31536000, immutable");
  CHECK(cacheControlFor("index.html") == "no-cache");
  CHECK(cacheControlFor("assets/app.js") == "no-cache");
}

TEST_CASE("dashboard reader: problems worst first then oldest, filters, versions, peer records") {
  TempDb db;
  StoreWriter w(db.path);
  StoreReader store(db.path, 2);
  DashboardReader r(store, db.path);
  CHECK(r.version().results == 0);
  CHECK_FALSE(r.version().crawl.has_value());
  auto res = [](std::string host, std::string service, core::State s, double t) {
    return core::CheckResult{std::move(host), std::move(service), s, "out", "", t, "test"};
  };
  std::vector<core::CheckResult> batch = {
      res("peer-01000000", "sip_options", core::State::Warning, 100),
      res("peer-01000000", "rtp_quality", core::State::Critical, 300),
      res("peer-02000000", "sip_options", core::State::Critical, 200),
      res("peer-02000000", "dht_lookup", core::State::Unknown, 50),
      res("other", "sip_options", core::State::Ok, 100)};
  w.append(batch, 400);
  auto problems = r.problems(10);
  CHECK(problems.total == 4);
  REQUIRE(problems.rows.size() == 4);
  CHECK(problems.rows[0].last.host == "peer-02000000");  // CRITICAL since 200
  CHECK(problems.rows[1].last.service == "rtp_quality");  // CRITICAL since 300
  CHECK(problems.rows[2].last.state == core::State::Warning);
  CHECK(problems.rows[3].last.state == core::State::Unknown);
  CHECK(r.problems(1).rows.size() == 1);
  CHECK(r.hostsByState() == std::array<std::int64_t, 4>{1, 0, 2, 0});
  CHECK(r.version().results == 5);

  ServiceFilter f;
  f.host = "PEER-01";
  CHECK(r.services(f).total == 2);
  f.states = {2};
  CHECK(r.services(f).total == 1);
  f = {};
  f.service = "sip";
  f.limit = 2;
  f.offset = 2;
  auto page = r.services(f);
  CHECK(page.total == 3);
  CHECK(page.rows.size() == 1);

  CrawlStore cs(db.path, {});
  const auto doc = parseCrawlDocument(test::crawlSample(3).dump(), test::kNow);
  REQUIRE(doc);
  cs.insert(*doc, judgePeers(*doc, "crawl"), test::kNow);
  CHECK(r.version().crawl == 1);
  auto rec = r.peerRecord("02000000");
  REQUIRE(rec.has_value());
  CHECK(rec->first.id == 1);
  CHECK(rec->second.address == "127.0.0.1:4001");
  const auto page2 = renderPeerPage("peer-02000000", rec,
                                    status("peer-02000000", "nat_behaviour", core::State::Ok,
                                           "NAT OK - full_cone (mapping x)"));
  CHECK(page2["peer"]["successors"].size() == 2);
  CHECK(page2["peer"]["fingers"].size() == 2);
  CHECK(page2["nat"]["type"] == "full_cone");
  CHECK_FALSE(r.peerRecord("0f000000").has_value());
  CHECK(r.latestCrawl(std::nullopt)->found == 3);
  CHECK(r.crawlHistory(std::nullopt, 10).size() == 1);
  CHECK(r.hostKnown("other"));
  CHECK_FALSE(r.hostKnown("nobody"));
}
