// p2pmon-crawl's forms: the JSON fields, the summary and the exit code.
#include <doctest/doctest.h>

#include "probes/crawl_report.hpp"

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
