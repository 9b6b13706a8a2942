#include <doctest/doctest.h>

#include "collector/metric_rollup.hpp"
#include "collector/store_reader.hpp"
#include "collector/store_writer.hpp"
#include "tests/support/temp_dir.hpp"

using namespace p2pmon;
using namespace p2pmon::collector;
using p2pmon::test::TempDb;

namespace {
core::CheckResult rtt(const std::string& host, double time, double ms) {
  return {host, "sip_options", core::State::Ok, "SIP OK",
          "rtt=" + std::to_string(ms) + "ms;200;1000;0 loss=0%", time, "test"};
}

// Hours 10 and 11 (times 36000..43199): 1, 3 in hour 10; 5 in hour 11.
std::vector<core::CheckResult> threeResults(const std::string& host) {
  return {rtt(host, 36'000, 1), rtt(host, 37'000, 3), rtt(host, 40'000, 5)};
}

std::vector<std::pair<double, double>> hourlyRtt(const std::string& path, std::int64_t step = 1) {
  StoreReader r(path, 1);
  auto series = r.hourlyMetrics("a", "sip_options", std::string("rtt"), 0, step, 100);
  REQUIRE(series.size() == 1);
  CHECK(series[0].uom == "ms");
  return series[0].points;
}
}  // namespace

TEST_CASE("rollup cells: count, sum, min and max merge; hours floor negative times") {
  RollupCell a;
  a.add(2);
  a.add(4);
  RollupCell b;
  b.add(-1);
  a.merge(b);
  CHECK(a.count == 3);
  CHECK(a.sum == 5);
  CHECK(a.min == -1);
  CHECK(a.max == 4);
  CHECK(a.mean() == doctest::Approx(5.0 / 3));
  CHECK(RollupCell{}.mean() == 0);
  CHECK(rollupHour(0) == 0);
  CHECK(rollupHour(3599.9) == 0);
  CHECK(rollupHour(3600) == 1);
  CHECK(rollupHour(-1) == -1);
}

TEST_CASE("rollup cells: consolidate merges whole steps on the epoch grid, newest kept") {
  auto cell = [](double v) {
    RollupCell c;
    c.add(v);
    return c;
  };
  std::vector<std::pair<std::int64_t, RollupCell>> hours = {
      {5, cell(1)}, {6, cell(3)}, {7, cell(5)}, {9, cell(7)}};
  auto one = consolidate(hours, 1, 100);
  REQUIRE(one.size() == 4);
  CHECK(one[0] == std::pair<double, double>{5 * 3600.0, 1});
  CHECK(one[3] == std::pair<double, double>{9 * 3600.0, 7});
  // Step 3: buckets [3,6) [6,9) [9,12): hour 5 alone, 6 and 7 together, 9 alone.
  auto three = consolidate(hours, 3, 100);
  REQUIRE(three.size() == 3);
  CHECK(three[0] == std::pair<double, double>{3 * 3600.0, 1});
  CHECK(three[1] == std::pair<double, double>{6 * 3600.0, 4});
  CHECK(three[2] == std::pair<double, double>{9 * 3600.0, 7});
  auto newest = consolidate(hours, 1, 2);
  REQUIRE(newest.size() == 2);
  CHECK(newest[0].first == 7 * 3600.0);
  CHECK(consolidate(hours, 1, 0).empty());
  CHECK(consolidate({}, 1, 10).empty());
}

TEST_CASE("rollups: the writer rolls the history up per series and hour") {
  TempDb db;
  StoreWriter w(db.path);
  w.append(threeResults("a"), 50'000);
  w.append(std::vector<core::CheckResult>{rtt("b", 36'500, 100)}, 50'001);
  CHECK(w.rollups().lag() == 4);
  CHECK(w.rollups().read(100) == 4);
  CHECK(w.rollups().lag() == 0);
  w.rollups().flush();
  auto points = hourlyRtt(db.path);
  REQUIRE(points.size() == 2);
  CHECK(points[0] == std::pair<double, double>{36'000, 2});  // mean of 1 and 3; b apart
  CHECK(points[1] == std::pair<double, double>{39'600, 5});
  auto merged = hourlyRtt(db.path, 2);  // hours 10 and 11 share a two-hour bucket
  REQUIRE(merged.size() == 1);
  CHECK(merged[0].second == doctest::Approx(3));
  // A late result for hour 10 is added to its cell.
  w.append(std::vector<core::CheckResult>{rtt("a", 36'100, 8)}, 50'002);
  CHECK(w.rollups().read(100) == 1);
  w.rollups().flush();
  CHECK(hourlyRtt(db.path)[0].second == doctest::Approx(4));  // (1 + 3 + 8) / 3
  // Retention: cells of hours that ended before 39,600 go.
  CHECK(w.rollups().prune(39'600) == 4);  // rtt and loss of a and b in hour 10
  CHECK(hourlyRtt(db.path).size() == 1);
}

TEST_CASE("rollups: rows read but not flushed are read again after a restart, counted once") {
  TempDb db;
  {
    StoreWriter w(db.path);
    w.append(threeResults("a"), 50'000);
    CHECK(w.rollups().read(2) == 2);
    w.rollups().flush();  // the first two rows
    CHECK(w.rollups().read(100) == 1);
    // The process dies here: the third row's cell was never written.
  }
  StoreWriter w(db.path);
  CHECK(w.rollups().lag() == 1);
  CHECK(w.rollups().read(100) == 1);
  w.rollups().flush();
  auto points = hourlyRtt(db.path);
  REQUIRE(points.size() == 2);
  CHECK(points[0].second == 2);
  CHECK(points[1].second == 5);
}

TEST_CASE("rollups: a history from before schema 5 is rolled up from its start") {
  TempDb db;
  {
    StoreWriter w(db.path);
    w.append(threeResults("a"), 50'000);
  }
  {
    Database raw(db.path, false);
    raw.exec("DROP TABLE rollups; DELETE FROM cursors WHERE name = 'rollup'; "
             "PRAGMA user_version=4;");
  }
  StoreWriter w(db.path);  // migrates to 5
  CHECK(w.rollups().lag() == 3);
  while (w.rollups().read(1) > 0) {
  }
  w.rollups().flush();
  CHECK(hourlyRtt(db.path).size() == 2);
}

TEST_CASE("rollups: values U, unparsable perfdata and no perfdata give no cells") {
  TempDb db;
  StoreWriter w(db.path);
  std::vector<core::CheckResult> batch = {
      {"a", "sip_options", core::State::Ok, "x", "rtt=U", 36'000, "t"},
      {"a", "sip_options", core::State::Ok, "x", "", 36'001, "t"},
      {"a", "sip_options", core::State::Ok, "x", "rtt=2ms", 36'002, "t"},
      {"a", "sip_options", core::State::Ok, "x", "garbage here=", 36'003, "t"}};
  w.append(batch, 50'000);
  CHECK(w.rollups().read(100) == 4);
  w.rollups().flush();
  auto points = hourlyRtt(db.path);
  REQUIRE(points.size() == 1);
  CHECK(points[0].second == 2);
}
