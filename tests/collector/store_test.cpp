#include <doctest/doctest.h>

#include <filesystem>
#include <unistd.h>

#include "collector/store_reader.hpp"
#include "collector/store_writer.hpp"

using namespace p2pmon;
using namespace p2pmon::collector;

namespace {
struct TempDb {
  std::filesystem::path dir;
  std::string path;
  TempDb() {
    char tmpl[] = "/tmp/p2pmon-store-XXXXXX";
    dir = mkdtemp(tmpl);
    path = (dir / "test.db").string();
  }
  ~TempDb() { std::filesystem::remove_all(dir); }
};

core::CheckResult result(std::string host, std::string service, core::State state, double time,
                         std::string perf = "") {
  return {std::move(host), std::move(service), state, "out", std::move(perf), time, "test"};
}
}  // namespace

TEST_CASE("store: current state, host summary and last state change") {
  TempDb db;
  StoreWriter w(db.path);
  StoreReader r(db.path, 2);
  std::vector<core::CheckResult> batch = {
      result("a", "sip", core::State::Ok, 100), result("a", "rtp", core::State::Warning, 101),
      result("b", "sip", core::State::Ok, 102)};
  w.append(batch, 200);
  std::vector<core::CheckResult> later = {result("a", "sip", core::State::Critical, 150),
                                          result("a", "rtp", core::State::Warning, 160)};
  w.append(later, 201);

  auto hosts = r.hosts();
  REQUIRE(hosts.size() == 2);
  CHECK(hosts[0].host == "a");
  CHECK(hosts[0].worst == core::State::Critical);
  CHECK(hosts[0].lastCheck == 160);
  CHECK(hosts[0].services == 2);
  CHECK(hosts[1].worst == core::State::Ok);

  auto sip = r.service("a", "sip");
  REQUIRE(sip.has_value());
  CHECK(sip->last.state == core::State::Critical);
  CHECK(sip->lastStateChange == 150);
  auto rtp = r.service("a", "rtp");
  CHECK(rtp->lastStateChange == 101);  // unchanged state keeps its change time
  CHECK_FALSE(r.service("a", "nope").has_value());
  CHECK(r.servicesByState() == std::array<std::int64_t, 4>{1, 1, 1, 0});
}

TEST_CASE("store: an older result goes to history but not to the current state") {
  TempDb db;
  StoreWriter w(db.path);
  StoreReader r(db.path, 1);
  std::vector<core::CheckResult> batch = {result("a", "s", core::State::Ok, 200),
                                          result("a", "s", core::State::Critical, 100)};
  w.append(batch, 300);
  CHECK(r.service("a", "s")->last.state == core::State::Ok);
  HistoryQuery q;
  q.host = "a";
  q.service = "s";
  auto h = r.history(q);
  REQUIRE(h.size() == 2);
  CHECK(h[0].result.time == 200);  // newest first
}

TEST_CASE("store: perfdata becomes metric series, unparsable perfdata is kept as text") {
  TempDb db;
  StoreWriter w(db.path);
  StoreReader r(db.path, 1);
  std::vector<core::CheckResult> batch = {
      result("a", "sip", core::State::Ok, 10, "rtt=1.5ms;50;200;0 loss=0%"),
      result("a", "sip", core::State::Ok, 20, "rtt=2.5ms;50;200;0"),
      result("a", "sip", core::State::Ok, 30, "garbage ==")};
  w.append(batch, 40);
  auto series = r.metrics("a", "sip", std::nullopt, 0, 100);
  REQUIRE(series.size() == 2);
  CHECK(series[1].label == "rtt");
  CHECK(series[1].uom == "ms");
  REQUIRE(series[1].points.size() == 2);
  CHECK(series[1].points[1] == std::pair<double, double>(20, 2.5));
  auto rtt = r.metrics("a", "sip", std::string("rtt"), 15, 100);
  REQUIRE(rtt.size() == 1);
  CHECK(rtt[0].points.size() == 1);
  HistoryQuery q;
  q.limit = 1;
  CHECK(r.history(q)[0].result.perfdata == "garbage ==");
}

TEST_CASE("store: data survives reopening, and retention prunes by arrival") {
  TempDb db;
  {
    StoreWriter w(db.path);
    std::vector<core::CheckResult> old = {result("a", "s", core::State::Ok, 10, "x=1")};
    std::vector<core::CheckResult> fresh = {result("a", "s", core::State::Ok, 1000, "x=2")};
    w.append(old, 100);
    w.append(fresh, 2000);
  }
  StoreWriter w(db.path);  // migrations run again: a no-op
  StoreReader r(db.path, 1);
  CHECK(r.maxResultId() == 2);
  CHECK(w.pruneHistory(1000, 100) == 1);
  CHECK(w.pruneHistory(1000, 100) == 0);
  CHECK(r.resultsAfter(0, 10).size() == 1);
  CHECK(w.prunePoints(500, 0, 10) != 0);
  CHECK(r.metrics("a", "s", std::nullopt, 0, 10)[0].points.size() == 1);
  CHECK(r.service("a", "s")->last.time == 1000);
}
