#include <doctest/doctest.h>

#include "plugins/result_check.hpp"

using namespace p2pmon;
using namespace p2pmon::plugins;

namespace {
CollectorAnswer found(core::State s, double time, std::string output, std::string perf = "") {
  CollectorAnswer a;
  a.kind = CollectorAnswer::Kind::Found;
  a.last = {"peer-1", "sip_options", s, std::move(output), std::move(perf), time, "agent:1"};
  a.lastStateChange = time - 50;
  return a;
}
ResultCheckOptions opts(double maxAge = 300) {
  return {"peer-1", "sip_options", maxAge, core::State::Critical, 0};
}
}  // namespace

TEST_CASE("result check: a fresh result reports its own state, output and perfdata") {
  auto out = decideResultCheck(opts(), found(core::State::Warning, 990, "SIP WARNING - x", "rtt=5ms"), 1000);
  CHECK(out.state == core::State::Warning);
  CHECK(render("P2P_RESULT", out) ==
        "P2P_RESULT WARNING - SIP WARNING - x (10s ago) | age=10s;;300 rtt=5ms\n");
}

TEST_CASE("result check: a stale result reports the stale state, at the boundary still fresh") {
  CHECK(decideResultCheck(opts(), found(core::State::Ok, 700, "OK"), 1000).state == core::State::Ok);
  auto stale = decideResultCheck(opts(), found(core::State::Ok, 699, "OK"), 1000);
  CHECK(stale.state == core::State::Critical);
  CHECK(stale.text == "last result for peer-1/sip_options is 301s old (max 300s): OK");
  auto o = opts();
  o.staleState = core::State::Unknown;
  CHECK(decideResultCheck(o, found(core::State::Ok, 0, "OK"), 1000).state == core::State::Unknown);
  CHECK(decideResultCheck(opts(0), found(core::State::Ok, 0, "OK"), 1e9).state == core::State::Ok);
}

TEST_CASE("result check: missing, unreachable and bad replies are UNKNOWN") {
  CollectorAnswer a;
  a.kind = CollectorAnswer::Kind::Missing;
  CHECK(decideResultCheck(opts(), a, 0).state == core::State::Unknown);
  a.kind = CollectorAnswer::Kind::Unreachable;
  a.detail = "refused";
  auto out = decideResultCheck(opts(), a, 0);
  CHECK(out.state == core::State::Unknown);
  CHECK(out.text == "cannot reach the collector: refused");
  CHECK(out.perfdata.empty());
}

TEST_CASE("result check: long output follows, a clock ahead of us counts as age 0") {
  auto out = decideResultCheck(opts(), found(core::State::Critical, 1005, "CRIT\nl1\nl2"), 1000);
  CHECK(out.longOutput == std::vector<std::string>{"l1", "l2"});
  CHECK(out.perfdata == "age=0s;;300");
  CHECK(found(core::State::Warning, 0, "").last.serviceState() == core::State::Warning);
}
