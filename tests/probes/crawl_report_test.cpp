// p2pmon-crawl's forms: the JSON fields, the summary and the exit code.
#include <doctest/doctest.h>

#include "probes/crawl_report.hpp"
#include "probes/replica_sample.hpp"

#include <algorithm>

using namespace p2pmon;
using namespace p2pmon::probes;

namespace {
ChordCrawlResult twoPeers(bool secondAnswers) {
  ChordCrawlResult c;
  const core::NodeId a{1, 0}, b{2, 0};
  ChordPeerVisit va;
  va.peer = {a, "127.0.0.1:1", true, {b}, {b}, {b}, 10};
  va.attempts = 1;
  va.rttMs = 0.1234;
  va.softwareVersion = "p2pmon-peer 0.1.0";
  va.sipPort = 5060;
  ChordPeerVisit vb;
  vb.peer = {b, "127.0.0.1:2", secondAnswers, {}, {}, {}, std::nullopt};
  if (secondAnswers) {
    vb.peer.successors = {a};
    vb.peer.predecessors = {a};
  } else {
    vb.error = "timeout";
  }
  vb.attempts = secondAnswers ? 1 : 3;
  c.peers = {va, vb};
  c.summary.discovered = 2;
  c.summary.answered = secondAnswers ? 2 : 1;
  c.summary.failed = secondAnswers ? 0 : 1;
  c.summary.requests = secondAnswers ? 2 : 4;
  if (!secondAnswers) c.summary.errors["timeout"] = 1;
  c.seconds = 0.5;
  return c;
}
ring::RingReport analyseOf(const ChordCrawlResult& c) {
  std::vector<ring::CrawledPeer> peers;
  for (const auto& v : c.peers) peers.push_back(v.peer);
  return ring::analyse(peers, {}, std::nullopt);
}
}  // namespace

TEST_CASE("crawl report: a healthy two-peer ring") {
  const auto c = twoPeers(true);
  const auto r = analyseOf(c);
  const auto j = crawlJson({"p2pmon", {"127.0.0.1:1"}, 1700000000.0}, c, r);
  CHECK(j["format"] == "p2pmon-crawl/1");
  CHECK(j["summary"]["requests_per_peer"] == 1.0);
  CHECK(j["ring"]["consistent"] == true);
  CHECK(j["ring"]["rings"] == nlohmann::json::array({2}));
  CHECK(j["peers"][0]["rtt_ms"] == 0.123);
  CHECK(j["peers"][0]["services"]["sip"] == 5060);
  CHECK(j["peers"][0]["services"]["stun"].is_null());
  CHECK(crawlExitCode(c, r) == 0);
  CHECK(crawlSummary({"p2pmon", {}, 0}, c, r).find("ring: consistent, 1 ring") != std::string::npos);
}

TEST_CASE("crawl report: a dead peer is a finding, nothing answering is no crawl") {
  auto c = twoPeers(false);
  auto r = analyseOf(c);
  const auto j = crawlJson({"p2pmon", {"127.0.0.1:1"}, 0}, c, r);
  CHECK(j["ring"]["consistent"] == false);
  CHECK(j["ring"]["dangling_neighbours"] == 2);
  CHECK(j["peers"][1]["error"] == "timeout");
  CHECK(j["peers"][1]["node_id"] == core::NodeId{2, 0}.hex());  // as the other peer names it
  CHECK(j["summary"]["errors"]["timeout"] == 1);
  CHECK(crawlExitCode(c, r) == 1);
  CHECK(crawlSummary({"p2pmon", {}, 0}, c, r).find("NOT consistent") != std::string::npos);
  c.summary.answered = 0;
  CHECK(crawlExitCode(c, r) == 2);
}

TEST_CASE("crawl report: SIP outcomes are in the peers, the summary and the exit code") {
  auto c = twoPeers(true);
  c.peers[0].sip = CrawlSip{200, 1.5, ""};
  CrawlContext ctx{"p2pmon", {"127.0.0.1:1"}, 1.7e9};
  ctx.sipProbed = true;
  const auto r = analyseOf(c);
  auto j = crawlJson(ctx, c, r);
  CHECK(j["peers"][0]["sip"]["status"] == 200);
  CHECK(j["peers"][1]["sip"].is_null());
  CHECK(j["summary"]["sip"]["ok"] == 1);
  CHECK(crawlExitCode(c, r) == 0);
  c.peers[0].sip = CrawlSip{0, 2000, "timeout"};
  j = crawlJson(ctx, c, r);
  CHECK(j["peers"][0]["sip"]["status"].is_null());
  CHECK(j["peers"][0]["sip"]["error"] == "timeout");
  CHECK(crawlSummary(ctx, c, r).find("sip: 1 peers probed, 0 answered 2xx, 1 failed") != std::string::npos);
  CHECK(crawlExitCode(c, r) == 1);
}

TEST_CASE("crawl report: a sampled key short of replicas is a finding") {
  const auto c = twoPeers(true);
  std::vector<ring::CrawledPeer> peers;
  for (const auto& v : c.peers) peers.push_back(v.peer);
  const core::NodeId key{1, 5};  // between the two peers: peer b is responsible
  auto full = ring::analyse(peers, {{key, {c.peers[0].peer.id, c.peers[1].peer.id}}}, std::nullopt);
  REQUIRE(full.replicas.size() == 1);
  CHECK(full.replicas[0].expected == 2);
  CHECK(full.replicas[0].present == 2);
  CHECK(crawlExitCode(c, full) == 0);
  auto shortOne = ring::analyse(peers, {{key, {c.peers[1].peer.id}}}, std::nullopt);
  CHECK(shortOne.replicas[0].present == 1);
  CHECK(crawlExitCode(c, shortOne) == 1);
}

TEST_CASE("crawl report: the previous document gives churn input, bad ones a clear error") {
  const auto c = twoPeers(false);
  CrawlContext ctx{"p2pmon", {"127.0.0.1:1"}, 1000.0};
  const auto doc = nlohmann::json::parse(crawlJson(ctx, c, analyseOf(c)).dump());
  auto prev = previousFromJson(doc, 1060.0);
  REQUIRE(prev.ok());
  CHECK(prev->ageS == doctest::Approx(60.0));
  REQUIRE(prev->peers.size() == 1);  // only the reachable one
  CHECK(prev->peers[0].id == c.peers[0].peer.id);
  CHECK(prev->peers[0].uptimeS == 10u);
  CHECK_FALSE(previousFromJson(nlohmann::json::object(), 0).ok());
  auto broken = doc;
  broken["peers"][0]["node_id"] = "xyz";
  CHECK(previousFromJson(broken, 0).error().code == "bad_previous");
}

TEST_CASE("replica sample: keys spread over the reporting peers, holders follow the ring") {
  std::vector<ChordPeerVisit> visits(4);
  for (std::size_t i = 0; i < visits.size(); ++i) {
    visits[i].peer.id = core::NodeId{(i + 1) * 100, 0};
    visits[i].peer.reachable = i != 3;
    visits[i].peer.address = "127.0.0.1:" + std::to_string(1000 + i);
  }
  for (std::uint64_t k = 0; k < 8; ++k) visits[0].storedKeys.push_back({core::NodeId{k, 1}, overlay::RecordKind::UserLocation});
  visits[1].storedKeys.push_back({core::NodeId{150, 0}, overlay::RecordKind::ProxyLocation});
  visits[3].storedKeys.push_back({core::NodeId{350, 0}, overlay::RecordKind::UserLocation});  // unreachable: ignored
  const auto keys = pickSampleKeys(visits, 2, 7);
  REQUIRE(keys.size() == 2);
  // One from each reporting peer before a second from the same one.
  CHECK(std::count_if(keys.begin(), keys.end(), [](const auto& k) { return k.resource == core::NodeId{150, 0}; }) == 1);
  CHECK(pickSampleKeys(visits, 100, 7).size() == 9);
  const auto ring = ringOrder(visits);
  CHECK(ring.size() == 3);
  CHECK(expectedHolders(ring, core::NodeId{150, 0}) == std::vector<std::size_t>{1, 2, 0});
  CHECK(expectedHolders(ring, core::NodeId{301, 0}) == std::vector<std::size_t>{0, 1, 2});  // wraps
}

TEST_CASE("crawl report: a ring broken by a dead peer has no closed ring and says so") {
  const auto c = twoPeers(false);  // a names only b, and b is dead
  CrawlContext ctx{"p2pmon", {"127.0.0.1:1"}, 1.7e9};
  const auto r = analyseOf(c);
  CHECK(r.rings.empty());
  CHECK(crawlSummary(ctx, c, r).find("no closed ring") != std::string::npos);
}
