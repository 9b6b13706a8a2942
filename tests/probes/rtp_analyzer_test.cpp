#include <doctest/doctest.h>

#include <cmath>
#include <set>
#include <vector>

#include "probes/rtp_analyzer.hpp"

using namespace p2pmon::probes;

namespace {

// A G.711 stream as rtp_gen.py makes it: packet i has sequence seq0 + i,
// timestamp 160·i and arrives at 20·i ms (plus `extraMs[i]` if given);
// `drop` indices are not fed.
RtpStreamStats feed(int n, std::uint16_t seq0, const std::set<int>& drop = {}, int gmin = 16) {
  RtpStreamAnalyzer a({0, gmin});
  for (int i = 0; i < n; ++i) {
    if (drop.count(i) != 0) continue;
    a.add({static_cast<std::uint16_t>(seq0 + i), static_cast<std::uint32_t>(160 * i), 0, false,
           0.020 * i, 160});
  }
  return a.stats();
}

RtpArrival pkt(std::uint16_t seq, double t, std::uint32_t ts = 0) {
  return {seq, ts == 0 ? static_cast<std::uint32_t>(seq) * 160U : ts, 0, false, t, 160};
}

}  // namespace

TEST_CASE("rtp analyzer: a clean stream is all received, nothing lost, no jitter") {
  auto s = feed(10, 100);
  CHECK(s.valid);
  CHECK(s.clockRate == 8000);
  CHECK(s.packets == 10);
  CHECK(s.received == 10);
  CHECK(s.baseSeq == 100);
  CHECK(s.extHighestSeq == 109);
  CHECK(s.expected == 10);
  CHECK(s.lost == 0);
  CHECK(s.fractionLost == 0);
  CHECK(s.jitter == doctest::Approx(0.0));
  CHECK(s.maxDeltaMs == doctest::Approx(20));
  CHECK(s.packetIntervalMs == doctest::Approx(20));
  CHECK(s.burst.bursts == 0);
  CHECK(s.burst.gaps == 1);
  CHECK(s.burst.gapPackets == 10);
  CHECK(s.burst.burstR == 1);
}

TEST_CASE("rtp analyzer: the rig's drops 10,11,12,100 of 500 from 65000 (voip_nat.md anchor)") {
  auto s = feed(500, 65000, {10, 11, 12, 100});
  CHECK(s.received == 496);
  CHECK(s.baseSeq == 65000);
  CHECK(s.extHighestSeq == 65499);
  CHECK(s.expected == 500);
  CHECK(s.lost == 4);
  CHECK(s.fractionLost == 2);  // 4·256/500 = 2.048
  CHECK(s.uniqueLost == 4);
  CHECK(s.maxDeltaMs == doctest::Approx(80));
  // 10..12 is a burst (3 packets, all lost); 100 is isolated: a gap loss.
  CHECK(s.burst.bursts == 1);
  CHECK(s.burst.burstPackets == 3);
  CHECK(s.burst.burstLost == 3);
  CHECK(s.burst.burstDensity == 1.0);
  CHECK(s.burst.gaps == 2);
  CHECK(s.burst.gapPackets == 497);
  CHECK(s.burst.gapLost == 1);
  CHECK(s.burst.gapDensity == doctest::Approx(1.0 / 497));
  CHECK(s.burst.burstDurationMs == doctest::Approx(60));
  CHECK(s.burst.gapDurationMs == doctest::Approx(497.0 / 2 * 20));
  // Transitions: received→lost 2 of 495, lost→received 2 of 4.
  CHECK(s.burst.burstR == doctest::Approx(1.0 / (2.0 / 495 + 0.5)));
}

TEST_CASE("rtp analyzer: the sequence number wraps into a second cycle") {
  auto s = feed(600, 65000);
  CHECK(s.cycles == 65536);
  CHECK(s.extHighestSeq == 65599);
  CHECK(s.expected == 600);
  CHECK(s.lost == 0);
  auto w = feed(3, 65535);  // the probation run itself wraps
  CHECK(w.valid);
  CHECK(w.baseSeq == 65535);
  CHECK(w.extHighestSeq == 65537);
  CHECK(w.expected == 3);
  CHECK(w.received == 3);
}

TEST_CASE("rtp analyzer: a duplicate counts as received, masks a loss, and is counted") {
  RtpStreamAnalyzer a;
  for (int seq : {1, 2, 3, 3, 4}) a.add(pkt(static_cast<std::uint16_t>(seq), seq * 0.02));
  auto s = a.stats();
  CHECK(s.received == 5);
  CHECK(s.expected == 4);
  CHECK(s.lost == -1);
  CHECK(s.fractionLost == 0);
  CHECK(s.duplicates == 1);
  CHECK(s.uniqueLost == 0);
  CHECK(s.reordered == 0);
}

TEST_CASE("rtp analyzer: a late packet is reordered, not lost; one from before the base too") {
  RtpStreamAnalyzer a;
  for (int seq : {10, 11, 13, 12, 14, 9}) a.add(pkt(static_cast<std::uint16_t>(seq), seq * 0.02));
  auto s = a.stats();
  CHECK(s.received == 6);
  CHECK(s.expected == 5);  // 10..14: the late 9 is before the base
  CHECK(s.lost == -1);
  CHECK(s.reordered == 2);
  CHECK(s.duplicates == 0);
  CHECK(s.uniqueLost == 0);
}

TEST_CASE("rtp analyzer: A.8 jitter by hand") {
  RtpStreamAnalyzer a;
  // D = 0, then +80, then −80 timestamp units: J = 0, 5, 5 + 75/16.
  a.add(pkt(1, 0.000, 160));
  a.add(pkt(2, 0.020, 320));
  a.add(pkt(3, 0.050, 480));
  a.add(pkt(4, 0.060, 640));
  auto s = a.stats();
  CHECK(s.jitter == doctest::Approx(9.6875));
  CHECK(s.jitterMs == doctest::Approx(9.6875 / 8));
  CHECK(s.jitterMaxMs == doctest::Approx(9.6875 / 8));
  a.add(pkt(5, 0.080, 800));  // D = 0: J falls, the maximum stays
  s = a.stats();
  CHECK(s.jitter == doctest::Approx(9.6875 * 15 / 16));
  CHECK(s.jitterMaxMs == doctest::Approx(9.6875 / 8));
}

TEST_CASE("rtp analyzer: jitter across a 32-bit timestamp wrap") {
  RtpStreamAnalyzer a;
  a.add(pkt(1, 0.00, 0xffffffb0U));
  a.add(pkt(2, 0.02, 0x00000050U));
  a.add(pkt(3, 0.04, 0x000000f0U));
  CHECK(a.stats().jitter == doctest::Approx(0.0));
}

TEST_CASE("rtp analyzer: probation (A.1) restarts on a packet out of sequence") {
  RtpStreamAnalyzer a;
  a.add(pkt(1000, 0.00));
  CHECK_FALSE(a.stats().valid);
  a.add(pkt(5000, 0.02));
  CHECK_FALSE(a.stats().valid);
  a.add(pkt(5001, 0.04));
  a.add(pkt(5002, 0.06));
  auto s = a.stats();
  CHECK(s.valid);
  CHECK(s.packets == 4);
  CHECK(s.received == 3);
  CHECK(s.baseSeq == 5000);
  CHECK(s.expected == 3);
  CHECK(s.lost == 0);
}

TEST_CASE("rtp analyzer: a large jump is ignored once and re-syncs on the second packet (restart)") {
  RtpStreamAnalyzer a;
  for (std::uint16_t seq = 1; seq <= 10; ++seq) a.add(pkt(seq, seq * 0.02));
  a.add(pkt(30000, 0.3));
  CHECK(a.stats().received == 10);
  CHECK(a.stats().restarts == 0);
  a.add(pkt(30001, 0.32));
  a.add(pkt(30002, 0.34));
  auto s = a.stats();
  CHECK(s.restarts == 1);
  CHECK(s.packets == 13);
  CHECK(s.baseSeq == 30001);
  CHECK(s.received == 2);
  CHECK(s.expected == 2);
  CHECK(s.lost == 0);
}

TEST_CASE("rtp analyzer: MAX_DROPOUT and MAX_MISORDER bound what counts") {
  RtpStreamAnalyzer a;
  for (std::uint16_t seq = 1; seq <= 300; ++seq) a.add(pkt(seq, seq * 0.02));
  a.add(pkt(250, 6.1));  // 50 late: a duplicate within MAX_MISORDER
  a.add(pkt(100, 6.2));  // 200 late: beyond MAX_MISORDER, a jump, not counted
  a.add(pkt(300 + 2999, 6.3));  // a gap just under MAX_DROPOUT: in order
  auto s = a.stats();
  CHECK(s.received == 302);
  CHECK(s.duplicates == 1);
  CHECK(s.extHighestSeq == 3299);
  CHECK(s.expected == 3299);
  CHECK(s.uniqueLost == 3299 - 301);
  a.add(pkt(3299 + 3000, 6.4));  // a gap of MAX_DROPOUT: a jump, not counted
  CHECK(a.stats().extHighestSeq == 3299);
}

TEST_CASE("rtp analyzer: reception report fraction is per interval (A.3)") {
  RtpStreamAnalyzer a;
  for (std::uint16_t seq = 1; seq <= 10; ++seq) a.add(pkt(seq, seq * 0.02));
  auto r1 = a.takeReportBlock(0x1234);
  CHECK(r1.ssrc == 0x1234);
  CHECK(r1.fractionLost == 0);
  CHECK(r1.cumulativeLost == 0);
  CHECK(r1.extHighestSeq == 10);
  for (std::uint16_t seq = 11; seq <= 20; ++seq) {
    if (seq != 13 && seq != 17) a.add(pkt(seq, seq * 0.02));
  }
  auto r2 = a.takeReportBlock(0x1234);
  CHECK(r2.fractionLost == 51);  // 2·256/10
  CHECK(r2.cumulativeLost == 2);
  CHECK(r2.extHighestSeq == 20);
  auto r3 = a.takeReportBlock(0x1234);
  CHECK(r3.fractionLost == 0);  // nothing new
}

TEST_CASE("rtp analyzer: Gmin decides whether two losses make one burst") {
  auto near = feed(100, 0, {20, 30});  // 9 received between them (< 16): one burst
  CHECK(near.burst.bursts == 1);
  CHECK(near.burst.burstPackets == 11);
  CHECK(near.burst.burstLost == 2);
  CHECK(near.burst.burstDensity == doctest::Approx(2.0 / 11));
  CHECK(near.burst.gaps == 2);
  CHECK(near.burst.gapPackets == 89);
  CHECK(near.burst.gapLost == 0);
  auto far = feed(100, 0, {20, 40});  // 19 received between: two isolated gap losses
  CHECK(far.burst.bursts == 0);
  CHECK(far.burst.gaps == 1);
  CHECK(far.burst.gapLost == 2);
  CHECK(far.burst.gapDensity == doctest::Approx(0.02));
  auto small = feed(100, 0, {20, 40}, 32);  // the same with Gmin 32: one burst of 21
  CHECK(small.burst.bursts == 1);
  CHECK(small.burst.burstPackets == 21);
}

TEST_CASE("rtp analyzer: VoIP Metrics values and the E-model for the rig's drops") {
  auto s = feed(500, 65000, {10, 11, 12, 100});
  const auto g711 = *findCodecImpairment("g711");
  auto v = voipMetrics(0x11223344U, s, g711, 0);
  CHECK(v.ssrc == 0x11223344U);
  CHECK(v.lossRate == 2);       // floor(4/500·256)
  CHECK(v.burstDensity == 255);  // 1.0, saturated
  CHECK(v.gapDensity == 0);     // floor(256/497)
  CHECK(v.burstDuration == 60);
  CHECK(v.gapDuration == 4970);
  CHECK(v.gmin == 16);
  CHECK(v.discardRate == 0);
  CHECK(v.rerl == 127);
  const double burstR = 1.0 / (2.0 / 495 + 0.5);
  const double ieEff = 95 * 0.8 / (0.8 / burstR + 4.3);
  CHECK(v.rFactor == static_cast<int>(std::lround(93.2 - ieEff)));
  auto e = streamEModel(s, g711, 0);
  CHECK(e.ieEff == doctest::Approx(ieEff));
  CHECK(v.mosLq == static_cast<int>(std::lround(mosFromR(93.2 - ieEff) * 10)));
  auto withDelay = voipMetrics(1, s, g711, 200);
  CHECK(withDelay.mosLq == v.mosLq);  // listening quality ignores delay
  CHECK(withDelay.mosCq < v.mosCq);
}

TEST_CASE("rtp analyzer: static payload types know their clock rate and name") {
  CHECK(staticClockRate(0) == 8000);
  CHECK(staticClockRate(9) == 8000);  // G.722's RTP clock is 8 kHz (RFC 3551)
  CHECK(staticClockRate(34) == 90000);
  CHECK(staticClockRate(96) == 0);
  CHECK(std::string(staticEncodingName(8)) == "PCMA");
  CHECK(std::string(staticEncodingName(111)).empty());
  RtpStreamAnalyzer dynamic;  // no clock rate: no jitter, counts still work
  dynamic.add({1, 0, 111, false, 0, 10});
  dynamic.add({2, 960, 111, false, 0.5, 10});
  CHECK(dynamic.stats().clockRate == 0);
  CHECK(dynamic.stats().jitterMs == 0);
  CHECK(dynamic.stats().received == 2);
}

TEST_CASE("rtp analyzer: packets before the probation run ends count from the first one") {
  RtpStreamAnalyzer a;
  // 8001 arrives late: probation restarts twice, then validates; all four count.
  for (int seq : {8000, 8002, 8001, 8003, 8004}) {
    a.add(pkt(static_cast<std::uint16_t>(seq), (seq - 8000) * 0.02));
  }
  auto s = a.stats();
  CHECK(s.valid);
  CHECK(s.baseSeq == 8000);
  CHECK(s.received == 5);
  CHECK(s.expected == 5);
  CHECK(s.lost == 0);
  CHECK(s.reordered == 1);
}
