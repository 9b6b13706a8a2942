#include <doctest/doctest.h>

#include "plugins/overlay_check.hpp"
#include "tests/support/crawl_samples.hpp"

using namespace p2pmon;
using namespace p2pmon::plugins;
using nlohmann::json;
using test::crawlSample;
using test::kNow;

namespace {
OverlayAnswer answer(const json& doc) {
  auto f = overlayFactsFromJson(doc);
  REQUIRE(f);
  return {OverlayAnswer::Kind::Crawled, *f, ""};
}

core::Range range(const char* text) { return *core::parseRange(text); }

// 10 peers, `dead` of them unreachable (the last ones), ring as given.
json crawl(std::size_t dead, bool consistent, json rings) {
  json doc = crawlSample(10);
  doc["summary"]["answered"] = 10 - dead;
  doc["summary"]["failed"] = dead;
  if (dead > 0) doc["summary"]["errors"] = {{"timeout", dead}};
  doc["ring"]["consistent"] = consistent;
  doc["ring"]["rings"] = rings;
  doc["ring"]["successor_disagreements"] = consistent ? 0 : 2;
  return doc;
}
}  // namespace

TEST_CASE("overlay check: a healthy crawl is OK with every perfdata item") {
  OverlayCheckOptions o;
  o.peersWarning = range("10:");
  o.peersCritical = range("3:");
  auto out = decideOverlayCheck(o, answer(crawlSample(10)), kNow);
  CHECK(out.state == core::State::Ok);
  CHECK(out.text == "overlay 'p2pmon': 10 peers found, 10 reachable (0% unreachable), ring consistent");
  CHECK(out.perfdata ==
        "peers=10;10:;3:;0 reachable=10;;;0 unreachable=0%;;;0;100 rings=1;;;0 dangling=0;;;0");
}

TEST_CASE("overlay check: the peers thresholds, critical first") {
  OverlayCheckOptions o;
  o.peersWarning = range("20:");
  CHECK(decideOverlayCheck(o, answer(crawlSample(10)), kNow).state == core::State::Warning);
  o.peersCritical = range("11:");
  CHECK(decideOverlayCheck(o, answer(crawlSample(10)), kNow).state == core::State::Critical);
}

TEST_CASE("overlay check: the unreachable share in percent against its ranges") {
  OverlayCheckOptions o;
  o.unreachableWarning = range("10");
  o.unreachableCritical = range("25");
  auto out = decideOverlayCheck(o, answer(crawl(2, true, {8})), kNow);
  CHECK(out.state == core::State::Warning);
  CHECK(out.perfdata.find("unreachable=20%;10;25;0;100") != std::string::npos);
  CHECK(decideOverlayCheck(o, answer(crawl(3, true, {7})), kNow).state == core::State::Critical);
  CHECK(decideOverlayCheck(o, answer(crawl(1, true, {9})), kNow).state == core::State::Ok);
}

TEST_CASE("overlay check: an inconsistent ring warns, a partition is critical, both adjustable") {
  OverlayCheckOptions o;
  auto out = decideOverlayCheck(o, answer(crawl(0, false, {10})), kNow);
  CHECK(out.state == core::State::Warning);
  CHECK(out.text.find("ring NOT consistent (2 successor, 0 predecessor disagreements") !=
        std::string::npos);
  out = decideOverlayCheck(o, answer(crawl(0, false, {6, 4})), kNow);
  CHECK(out.state == core::State::Critical);
  CHECK(out.text.find("partitioned into 2 rings (6, 4)") != std::string::npos);
  CHECK(out.perfdata.find("rings=2;;;0") != std::string::npos);
  o.partitionState = core::State::Warning;
  o.inconsistentState = core::State::Ok;
  CHECK(decideOverlayCheck(o, answer(crawl(0, false, {6, 4})), kNow).state == core::State::Warning);
  CHECK(decideOverlayCheck(o, answer(crawl(0, false, {10})), kNow).state == core::State::Ok);
}

TEST_CASE("overlay check: nothing answered is CRITICAL naming the bootstrap") {
  json doc = crawlSample(0);
  doc["summary"]["discovered"] = 1;
  doc["summary"]["failed"] = 1;
  doc["summary"]["errors"] = {{"timeout", 1}};
  auto out = decideOverlayCheck({}, answer(doc), kNow);
  CHECK(out.state == core::State::Critical);
  CHECK(out.text == "overlay 'p2pmon': no peer answered (bootstrap 127.0.0.1:4000: timeout)");
  CHECK(out.perfdata ==
        "peers=1;;;0 reachable=0;;;0 unreachable=100%;;;0;100 rings=0;;;0 dangling=0;;;0");
}

TEST_CASE("overlay check: from the collector, the age and a stale crawl") {
  OverlayCheckOptions o;
  o.fromCollector = true;
  o.maxAge = 900;
  json doc = crawlSample(10, kNow - 100.5);  // ends 100 s before now
  doc["id"] = 42;
  auto out = decideOverlayCheck(o, answer(doc), kNow);
  CHECK(out.state == core::State::Ok);
  CHECK(out.text.find(", crawl 42 100s ago") != std::string::npos);
  CHECK(out.perfdata.find(" age=100s;;900;0") != std::string::npos);
  doc["started_at"] = kNow - 1000.5;
  out = decideOverlayCheck(o, answer(doc), kNow);
  CHECK(out.state == core::State::Critical);
  CHECK(out.text.rfind("latest crawl is 1000s old (max 900s): overlay 'p2pmon': 10 peers", 0) == 0);
  o.staleState = core::State::Unknown;
  CHECK(decideOverlayCheck(o, answer(doc), kNow).state == core::State::Unknown);
  o.maxAge = 0;  // never stale
  CHECK(decideOverlayCheck(o, answer(doc), kNow).state == core::State::Ok);
}

TEST_CASE("overlay check: no crawl, an unreachable collector and a bad reply are UNKNOWN") {
  OverlayCheckOptions o;
  o.fromCollector = true;
  auto out = decideOverlayCheck(o, {OverlayAnswer::Kind::NoCrawl, {}, "no crawl at the collector"}, kNow);
  CHECK(out.state == core::State::Unknown);
  CHECK(out.text == "no crawl at the collector");
  out = decideOverlayCheck(o, {OverlayAnswer::Kind::Unreachable, {}, "refused"}, kNow);
  CHECK(out.state == core::State::Unknown);
  CHECK(out.text == "cannot reach the collector: refused");
  json broken = crawlSample(3);
  broken["ring"].erase("rings");
  auto f = overlayFactsFromJson(broken);
  REQUIRE_FALSE(f);
  CHECK(f.error().message == "ring.rings missing");
}

TEST_CASE("overlay check: -v lists the findings") {
  OverlayCheckOptions o;
  o.verbose = 1;
  auto out = decideOverlayCheck(o, answer(crawl(2, false, {8})), kNow);
  REQUIRE(out.longOutput.size() >= 2);
  CHECK(out.longOutput[0].rfind("successor disagreements 2, predecessor disagreements 0", 0) == 0);
  CHECK(out.longOutput[1] == "unreachable: 2 timeout");
}
