#include <doctest/doctest.h>

#include "plugins/rtp_check.hpp"

using namespace p2pmon;
using namespace p2pmon::plugins;

namespace {
RtpCheckOptions opts() {
  RtpCheckOptions o;
  o.target = "127.0.0.1:4000";
  o.mosWarning = *parseMosThreshold("3.6");
  o.mosCritical = *parseMosThreshold("3.1");
  o.lossWarning = *core::parseRange("1");
  o.lossCritical = *core::parseRange("5");
  o.jitterWarning = *core::parseRange("20");
  o.jitterCritical = *core::parseRange("50");
  return o;
}
probes::RtpTargetRun measured(double mos, double loss, double jitter) {
  probes::RtpTargetRun run;
  run.address = "127.0.0.1:4000";
  auto& r = run.result;
  r.sent = 250;
  r.reflections = 250;
  r.mos = mos;
  r.r = 90;
  r.lossPercent = loss;
  r.forward.lostPercent = loss;
  r.jitterMs = jitter;
  r.forward.jitterMs = jitter;
  r.rtt.medianMs = 0.2;
  return run;
}
}  // namespace

TEST_CASE("rtp check: a MOS threshold is 'below is bad'; range syntax is taken as written") {
  auto r = parseMosThreshold("3.6");
  REQUIRE(r.ok());
  CHECK(r->text == "3.6:");
  CHECK(r->alerts(3.5));
  CHECK_FALSE(r->alerts(4.2));
  CHECK(parseMosThreshold("@0:3")->text == "@0:3");
  CHECK_FALSE(parseMosThreshold("x").ok());
}

TEST_CASE("rtp check: a good stream is OK with mos, r_factor, loss, jitter and rtt perfdata") {
  const auto out = decideRtpCheck(opts(), measured(4.39, 0, 0.05));
  CHECK(out.state == core::State::Ok);
  CHECK(out.text.find("MOS 4.39") == 0);
  CHECK(out.perfdata ==
        "mos=4.39;3.6:;3.1:;1;4.5 r_factor=90;;;0;100 loss=0%;1;5;0;100 jitter=0.05ms;20;50;0 rtt=0.2ms;;;0");
}

TEST_CASE("rtp check: MOS below the thresholds is WARNING, then CRITICAL") {
  CHECK(decideRtpCheck(opts(), measured(3.5, 0, 0)).state == core::State::Warning);
  CHECK(decideRtpCheck(opts(), measured(3.0, 0, 0)).state == core::State::Critical);
}

TEST_CASE("rtp check: loss and jitter raise the state on their own") {
  CHECK(decideRtpCheck(opts(), measured(4.3, 2, 0)).state == core::State::Warning);
  CHECK(decideRtpCheck(opts(), measured(4.3, 10, 0)).state == core::State::Critical);
  CHECK(decideRtpCheck(opts(), measured(4.3, 0, 30)).state == core::State::Warning);
  CHECK(decideRtpCheck(opts(), measured(3.5, 0, 60)).state == core::State::Critical);
}

TEST_CASE("rtp check: no reflection at all or an unreachable reflector takes --timeout-state, no perfdata") {
  auto run = measured(1, 0, 0);
  run.result.reflections = 0;
  run.error = core::makeError("timeout", "no reflection");
  auto out = decideRtpCheck(opts(), run);
  CHECK(out.state == core::State::Critical);
  CHECK(out.text == "no reply from 127.0.0.1:4000 (250 packets sent)");
  CHECK(out.perfdata.empty());
  run.error = core::makeError("refused", "port closed");
  auto o = opts();
  o.timeoutState = core::State::Unknown;
  out = decideRtpCheck(o, run);
  CHECK(out.state == core::State::Unknown);
  CHECK(out.text.find("cannot reach 127.0.0.1:4000 (refused") == 0);
}

TEST_CASE("rtp check: -v adds both directions and the RTT") {
  auto o = opts();
  o.verbose = 1;
  const auto out = decideRtpCheck(o, measured(4.3, 0, 0));
  REQUIRE(out.longOutput.size() == 4);
  CHECK(out.longOutput[1].find("forward: ") == 0);
  CHECK(out.longOutput[2].find("return: ") == 0);
}
