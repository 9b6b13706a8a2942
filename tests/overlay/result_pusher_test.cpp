#include <doctest/doctest.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <mutex>
#include <thread>

#include "core/clock.hpp"
#include "overlay-agent/result_pusher.hpp"
#include "tests/support/temp_dir.hpp"

using namespace p2pmon;
using namespace p2pmon::agent;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {
// A ResultSink in memory: fails while `down`, refuses results whose output
// starts with "bad", records what it accepted.
struct FakeSink : core::ResultSink {
  core::SendReport send(std::span<const core::CheckResult> results) override {
    std::lock_guard lock(mutex);
    ++calls;
    core::SendReport report;
    if (down) {
      report.failure = core::makeError("refused", "connection refused");
      return report;
    }
    batches.push_back(results.size());
    for (std::size_t i = 0; i < results.size(); ++i) {
      if (results[i].output.starts_with("bad")) {
        report.rejected.push_back({i, core::makeError("bad_name", "refused")});
      } else {
        received.push_back(results[i].output);
        ++report.accepted;
      }
    }
    return report;
  }
  std::string describe() const override { return "fake://"; }
  std::size_t count() {
    std::lock_guard lock(mutex);
    return received.size();
  }

  std::mutex mutex;
  bool down = false;
  int calls = 0;
  std::vector<std::size_t> batches;
  std::vector<std::string> received;
};

core::CheckResult result(int i, const std::string& prefix = "n=") {
  core::CheckResult r;
  r.host = "drv-host";
  r.service = "seq";
  r.state = core::State::Ok;
  r.output = prefix + std::to_string(i);
  r.time = core::nowSeconds();
  return r;
}

std::vector<std::string> expected(int from, int to) {
  std::vector<std::string> v;
  for (int i = from; i < to; ++i) v.push_back("n=" + std::to_string(i));
  return v;
}

bool waitFor(const std::function<bool()>& done, std::chrono::milliseconds limit = 10s) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

struct Rig {
  explicit Rig(PusherOptions options, std::string dir = "") {
    auto spool = ResultSpool::open({.dir = std::move(dir)});
    REQUIRE(spool.ok());
    auto owned = std::make_unique<FakeSink>();
    sink = owned.get();
    pusher = std::make_unique<ResultPusher>(std::move(spool).value(), std::move(owned), options);
  }
  FakeSink* sink;
  std::unique_ptr<ResultPusher> pusher;
};

PusherOptions fast() {
  PusherOptions o;
  o.batchSize = 4;
  o.flushInterval = 20ms;
  o.retryMin = 10ms;
  o.retryMax = 40ms;
  return o;
}
}  // namespace

TEST_CASE("result pusher: results go out in order, in batches of at most batchSize") {
  Rig rig(fast());
  for (int i = 0; i < 10; ++i) rig.pusher->submit({result(i)});
  REQUIRE(waitFor([&] { return rig.sink->count() == 10; }));
  CHECK(rig.sink->received == expected(0, 10));
  for (auto n : rig.sink->batches) CHECK(n <= 4);
  auto s = rig.pusher->stats();
  CHECK(s.submitted == 10);
  CHECK(s.sent == 10);
  CHECK(s.queued == 0);
  CHECK(s.farEndUp);
}

TEST_CASE("result pusher: while the far end is down results wait, then arrive once each") {
  Rig rig(fast());
  rig.sink->down = true;
  for (int i = 0; i < 9; ++i) rig.pusher->submit({result(i)});
  REQUIRE(waitFor([&] { return rig.pusher->stats().sendFailures >= 3; }));
  auto s = rig.pusher->stats();
  CHECK_FALSE(s.farEndUp);
  CHECK(s.queued == 9);
  {
    std::lock_guard lock(rig.sink->mutex);
    rig.sink->down = false;
  }
  REQUIRE(waitFor([&] { return rig.sink->count() == 9; }));
  std::this_thread::sleep_for(100ms);
  CHECK(rig.sink->received == expected(0, 9));
  CHECK(rig.pusher->stats().farEndUp);
  CHECK(rig.pusher->stats().queued == 0);
}

TEST_CASE("result pusher: refusals are dropped and counted, invalid results never queued") {
  Rig rig(fast());
  core::CheckResult invalid = result(99);
  invalid.host = "";
  rig.pusher->submit({result(0), result(1, "bad "), invalid, result(2)});
  REQUIRE(waitFor([&] { return rig.sink->count() == 2; }));
  std::this_thread::sleep_for(100ms);
  CHECK(rig.sink->received == std::vector<std::string>{"n=0", "n=2"});
  auto s = rig.pusher->stats();
  CHECK(s.submitted == 4);
  CHECK(s.rejected == 2);
  CHECK(s.sent == 2);
  CHECK(s.queued == 0);
}

TEST_CASE("result pusher: a partial batch waits for the flush interval, not longer") {
  PusherOptions o = fast();
  o.batchSize = 100;
  o.flushInterval = 300ms;
  Rig rig(o);
  const auto start = std::chrono::steady_clock::now();
  rig.pusher->submit({result(0)});
  std::this_thread::sleep_for(100ms);
  CHECK(rig.sink->count() == 0);
  REQUIRE(waitFor([&] { return rig.sink->count() == 1; }));
  CHECK(std::chrono::steady_clock::now() - start >= 290ms);
}

TEST_CASE("result pusher: stop leaves unsent results in the spool for the next start") {
  test::TempDir tmp{"p2pmon-pusher"};
  const std::string dir = tmp.file("spool");
  {
    Rig rig(fast(), dir);
    rig.sink->down = true;
    rig.pusher->submit({result(0), result(1), result(2)});
    rig.pusher->stop(50ms);
    CHECK(rig.pusher->stats().queued == 3);
  }
  {
    Rig rig(fast(), dir);
    CHECK(rig.pusher->stats().queued == 3);
    REQUIRE(waitFor([&] { return rig.sink->count() == 3; }));
    rig.pusher->stop(1s);
    CHECK(rig.sink->received == expected(0, 3));
  }
}

TEST_CASE("result pusher: a JSON sink refuses text that is not UTF-8 at submit") {
  CHECK(isUtf8("plain"));
  CHECK(isUtf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  CHECK_FALSE(isUtf8("\xff"));
  CHECK_FALSE(isUtf8("cut \xc3"));
  CHECK_FALSE(isUtf8("overlong \xc0\xaf"));
  CHECK_FALSE(isUtf8("surrogate \xed\xa0\x80"));
  PusherOptions o = fast();
  o.requireUtf8 = true;
  Rig rig(o);
  rig.pusher->submit({result(0, "\xff"), result(1)});
  REQUIRE(waitFor([&] { return rig.sink->count() == 1; }));
  CHECK(rig.pusher->stats().rejected == 1);
}

TEST_CASE("makeOutbox: a configuration names exactly one far end") {
  PushConfig none;
  auto r = makeOutbox(none);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "bad_config");
  PushConfig both;
  both.httpUrl = "http://127.0.0.1:1";
  both.nsca = core::HostPort{"127.0.0.1", 1};
  CHECK(makeOutbox(both).error().code == "bad_config");
  PushConfig http;
  http.httpUrl = "http://127.0.0.1:1";
  auto ok = makeOutbox(http);
  REQUIRE(ok.ok());
  (*ok)->stop(0ms);
}
