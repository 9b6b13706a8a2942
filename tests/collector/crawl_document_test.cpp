#include <doctest/doctest.h>

#include <cstdio>

#include "collector/crawl_document.hpp"
#include "collector/crawl_results.hpp"
#include "tests/support/crawl_samples.hpp"

using namespace p2pmon;
using namespace p2pmon::collector;
using nlohmann::json;
using test::crawlSample;
using test::kNow;

namespace {
std::string error(const json& doc, const CrawlDocLimits& limits = {}) {
  auto d = parseCrawlDocument(doc.dump(), kNow, limits);
  return d ? std::string("accepted") : d.error().code + ": " + d.error().message;
}

const core::CheckResult* resultFor(const std::vector<PeerVerdict>& v, const std::string& host) {
  for (const auto& x : v)
    if (x.result.host == host) return &x.result;
  return nullptr;
}
}  // namespace

TEST_CASE("crawl document: a p2pmon-crawl/1 document is read with its peers in order") {
  const json doc = crawlSample(4);
  auto d = parseCrawlDocument(doc.dump(), kNow);
  REQUIRE(d);
  CHECK(d->overlay == "p2pmon");
  CHECK(d->discovered == 4);
  CHECK(d->answered == 4);
  CHECK(d->consistent);
  CHECK(d->rings == std::vector<std::int64_t>{4});
  REQUIRE(d->peers.size() == 4);
  CHECK(d->peers[0].nodeId == test::nodeId(0));
  CHECK(d->peers[0].successors.front() == test::nodeId(1));
  CHECK(d->peers[0].softwareVersion == "p2pmon-peer 0.1.0");
  CHECK_FALSE(d->ring.contains("order"));  // the peers give it
  // What has no column stays in the detail object, later fields included.
  CHECK(d->peers[0].detail.contains("services"));
  CHECK(d->peers[0].detail.contains("fingers"));
  CHECK_FALSE(d->peers[0].detail.contains("address"));
}

TEST_CASE("crawl document: broken documents are refused naming the field") {
  CHECK(error(json::array()) == "bad_crawl: document: not a JSON object");
  CHECK(parseCrawlDocument("{not json", kNow).error().code == "bad_json");
  json doc = crawlSample(3);
  doc["format"] = "p2pmon-crawl/2";
  CHECK(error(doc) == "bad_crawl: format: not \"p2pmon-crawl/1\"");
  doc = crawlSample(3);
  doc["peers"][1]["node_id"] = "XYZ";
  CHECK(error(doc) == "bad_crawl: peers[1].node_id: not 32 lowercase hex digits");
  doc = crawlSample(3);
  doc["peers"][2]["successors"][0] = 7;
  CHECK(error(doc) == "bad_crawl: peers[2].successors[0]: not 32 lowercase hex digits");
  doc = crawlSample(3);
  doc["summary"].erase("answered");
  CHECK(error(doc) == "bad_crawl: summary.answered: missing");
  doc = crawlSample(3);
  doc["summary"]["discovered"] = 4;
  doc["summary"]["unvisited"] = 1;
  CHECK(error(doc) == "bad_crawl: peers: count differs from summary.discovered");
  doc = crawlSample(3);
  doc["peers"][1]["address"] = doc["peers"][0]["address"];
  CHECK(error(doc) == "bad_crawl: peers[1].address: listed twice");
  doc = crawlSample(3);
  doc["peers"][0]["reachable"] = "yes";
  CHECK(error(doc) == "bad_crawl: peers[0].reachable: not true or false");
  doc = crawlSample(3);
  doc["started_at"] = kNow + 7200;
  CHECK(error(doc) == "bad_crawl: document.started_at: out of range");
  doc = crawlSample(3);
  doc["overlay"] = "a\nb";
  CHECK(error(doc).rfind("bad_crawl: document.overlay: empty", 0) == 0);
  doc = crawlSample(3);
  doc["ring"]["rings"] = {2, 2};
  CHECK(error(doc) == "bad_crawl: ring.rings: more peers in rings than reachable");
  doc = crawlSample(3);
  doc["peers"][0]["node_id"] = nullptr;
  CHECK(error(doc) == "bad_crawl: peers[0].node_id: null for a reachable peer");
  doc = crawlSample(3);
  doc["peers"][0]["rtt_ms"] = -1;
  CHECK(error(doc) == "bad_crawl: peers[0].rtt_ms: out of range");
}

TEST_CASE("crawl document: the bounds on peers and lists hold") {
  CrawlDocLimits small;
  small.maxPeers = 3;
  CHECK(error(crawlSample(4), small) ==
        "bad_crawl: peers: more than 3 (the collector's bound)");
  small = {};
  small.maxList = 1;
  CHECK(error(crawlSample(4), small) == "bad_crawl: peers[0].successors: more than 1 entries");
  CHECK(error(crawlSample(4)) == "accepted");
}

TEST_CASE("crawl document: a crawl where nothing answered is a valid document") {
  json doc = crawlSample(0);
  doc["summary"]["discovered"] = 1;
  doc["summary"]["failed"] = 1;
  doc["summary"]["errors"] = {{"timeout", 1}};
  doc["ring"]["found"] = 1;
  doc["peers"] = json::array({test::deadPeer("127.0.0.1:9", nullptr)});
  auto d = parseCrawlDocument(doc.dump(), kNow);
  REQUIRE(d);
  CHECK(d->answered == 0);
  CHECK(judgePeers(*d, "crawl:1").empty());  // nobody named it: no host to report on
}

TEST_CASE("overlay_neighbours: OK on a consistent ring, WARNING on disagreement, CRITICAL when dead") {
  json doc = crawlSample(5);
  // Peer 2 died: the sample's peer 1 and 3 still name it.
  doc["peers"][2] = test::deadPeer("127.0.0.1:4002", test::nodeId(2));
  doc["summary"]["answered"] = 4;
  doc["summary"]["failed"] = 1;
  doc["ring"]["consistent"] = false;
  doc["ring"]["reachable"] = 4;
  doc["ring"]["rings"] = {4};
  auto d = parseCrawlDocument(doc.dump(), kNow);
  REQUIRE(d);
  auto v = judgePeers(*d, "crawl:7");
  REQUIRE(v.size() == 5);
  const auto* dead = resultFor(v, "peer-" + test::nodeId(2).substr(0, 8));
  REQUIRE(dead != nullptr);
  CHECK(dead->state == core::State::Critical);
  CHECK(dead->service == "overlay_neighbours");
  CHECK(dead->output == "NEIGHBOURS CRITICAL - no answer at 127.0.0.1:4002 (timeout after 3 attempts)");
  CHECK(dead->perfdata == "attempts=3;;;0");
  CHECK(dead->source == "crawl:7");
  CHECK(dead->time == doc["started_at"].get<double>() + doc["seconds"].get<double>());
  const auto* before = resultFor(v, "peer-" + test::nodeId(1).substr(0, 8));
  CHECK(before->state == core::State::Warning);
  CHECK(before->output.find("successor " + test::nodeId(2).substr(0, 8) + ", the ring says " +
                            test::nodeId(3).substr(0, 8)) != std::string::npos);
  CHECK(before->output.find("; 1 pointer to an unreachable peer in its successor and predecessor lists") !=
        std::string::npos);
  const auto* ok = resultFor(v, "peer-" + test::nodeId(0).substr(0, 8));
  CHECK(ok->state == core::State::Warning);  // its successor list names the dead peer 2nd
  json healthy = crawlSample(5);
  auto h = parseCrawlDocument(healthy.dump(), kNow);
  auto all = judgePeers(*h, "crawl:1");
  for (const auto& x : all) CHECK(x.result.state == core::State::Ok);
  CHECK(all[0].result.output.rfind("NEIGHBOURS OK - answered in 0.25 ms, successor ", 0) == 0);
  CHECK(all[0].result.perfdata ==
        "rtt=0.25ms;;;0 successors=2;;;0 predecessors=2;;;0 fingers=2;;;0 dangling=0;;;0");
  for (const auto& x : all) CHECK_FALSE(core::validate(x.result, kNow).has_value());
}

TEST_CASE("overlay_neighbours: one result per Node-ID, the reachable sighting wins") {
  json doc = crawlSample(3);
  json ghost = test::deadPeer("127.0.0.1:5000", test::nodeId(1));
  doc["peers"].insert(doc["peers"].begin(), ghost);
  doc["summary"]["discovered"] = 4;
  doc["summary"]["failed"] = 1;
  auto d = parseCrawlDocument(doc.dump(), kNow);
  REQUIRE(d);
  auto v = judgePeers(*d, "crawl:1");
  REQUIRE(v.size() == 3);
  CHECK(v[0].index == 1);  // document order; index 0 was the dead sighting
  for (const auto& x : v) CHECK(x.result.state == core::State::Ok);
}

TEST_CASE("crawl churn: joined, left and restarted against the previous crawl") {
  auto d = parseCrawlDocument(crawlSample(4).dump(), kNow);  // uptimes 1000 + i
  REQUIRE(d);
  std::vector<ChurnPeer> before = {{test::nodeId(0), 900},   // still up
                                   {test::nodeId(1), 2000},  // up less than then: restarted
                                   {test::nodeId(9), 50}};   // gone
  auto c = computeChurn(before, 60, *d);
  CHECK(c.joined == 2);  // 2 and 3
  CHECK(c.left == 1);
  CHECK(c.restarted == 1);
  // Up for less time than passed since the previous crawl: restarted too.
  c = computeChurn({{test::nodeId(0), std::nullopt}}, 5000, *d);
  CHECK(c.restarted == 1);
  CHECK(c.joined == 3);
}
