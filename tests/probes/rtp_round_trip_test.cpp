// The live probe's two-direction computation on an in-memory path: the
// send plan, then packets through the real RtpReflectorEngine with chosen
// delays and losses per direction, and what RtpRoundTrip makes of it.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

#include "probes/rtp_reflector_engine.hpp"
#include "probes/rtp_round_trip.hpp"
#include "probes/rtp_send_plan.hpp"

using namespace p2pmon::probes;

namespace {

std::uint64_t ntpOf(double t) {
  const double s = std::floor(t);
  return ntpFromUnix(static_cast<std::int64_t>(s), static_cast<std::uint32_t>((t - s) * 1e9));
}

struct Path {
  // Per slot: skipped by the sender, lost forward, lost on return, the
  // forward and return delays in seconds.
  std::function<bool(std::uint32_t)> skip = [](std::uint32_t) { return false; };
  std::function<bool(std::uint32_t)> loseForward = [](std::uint32_t) { return false; };
  std::function<bool(std::uint32_t)> loseReturn = [](std::uint32_t) { return false; };
  std::function<double(std::uint32_t)> forwardDelay = [](std::uint32_t) { return 0.005; };
  std::function<double(std::uint32_t)> returnDelay = [](std::uint32_t) { return 0.005; };
};

RtpRoundTripResult run(const Path& path, std::uint32_t slots = 100) {
  const RtpSendPlan plan = *makeSendPlan("pcmu", 20);
  const std::uint32_t ssrc = 0x5eed;
  const std::uint16_t firstSeq = 65500;  // wraps on the way
  RtpRoundTrip trip(ssrc, firstSeq, plan.emodel);
  RtpReflectorEngine reflector;
  RtpSourceAddress probe;
  probe.ip = {10, 0, 0, 1};
  probe.port = 40000;
  std::vector<std::uint8_t> packet, out(4096);
  const double t0 = 1700000000.0;
  for (std::uint32_t i = 0; i < slots; ++i) {
    const double sentAt = t0 + 0.02 * i;
    if (path.skip(i)) {
      trip.skipped(i);
      continue;
    }
    buildPacket(plan, ssrc, firstSeq, 1000, i, packet);
    trip.sent(i, sentAt);
    if (path.loseForward(i)) continue;
    const double atReflector = sentAt + path.forwardDelay(i);
    const std::size_t n = reflector.handle(probe, packet, ntpOf(atReflector), out);
    REQUIRE(n > 0);
    if (path.loseReturn(i)) continue;
    trip.received(Bytes(out.data(), n), atReflector + path.returnDelay(i));
  }
  return trip.result();
}

}  // namespace

TEST_CASE("rtp send plan: payload type, clock, timestamp step and payload size per codec") {
  auto u = makeSendPlan("pcmu", 20);
  REQUIRE(u.ok());
  CHECK(u->payloadType == 0);
  CHECK(u->clockRate == 8000);
  CHECK(u->timestampStep == 160);
  CHECK(u->payloadBytes == 160);
  CHECK(u->emodel.bpl == doctest::Approx(4.3));
  auto a = makeSendPlan("pcma", 30);
  CHECK(a->payloadType == 8);
  CHECK(a->timestampStep == 240);
  CHECK(a->payloadBytes == 240);
  auto o = makeSendPlan("opus", 20);
  CHECK(o->payloadType == kOpusPayloadType);
  CHECK(o->clockRate == 48000);
  CHECK(o->timestampStep == 960);
  CHECK(o->payloadBytes == 80);
  CHECK(makeSendPlan("opus", 30).error().code == "bad_usage");
  CHECK(makeSendPlan("g729", 20).error().code == "bad_usage");
  CHECK(makeSendPlan("pcmu", 25).error().code == "bad_usage");
}

TEST_CASE("rtp send plan: packets carry sequence, timestamp, marker on the first only") {
  const RtpSendPlan plan = *makeSendPlan("pcma", 20);
  std::vector<std::uint8_t> b;
  buildPacket(plan, 0x01020304, 65535, 0xfffffff0, 0, b);
  auto p0 = decodeRtp(b);
  REQUIRE(p0.ok());
  CHECK(p0->marker);
  CHECK(p0->payloadType == 8);
  CHECK(p0->sequence == 65535);
  CHECK(p0->ssrc == 0x01020304U);
  CHECK(p0->payload.size() == 160);
  CHECK(p0->payload[0] == 0xD5);
  buildPacket(plan, 0x01020304, 65535, 0xfffffff0, 1, b);
  auto p1 = decodeRtp(b);
  CHECK_FALSE(p1->marker);
  CHECK(p1->sequence == 0);
  CHECK(p1->timestamp == 0xfffffff0U + 160U);
}

TEST_CASE("rtp round trip: a clean path has no loss, no jitter and the RTT of both delays") {
  const auto r = run({});
  CHECK(r.sent == 100);
  CHECK(r.reflections == 100);
  CHECK(r.forward.expected == 100);
  CHECK(r.forward.received == 100);
  CHECK(r.forward.lost == 0);
  CHECK(r.back.expected == 100);
  CHECK(r.back.lost == 0);
  CHECK(r.forward.jitterMs < 0.001);
  CHECK(r.back.jitterMs < 0.001);
  CHECK(r.rtt.samples == 100);
  CHECK(r.rtt.medianMs == doctest::Approx(10).epsilon(1e-4));
  CHECK(r.delayMs == doctest::Approx(5).epsilon(1e-4));
  // G.711 without PLC, d = 5 ms, no loss: R = 93.2 − 0.024·5.
  CHECK(r.r == doctest::Approx(93.08).epsilon(1e-4));
  CHECK(r.mos > 4.4);
}

TEST_CASE("rtp round trip: packets the sender skips are forward loss, not return loss") {
  Path p;
  p.skip = [](std::uint32_t i) { return i % 10 == 0; };  // --drop-every 10, the first slot included
  const auto r = run(p);
  CHECK(r.sent == 90);
  CHECK(r.skipped == 10);
  // The probe counts from its own first slot, which never reached the reflector.
  CHECK(r.forward.expected == 100);
  CHECK(r.forward.received == 90);
  CHECK(r.forward.lost == 10);
  CHECK(r.back.expected == 90);
  CHECK(r.back.lost == 0);
  CHECK(r.lossPercent == doctest::Approx(10));

  // A trailing slot that never arrived is not counted (RFC 3550 A.3 alike).
  Path tail;
  tail.skip = [](std::uint32_t i) { return i == 99; };
  const auto t = run(tail);
  CHECK(t.forward.expected == 99);
  CHECK(t.forward.lost == 0);
}

TEST_CASE("rtp round trip: loss on each path is told apart by the reflector's count and sequence") {
  Path p;
  p.loseForward = [](std::uint32_t i) { return i % 10 == 3; };  // 10 packets
  p.loseReturn = [](std::uint32_t i) { return i % 5 == 1; };    // 20 reflections
  const auto r = run(p);
  CHECK(r.forward.expected == 100);
  CHECK(r.forward.lost == 10);
  CHECK(r.forward.lostPercent == doctest::Approx(10));
  CHECK(r.back.expected == 90);
  CHECK(r.back.received == 70);
  CHECK(r.back.lost == 20);
  CHECK(r.reflections == 70);
  // Each direction is judged with its own loss; the check reports the worse.
  CHECK(r.forward.emodel.r < 80);
  CHECK(r.back.emodel.r < 80);
  CHECK(r.r == doctest::Approx(std::min(r.forward.emodel.r, r.back.emodel.r)));
  CHECK(r.lossPercent == doctest::Approx(100.0 * 20 / 90));
}

TEST_CASE("rtp round trip: jitter is measured on the path that has it") {
  Path p;
  // Forward delay alternates 5 and 7 ms: |D| = 2 ms for every pair.
  p.forwardDelay = [](std::uint32_t i) { return i % 2 == 0 ? 0.005 : 0.007; };
  const auto r = run(p);
  const double expected = 2.0 * (1 - std::pow(15.0 / 16.0, 99));  // A.8 after 99 differences
  CHECK(r.forward.jitterMs == doctest::Approx(expected).epsilon(1e-3));
  CHECK(r.forward.jitterMaxMs == doctest::Approx(expected).epsilon(1e-3));
  CHECK(r.back.jitterMs < 0.001);
  CHECK(r.rtt.minMs == doctest::Approx(10).epsilon(1e-4));
  CHECK(r.rtt.maxMs == doctest::Approx(12).epsilon(1e-4));

  Path q;
  q.returnDelay = [](std::uint32_t i) { return i % 2 == 0 ? 0.005 : 0.008; };
  const auto s = run(q);
  CHECK(s.back.jitterMs == doctest::Approx(3.0 * (1 - std::pow(15.0 / 16.0, 99))).epsilon(1e-3));
  CHECK(s.forward.jitterMs < 0.001);
}

TEST_CASE("rtp round trip: datagrams of another SSRC or without the element are foreign") {
  RtpRoundTrip trip(7, 0, {"g711", 0, 4.3});
  const RtpSendPlan plan = *makeSendPlan("pcmu", 20);
  std::vector<std::uint8_t> b;
  buildPacket(plan, 7, 0, 0, 0, b);
  trip.sent(0, 1.0);
  trip.received(b, 1.01);  // not reflected
  buildPacket(plan, 8, 0, 0, 0, b);
  trip.received(b, 1.01);  // another SSRC
  const std::vector<std::uint8_t> junk = {1, 2, 3};
  trip.received(junk, 1.01);
  const auto r = trip.result();
  CHECK(r.foreign == 3);
  CHECK(r.reflections == 0);
  CHECK(r.forward.expected == 0);
  CHECK(r.rtt.samples == 0);
}
