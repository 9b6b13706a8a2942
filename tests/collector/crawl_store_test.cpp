#include <doctest/doctest.h>

#include <filesystem>
#include "collector/crawl_api.hpp"
#include "collector/crawl_store.hpp"
#include "collector/store_reader.hpp"
#include "collector/store_schema.hpp"
#include "collector/store_writer.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/crawl_samples.hpp"

using namespace p2pmon;
using namespace p2pmon::collector;
using p2pmon::test::TempDb;
using nlohmann::json;
using test::crawlSample;
using test::kNow;

namespace {
CrawlDoc doc(const json& j) {
  auto d = parseCrawlDocument(j.dump(), kNow);
  REQUIRE(d);
  return *d;
}

StoredCrawl store(CrawlStore& s, const json& j, double received = kNow) {
  const auto d = doc(j);
  return s.insert(d, judgePeers(d, "crawl"), received);
}

std::int64_t count(const std::string& path, const std::string& sql) {
  Database db(path, true);
  auto st = db.prepare(sql);
  st.step();
  return st.int64(0);
}
}  // namespace

TEST_CASE("crawl store: a crawl and its peers are stored and read back as the API renders them") {
  TempDb db;
  StoreWriter w(db.path);  // migrates
  CrawlStore s(db.path, {});
  CrawlReader r(db.path);
  auto first = store(s, crawlSample(4));
  CHECK(first.id == 1);
  CHECK_FALSE(first.duplicate);
  CHECK_FALSE(first.churn.has_value());  // nothing to compare with

  auto row = r.latest(std::nullopt);
  REQUIRE(row.has_value());
  CHECK(row->found == 4);
  CHECK(row->consistent);
  const auto peers = r.peers(row->id);
  REQUIRE(peers.size() == 4);
  auto j = renderCrawl(*row, &peers);
  CHECK(j["id"] == 1);
  CHECK(j["overlay"] == "p2pmon");
  CHECK(j["rings"] == json::array({4}));
  CHECK(j["partitioned"] == false);
  CHECK(j["unreachable_percent"] == 0.0);
  CHECK(j["churn"].is_null());
  CHECK(j["summary"]["discovered"] == 4);
  CHECK(j["ring"]["consistent"] == true);
  CHECK_FALSE(j["ring"].contains("order"));
  const auto& p = j["peers"][1];
  CHECK(p["host"] == "peer-" + test::nodeId(1).substr(0, 8));
  CHECK(p["node_id"] == test::nodeId(1));
  CHECK(p["address"] == "127.0.0.1:4001");
  CHECK(p["successor"] == test::nodeId(2));
  CHECK(p["predecessor"] == test::nodeId(0));
  CHECK(p["state"] == 0);
  CHECK(p["state_name"] == "OK");
  CHECK(p["uptime_s"] == 1001);
  CHECK(p["software_version"] == "p2pmon-peer 0.1.0");
  CHECK(p["fingers"].size() == 2);
  CHECK(p["services"].contains("sip"));

  // The next crawl of the overlay: churn against this one.
  json next = crawlSample(3, kNow - 30);
  auto second = store(s, next);
  REQUIRE(second.churn.has_value());
  CHECK(second.churn->left == 1);
  CHECK(second.churn->joined == 0);
  CHECK(r.latest(std::nullopt)->id == second.id);
  CHECK(r.latest(std::string("other")) == std::nullopt);
  auto list = r.list({});
  REQUIRE(list.size() == 2);
  CHECK(list[0].id == second.id);  // newest first
  CHECK(renderCrawlSummary(list[0])["churn"] == json{{"joined", 0}, {"left", 1}, {"restarted", 0}});
}

TEST_CASE("crawl store: the same document twice is stored once") {
  TempDb db;
  StoreWriter w(db.path);
  CrawlStore s(db.path, {});
  auto a = store(s, crawlSample(3));
  auto b = store(s, crawlSample(3));
  CHECK(b.duplicate);
  CHECK(b.id == a.id);
  CHECK(count(db.path, "SELECT count(*) FROM crawl_peers") == 3);
}

TEST_CASE("crawl store: retention keeps the peers of the newest crawls and drops old crawls") {
  TempDb db;
  StoreWriter w(db.path);
  CrawlStore s(db.path, {.keepPeers = 2, .days = 1});
  CrawlReader r(db.path);
  store(s, crawlSample(2, kNow - 3 * 86400));  // older than a day: goes with the next insert
  for (int i = 0; i < 4; ++i) store(s, crawlSample(2, kNow - 1000 + i));
  auto list = r.list({});
  REQUIRE(list.size() == 4);
  CHECK(list[0].peersStored);
  CHECK(list[1].peersStored);
  CHECK_FALSE(list[2].peersStored);
  CHECK_FALSE(list[3].peersStored);
  CHECK(r.peers(list[3].id).empty());
  CHECK(count(db.path, "SELECT count(*) FROM crawl_peers") == 4);
  // Without its peers a crawl still gives its figures (overlay history).
  CHECK(renderCrawl(list[3], nullptr)["found"] == 2);
  // Other overlays keep their own newest crawls.
  json other = crawlSample(2, kNow - 10);
  other["overlay"] = "other";
  store(s, other);
  auto query = [](std::optional<std::string> overlay, std::optional<double> before, std::size_t limit) {
    CrawlQuery q;
    q.overlay = std::move(overlay);
    q.before = before;
    q.limit = limit;
    return q;
  };
  CHECK(r.list(query("other", std::nullopt, 100)).front().peersStored);
  CHECK(r.list(query("p2pmon", std::nullopt, 100)).size() == 4);
  CHECK(r.list(query(std::nullopt, std::nullopt, 2)).size() == 2);
  CHECK(r.list(query(std::nullopt, kNow - 998, 100)).size() == 2);
}

TEST_CASE("crawl store: a version 3 database is migrated to 4 keeping its results") {
  TempDb db;
  {
    Database v3(db.path, false);
    v3.exec(R"sql(
CREATE TABLE current(id INTEGER PRIMARY KEY, host TEXT NOT NULL, service TEXT NOT NULL,
  state INTEGER NOT NULL, severity INTEGER NOT NULL, output TEXT NOT NULL,
  perfdata TEXT NOT NULL, last_check REAL NOT NULL, last_state_change REAL NOT NULL,
  source TEXT NOT NULL, result_id INTEGER NOT NULL, UNIQUE(host, service));
CREATE TABLE hosts(host TEXT PRIMARY KEY, worst_severity INTEGER NOT NULL,
  last_check REAL NOT NULL, services INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE series(id INTEGER PRIMARY KEY, host TEXT NOT NULL, service TEXT NOT NULL,
  label TEXT NOT NULL, uom TEXT NOT NULL, UNIQUE(host, service, label));
CREATE TABLE cursors(name TEXT PRIMARY KEY, last_id INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE results(id INTEGER PRIMARY KEY, service_id INTEGER NOT NULL, state INTEGER NOT NULL,
  output TEXT NOT NULL, perfdata TEXT NOT NULL, time REAL NOT NULL, received REAL NOT NULL,
  source TEXT NOT NULL);
CREATE INDEX results_by_service ON results(service_id, time);
INSERT INTO current VALUES(1, 'a', 's', 1, 2, 'o2', 'rtt=2ms', 20, 20, 'http', 2);
INSERT INTO hosts VALUES('a', 2, 20, 1);
INSERT INTO series VALUES(1, 'a', 's', 'rtt', 'ms');
INSERT INTO cursors VALUES('nagios', 2);
INSERT INTO results VALUES(1, 1, 0, 'o1', 'rtt=1ms', 10, 11, 'http');
INSERT INTO results VALUES(2, 1, 1, 'o2', 'rtt=2ms', 20, 21, 'http');
PRAGMA user_version=3;
)sql");
  }
  StoreWriter w(db.path);
  StoreReader r(db.path, 1);
  CHECK(count(db.path, "PRAGMA user_version") == kSchemaVersion);
  CHECK(kSchemaVersion >= 4);
  CHECK(count(db.path, "SELECT count(*) FROM crawls") == 0);
  CHECK(r.resultsAfter(0, 10).size() == 2);
  CHECK(r.service("a", "s")->last.output == "o2");
  CHECK(r.cursor("nagios") == 2);
  CHECK(r.metrics("a", "s", std::nullopt, 0, 10)[0].points.size() == 2);
  CrawlStore s(db.path, {});
  CHECK(store(s, crawlSample(2)).id == 1);
  // Opening again runs no step twice.
  StoreWriter again(db.path);
  CHECK(count(db.path, "SELECT count(*) FROM crawls") == 1);
}
