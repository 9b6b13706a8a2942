#include <doctest/doctest.h>

#include <filesystem>
#include "collector/store_reader.hpp"
#include "collector/store_schema.hpp"
#include "collector/store_writer.hpp"
#include "tests/support/temp_dir.hpp"

using namespace p2pmon;
using namespace p2pmon::collector;
using p2pmon::test::TempDb;

namespace {
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
  // Metric points go with their history rows.
  CHECK(r.metrics("a", "s", std::nullopt, 0, 10)[0].points.size() == 1);
  CHECK(r.service("a", "s")->last.time == 1000);
}

TEST_CASE("store: a version 1 database is migrated and its history still yields metric points") {
  TempDb db;
  {
    // A v1 database as the previous release left it: points stored apart.
    Database v1(db.path, false);
    v1.exec(R"sql(
CREATE TABLE results(id INTEGER PRIMARY KEY, host TEXT NOT NULL, service TEXT NOT NULL,
  state INTEGER NOT NULL, output TEXT NOT NULL, perfdata TEXT NOT NULL, time REAL NOT NULL,
  received REAL NOT NULL, source TEXT NOT NULL);
CREATE INDEX results_by_service ON results(host, service, time);
CREATE TABLE current(host TEXT NOT NULL, service TEXT NOT NULL, state INTEGER NOT NULL,
  severity INTEGER NOT NULL, output TEXT NOT NULL, perfdata TEXT NOT NULL,
  last_check REAL NOT NULL, last_state_change REAL NOT NULL, source TEXT NOT NULL,
  result_id INTEGER NOT NULL, PRIMARY KEY(host, service)) WITHOUT ROWID;
CREATE TABLE hosts(host TEXT PRIMARY KEY, worst_severity INTEGER NOT NULL,
  last_check REAL NOT NULL, services INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE series(id INTEGER PRIMARY KEY, host TEXT NOT NULL, service TEXT NOT NULL,
  label TEXT NOT NULL, uom TEXT NOT NULL, UNIQUE(host, service, label));
CREATE TABLE points(series_id INTEGER NOT NULL, time REAL NOT NULL, value REAL NOT NULL,
  PRIMARY KEY(series_id, time)) WITHOUT ROWID;
CREATE TABLE cursors(name TEXT PRIMARY KEY, last_id INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO results VALUES(1, 'a', 's', 1, 'out', 'rtt=5ms', 10, 11, 'test');
INSERT INTO current VALUES('a', 's', 1, 2, 'out', 'rtt=5ms', 10, 7, 'test', 1);
INSERT INTO hosts VALUES('a', 2, 10, 1);
INSERT INTO series VALUES(1, 'a', 's', 'rtt', 'ms');
INSERT INTO points VALUES(1, 10, 5);
INSERT INTO cursors VALUES('nagios', 1);
PRAGMA user_version=1;
)sql");
  }
  StoreWriter w(db.path);
  StoreReader r(db.path, 1);
  {
    Database check(db.path, true);
    auto version = check.prepare("PRAGMA user_version");
    version.step();
    CHECK(version.int64(0) == kSchemaVersion);
    auto points = check.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'points'");
    points.step();
    CHECK(points.int64(0) == 0);
  }
  CHECK(r.cursor("nagios") == 1);
  auto m = r.metrics("a", "s", std::nullopt, 0, 10);
  REQUIRE(m.size() == 1);
  CHECK(m[0].points == std::vector<std::pair<double, double>>{{10, 5}});
  // The loaded current state goes on: same state keeps its change time.
  std::vector<core::CheckResult> next = {result("a", "s", core::State::Warning, 20, "rtt=6ms")};
  w.append(next, 21);
  CHECK(r.service("a", "s")->lastStateChange == 7);
  CHECK(r.metrics("a", "s", std::string("rtt"), 0, 10)[0].points.size() == 2);
  CHECK(r.hosts()[0].lastCheck == 20);
}

TEST_CASE("store: metric points keep the newest per series, one per time, the last written") {
  TempDb db;
  StoreWriter w(db.path);
  StoreReader r(db.path, 1);
  std::vector<core::CheckResult> batch = {
      result("a", "s", core::State::Ok, 10, "rtt=1ms hops=3"),
      result("a", "s", core::State::Ok, 20, "rtt=2ms hops=U"),
      result("a", "s", core::State::Ok, 20, "rtt=3ms"),  // same time: replaces 2
      result("a", "s", core::State::Ok, 30, "rtt=4ms rtt=5ms"),  // last item wins
      result("a", "s", core::State::Ok, 5, "rtt=0.5ms"),  // late: a point all the same
      result("a", "t", core::State::Ok, 30, "rtt=9ms"),
      result("a", "s", core::State::Ok, 40, "'it''s'=7 'a b'=8")};
  w.append(batch, 50);
  auto all = r.metrics("a", "s", std::nullopt, 0, 100);
  REQUIRE(all.size() == 4);  // by label: "a b", "hops", "it's", "rtt"
  CHECK(all[0].label == "a b");
  CHECK(all[0].points == std::vector<std::pair<double, double>>{{40, 8}});
  CHECK(all[1].points == std::vector<std::pair<double, double>>{{10, 3}});
  CHECK(all[2].label == "it's");
  CHECK(all[2].points == std::vector<std::pair<double, double>>{{40, 7}});
  CHECK(all[3].points ==
        std::vector<std::pair<double, double>>{{5, 0.5}, {10, 1}, {20, 3}, {30, 5}});
  auto newest = r.metrics("a", "s", std::string("rtt"), 0, 2);
  REQUIRE(newest.size() == 1);
  CHECK(newest[0].points == std::vector<std::pair<double, double>>{{20, 3}, {30, 5}});
  CHECK(r.metrics("a", "s", std::string("rtt"), 25, 100)[0].points.size() == 1);
  CHECK(r.metrics("a", "nope", std::nullopt, 0, 100).empty());
  // A series whose points are all outside the window is still listed.
  auto hops = r.metrics("a", "s", std::string("hops"), 15, 100);
  REQUIRE(hops.size() == 1);
  CHECK(hops[0].points.empty());
}

TEST_CASE("store: a unit change of a series is taken over, once per shape") {
  TempDb db;
  StoreWriter w(db.path);
  StoreReader r(db.path, 1);
  std::vector<core::CheckResult> a = {result("a", "s", core::State::Ok, 10, "rtt=1ms"),
                                      result("a", "s", core::State::Ok, 11, "rtt=2s"),
                                      result("a", "s", core::State::Ok, 12, "rtt=bad")};
  w.append(a, 20);
  CHECK(r.metrics("a", "s", std::nullopt, 0, 10)[0].uom == "s");
  // The same shape as a text that did not parse: registered now that it does.
  std::vector<core::CheckResult> b = {result("a", "s", core::State::Ok, 13, "x=bad"),
                                      result("a", "s", core::State::Ok, 14, "x=4")};
  w.append(b, 21);
  auto x = r.metrics("a", "s", std::string("x"), 0, 10);
  REQUIRE(x.size() == 1);
  CHECK(x[0].points == std::vector<std::pair<double, double>>{{14, 4}});
}

TEST_CASE("store: one batch with several results per service keeps the state change rule") {
  TempDb db;
  StoreWriter w(db.path);
  StoreReader r(db.path, 1);
  std::vector<core::CheckResult> batch = {
      result("h", "s", core::State::Ok, 10), result("h", "s", core::State::Critical, 20),
      result("h", "s", core::State::Critical, 30), result("h", "s", core::State::Ok, 25),
      result("h", "", core::State::Ok, 5), result("h", "t", core::State::Warning, 1)};
  auto last = w.append(batch, 40);
  CHECK(last == 6);
  auto s = r.service("h", "s");
  CHECK(s->last.state == core::State::Critical);
  CHECK(s->last.time == 30);
  CHECK(s->lastStateChange == 20);
  HistoryQuery q;
  CHECK(r.history(q).size() == 6);
  auto hosts = r.hosts();
  REQUIRE(hosts.size() == 1);
  CHECK(hosts[0].worst == core::State::Critical);
  CHECK(hosts[0].lastCheck == 30);
  CHECK(hosts[0].services == 3);
  // A later batch: the state falls back to OK, the host summary follows.
  std::vector<core::CheckResult> later = {result("h", "s", core::State::Ok, 50)};
  w.append(later, 60);
  CHECK(r.service("h", "s")->lastStateChange == 50);
  CHECK(r.hosts()[0].worst == core::State::Warning);
  // Reopened, the writer takes the states up from the table.
  StoreWriter again(db.path);
  std::vector<core::CheckResult> old = {result("h", "s", core::State::Critical, 45)};
  again.append(old, 70);
  CHECK(r.service("h", "s")->last.state == core::State::Ok);
  CHECK(r.resultsAfter(0, 100).size() == 8);
}

TEST_CASE("store: history ids follow the batch order across multi-row inserts") {
  TempDb db;
  StoreWriter w(db.path);
  StoreReader r(db.path, 1);
  std::vector<core::CheckResult> batch;
  for (int i = 0; i < 70; ++i) {
    const char host[] = {'h', static_cast<char>('0' + i % 7), '\0'};
    batch.push_back(result(host, "s", core::State::Ok, 100 + i));
  }
  CHECK(w.append(batch, 200) == 70);
  auto rows = r.resultsAfter(0, 100);
  REQUIRE(rows.size() == 70);
  for (int i = 0; i < 70; ++i) {
    CHECK(rows[static_cast<std::size_t>(i)].id == i + 1);
    CHECK(rows[static_cast<std::size_t>(i)].result.time == 100 + i);
  }
  // current.result_id points at the newest row of each service.
  Database check(db.path, true);
  auto ids = check.prepare("SELECT result_id FROM current WHERE host = 'h3'");
  REQUIRE(ids.step());
  CHECK(ids.int64(0) == 67);
}

namespace {
// A version 2 database as the previous release writes it: history keyed by
// host and service text. Ids have a gap (pruned or rolled back), one
// service's results came late and out of order, two share a time.
void makeV2(const std::string& path, bool orphan) {
  Database v2(path, false);
  v2.exec(R"sql(
CREATE TABLE results(id INTEGER PRIMARY KEY, host TEXT NOT NULL, service TEXT NOT NULL,
  state INTEGER NOT NULL, output TEXT NOT NULL, perfdata TEXT NOT NULL, time REAL NOT NULL,
  received REAL NOT NULL, source TEXT NOT NULL);
CREATE INDEX results_by_service ON results(host, service, time);
CREATE TABLE hosts(host TEXT PRIMARY KEY, worst_severity INTEGER NOT NULL,
  last_check REAL NOT NULL, services INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE series(id INTEGER PRIMARY KEY, host TEXT NOT NULL, service TEXT NOT NULL,
  label TEXT NOT NULL, uom TEXT NOT NULL, UNIQUE(host, service, label));
CREATE TABLE cursors(name TEXT PRIMARY KEY, last_id INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE current(id INTEGER PRIMARY KEY, host TEXT NOT NULL, service TEXT NOT NULL,
  state INTEGER NOT NULL, severity INTEGER NOT NULL, output TEXT NOT NULL,
  perfdata TEXT NOT NULL, last_check REAL NOT NULL, last_state_change REAL NOT NULL,
  source TEXT NOT NULL, result_id INTEGER NOT NULL, UNIQUE(host, service));
INSERT INTO results VALUES(3, 'a', 's', 0, 'o3', 'rtt=1ms', 10, 11, 'http');
INSERT INTO results VALUES(4, 'b', '', 1, 'down', '', 12, 13, 'nsca');
INSERT INTO results VALUES(5, 'a', 's', 2, 'o5', 'rtt=3ms', 30, 31, 'http');
INSERT INTO results VALUES(6, 'a', 't', 0, 'o6', 'x=1', 20, 31, 'nrdp');
INSERT INTO results VALUES(7, 'a', 's', 1, 'o7', 'rtt=2ms', 20, 32, 'http');
INSERT INTO results VALUES(8, 'a', 's', 1, 'o8', 'rtt=4ms', 20, 33, 'http');
INSERT INTO current VALUES(1, 'a', 's', 2, 3, 'o5', 'rtt=3ms', 30, 30, 'http', 5);
INSERT INTO current VALUES(2, 'b', '', 1, 3, 'down', '', 12, 12, 'nsca', 4);
INSERT INTO current VALUES(3, 'a', 't', 0, 0, 'o6', 'x=1', 20, 20, 'nrdp', 6);
INSERT INTO hosts VALUES('a', 3, 30, 2);
INSERT INTO hosts VALUES('b', 3, 12, 1);
INSERT INTO series VALUES(1, 'a', 's', 'rtt', 'ms');
INSERT INTO series VALUES(2, 'a', 't', 'x', '');
INSERT INTO cursors VALUES('nagios', 5);
PRAGMA user_version=2;
)sql");
  if (orphan) v2.exec("INSERT INTO results VALUES(9, 'gone', 's', 0, 'o', '', 1, 1, 'http')");
}

std::vector<std::string> rows(const std::vector<StoredResult>& history) {
  std::vector<std::string> out;
  for (const auto& h : history) {
    const auto& r = h.result;
    out.push_back(std::to_string(h.id) + " " + r.host + "/" + r.service + " " +
                  std::to_string(static_cast<int>(r.state)) + " " + r.output + " " + r.perfdata +
                  " " + std::to_string(r.time) + " " + std::to_string(h.received) + " " + r.source);
  }
  return out;
}
}  // namespace

TEST_CASE("store: a version 2 database is migrated with every history row, id and order") {
  TempDb db;
  makeV2(db.path, false);
  StoreWriter w(db.path);
  StoreReader r(db.path, 1);
  HistoryQuery q;
  CHECK(rows(r.history(q)) ==
        std::vector<std::string>{"8 a/s 1 o8 rtt=4ms 20.000000 33.000000 http",
                                 "7 a/s 1 o7 rtt=2ms 20.000000 32.000000 http",
                                 "6 a/t 0 o6 x=1 20.000000 31.000000 nrdp",
                                 "5 a/s 2 o5 rtt=3ms 30.000000 31.000000 http",
                                 "4 b/ 1 down  12.000000 13.000000 nsca",
                                 "3 a/s 0 o3 rtt=1ms 10.000000 11.000000 http"});
  q.host = "a";
  q.service = "s";
  auto ids = [&] {
    std::vector<std::int64_t> out;
    for (const auto& h : r.history(q)) out.push_back(h.id);
    return out;
  };
  CHECK(ids() == std::vector<std::int64_t>{5, 8, 7, 3});  // time order, ties newest id first
  q.since = 20;
  q.limit = 2;
  CHECK(ids() == std::vector<std::int64_t>{5, 8});
  q.service.reset();
  q.since.reset();
  q.limit = 100;
  CHECK(ids() == std::vector<std::int64_t>{8, 7, 6, 5, 3});
  q.host.reset();
  q.service = "";
  CHECK(ids() == std::vector<std::int64_t>{4});
  CHECK(r.resultsAfter(r.cursor("nagios").value(), 10).size() == 3);
  CHECK(r.metrics("a", "s", std::nullopt, 0, 10)[0].points ==
        std::vector<std::pair<double, double>>{{10, 1}, {20, 4}, {30, 3}});
  CHECK(r.service("b", "")->last.output == "down");
  CHECK(r.servicesByState() == std::array<std::int64_t, 4>{1, 0, 1, 0});
  // Writing goes on under the same service keys, ids after the old ones.
  std::vector<core::CheckResult> next = {result("a", "s", core::State::Ok, 40, "rtt=5ms"),
                                         result("c", "s", core::State::Ok, 41)};
  CHECK(w.append(next, 50) == 10);
  CHECK(r.service("a", "s")->lastStateChange == 40);
  q = HistoryQuery{};
  q.host = "a";
  q.service = "s";
  CHECK(ids() == std::vector<std::int64_t>{9, 5, 8, 7, 3});
  CHECK(r.hosts().size() == 3);
}

TEST_CASE("store: a version 2 history row without a current state stops the migration") {
  TempDb db;
  makeV2(db.path, true);
  CHECK_THROWS_AS(StoreWriter(db.path), std::runtime_error);
  Database check(db.path, true);
  auto version = check.prepare("PRAGMA user_version");
  version.step();
  CHECK(version.int64(0) == 2);
  auto count = check.prepare("SELECT count(*) FROM results");
  count.step();
  CHECK(count.int64(0) == 7);
}
