#include <doctest/doctest.h>

#include <vector>

#include "probes/rtp_codec.hpp"

using namespace p2pmon::probes;
using Buf = std::vector<std::uint8_t>;

namespace {
// PCMU, seq 65000, ts 0, SSRC 0x11223344, as rtp_gen.py writes it (4 payload bytes here).
const Buf kPcmu = {0x80, 0x00, 0xfd, 0xe8, 0x00, 0x00, 0x00, 0x00, 0x11, 0x22, 0x33, 0x44,
                   0xff, 0xff, 0xff, 0xff};

// M, PT 96, CC 2, X with one word (RFC 8285 one-byte header), P with 4 octets.
const Buf kFull = {0xb2, 0xe0, 0x00, 0x07, 0x00, 0x00, 0x01, 0x40, 0xde, 0xad, 0xbe, 0xef,
                   0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02,  // CSRCs
                   0xbe, 0xde, 0x00, 0x01, 0x10, 0xaa, 0x00, 0x00,  // extension
                   0x01, 0x02, 0x03,                                // payload
                   0x00, 0x00, 0x00, 0x04};                         // padding
}  // namespace

TEST_CASE("rtp codec: a PCMU packet as rtp_gen.py writes it decodes field by field") {
  auto p = decodeRtp(kPcmu);
  REQUIRE(p.ok());
  CHECK_FALSE(p->padding);
  CHECK_FALSE(p->extension);
  CHECK_FALSE(p->marker);
  CHECK(p->payloadType == 0);
  CHECK(p->sequence == 65000);
  CHECK(p->timestamp == 0);
  CHECK(p->ssrc == 0x11223344U);
  CHECK(p->csrcCount == 0);
  CHECK(p->payload.size() == 4);
  CHECK(encodeRtp(*p) == kPcmu);
}

TEST_CASE("rtp codec: CSRC list, extension, marker and padding decode and re-encode to the same bytes") {
  auto p = decodeRtp(kFull);
  REQUIRE(p.ok());
  CHECK(p->padding);
  CHECK(p->extension);
  CHECK(p->marker);
  CHECK(p->payloadType == 96);
  CHECK(p->sequence == 7);
  CHECK(p->timestamp == 320);
  CHECK(p->ssrc == 0xdeadbeefU);
  REQUIRE(p->csrcCount == 2);
  CHECK(p->csrc[0] == 1);
  CHECK(p->csrc[1] == 2);
  CHECK(p->extensionProfile == 0xbede);
  CHECK(p->extensionData.size() == 4);
  CHECK(p->extensionData[0] == 0x10);
  CHECK(p->payload.size() == 3);
  CHECK(p->payload[2] == 0x03);
  CHECK(p->paddingSize == 4);
  CHECK(encodeRtp(*p) == kFull);
}

TEST_CASE("rtp codec: a packet built in code round-trips") {
  RtpPacket p;
  p.marker = true;
  p.payloadType = 8;
  p.sequence = 0xffff;
  p.timestamp = 0xfffffff0U;
  p.ssrc = 42;
  p.csrcCount = 15;
  for (std::uint32_t i = 0; i < 15; ++i) p.csrc[i] = i * 1000;
  const Buf payload(160, 0xd5);
  p.payload = payload;
  const Buf bytes = encodeRtp(p);
  CHECK(bytes.size() == 12 + 60 + 160);
  auto q = decodeRtp(bytes);
  REQUIRE(q.ok());
  CHECK(q->sequence == 0xffff);
  CHECK(q->timestamp == 0xfffffff0U);
  CHECK(q->csrc[14] == 14000);
  CHECK(q->payload.size() == 160);
  CHECK(encodeRtp(*q) == bytes);
}

TEST_CASE("rtp codec: every truncation of a packet is an error, never a read past the end") {
  for (std::size_t n = 0; n < kFull.size(); ++n) {
    const Buf cut(kFull.begin(), kFull.begin() + static_cast<long>(n));
    auto p = decodeRtp(cut);
    // Cutting into the padding can leave a packet whose last octet is a
    // valid small padding count; all shorter ones must fail.
    if (n < 28) {
      REQUIRE_FALSE(p.ok());
      CHECK(p.error().code == "too_short");
    }
  }
}

TEST_CASE("rtp codec: bad version and bad padding are named") {
  Buf v1 = kPcmu;
  v1[0] = 0x40;
  CHECK(decodeRtp(v1).error().code == "bad_version");
  Buf pad0 = kPcmu;
  pad0[0] |= 0x20;
  pad0.back() = 0;
  CHECK(decodeRtp(pad0).error().code == "bad_padding");
  Buf padLong = kPcmu;
  padLong[0] |= 0x20;
  padLong.back() = 5;  // only 4 octets follow the header
  CHECK(decodeRtp(padLong).error().code == "bad_padding");
  Buf cc = kPcmu;
  cc[0] |= 0x0f;  // 15 CSRCs announced, 4 bytes follow
  CHECK(decodeRtp(cc).error().code == "too_short");
  CHECK(looksLikeRtp(kPcmu));
  CHECK_FALSE(looksLikeRtp(v1));
}

TEST_CASE("rtcp codec: a hand-written RR decodes; cumulative lost is 24-bit signed") {
  const Buf rr = {0x81, 0xc9, 0x00, 0x07, 0x00, 0x00, 0x00, 0x01,  // RR, RC 1, length 7, SSRC 1
                  0x11, 0x22, 0x33, 0x44, 0x02, 0xff, 0xff, 0xfb,  // fraction 2, lost -5
                  0x00, 0x01, 0x01, 0x6b, 0x00, 0x00, 0x00, 0x2d,  // ext seq, jitter 45
                  0x12, 0x34, 0x56, 0x78, 0x00, 0x01, 0x00, 0x00}; // LSR, DLSR 1 s
  auto c = decodeRtcp(rr);
  REQUIRE(c.ok());
  REQUIRE(c->reports.size() == 1);
  const auto& r = c->reports[0];
  CHECK_FALSE(r.isSender);
  CHECK(r.ssrc == 1);
  REQUIRE(r.blocks.size() == 1);
  CHECK(r.blocks[0].ssrc == 0x11223344U);
  CHECK(r.blocks[0].fractionLost == 2);
  CHECK(r.blocks[0].cumulativeLost == -5);
  CHECK(r.blocks[0].extHighestSeq == 65536 + 363);
  CHECK(r.blocks[0].jitter == 45);
  CHECK(r.blocks[0].lsr == 0x12345678U);
  CHECK(r.blocks[0].dlsr == 65536);
  CHECK(encodeRtcpReport(r) == rr);
}

TEST_CASE("rtcp codec: SR with report blocks round-trips; lost is clamped to 24 bits on encode") {
  RtcpReport sr;
  sr.isSender = true;
  sr.ssrc = 7;
  sr.sender = {0xe1b2c3d4a5a6a7a8ULL, 12345, 500, 80000};
  sr.blocks.push_back({1, 10, 4, 65499, 30, 0, 0});
  sr.blocks.push_back({2, 0, -8388608, 1, 0, 5, 6});
  const Buf bytes = encodeRtcpReport(sr);
  CHECK(bytes.size() == 8 + 20 + 2 * 24);
  auto c = decodeRtcp(bytes);
  REQUIRE(c.ok());
  REQUIRE(c->reports.size() == 1);
  CHECK(c->reports[0] == sr);
  sr.blocks[0].cumulativeLost = 10000000;
  auto clamped = decodeRtcp(encodeRtcpReport(sr));
  REQUIRE(clamped.ok());
  CHECK(clamped->reports[0].blocks[0].cumulativeLost == 0x7fffff);
}

TEST_CASE("rtcp codec: XR VoIP Metrics block (RFC 3611 §4.7) round-trips in a compound with SDES") {
  RtcpXr xr;
  xr.ssrc = 9;
  VoipMetrics v;
  v.ssrc = 0x11223344U;
  v.lossRate = 2;
  v.discardRate = 1;
  v.burstDensity = 255;
  v.gapDensity = 0;
  v.burstDuration = 60;
  v.gapDuration = 4970;
  v.roundTripDelay = 100;
  v.endSystemDelay = 40;
  v.signalLevel = -20;
  v.noiseLevel = -60;
  v.rerl = 127;
  v.gmin = 16;
  v.rFactor = 77;
  v.extRFactor = 127;
  v.mosLq = 39;
  v.mosCq = 38;
  v.rxConfig = 0xf0;
  v.jbNominal = 40;
  v.jbMaximum = 80;
  v.jbAbsMax = 200;
  xr.voip.push_back(v);
  const Buf xrBytes = encodeRtcpXr(xr);
  CHECK(xrBytes.size() == 8 + 36);
  CHECK(xrBytes[8] == 7);    // BT
  CHECK(xrBytes[11] == 8);   // block length
  CHECK(xrBytes[28] == 0xec);  // signal level -20
  RtcpReport rr;
  rr.ssrc = 9;
  Buf compound = encodeRtcpReport(rr);
  compound.insert(compound.end(), xrBytes.begin(), xrBytes.end());
  const Buf sdes = {0x81, 0xca, 0x00, 0x02, 0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x00};
  compound.insert(compound.end(), sdes.begin(), sdes.end());
  auto c = decodeRtcp(compound);
  REQUIRE(c.ok());
  CHECK(c->reports.size() == 1);
  CHECK(c->otherPackets == 1);
  REQUIRE(c->xrs.size() == 1);
  CHECK(c->xrs[0] == xr);
}

TEST_CASE("rtcp codec: malformed compounds are named errors") {
  RtcpXr xr;
  xr.voip.push_back(VoipMetrics{});
  Buf bytes = encodeRtcpXr(xr);
  SUBCASE("every truncation fails") {
    for (std::size_t n = 0; n < bytes.size(); ++n) {
      CHECK_FALSE(decodeRtcp(Bytes(bytes.data(), n)).ok());
    }
  }
  SUBCASE("a VoIP block whose length is not 8") {
    bytes[11] = 7;
    bytes[3] = static_cast<std::uint8_t>(bytes[3] - 1);
    bytes.resize(bytes.size() - 4);
    CHECK(decodeRtcp(bytes).error().code == "bad_length");
  }
  SUBCASE("an XR block running past its packet") {
    bytes[11] = 9;
    CHECK(decodeRtcp(bytes).error().code == "bad_length");
  }
  SUBCASE("a report count that does not fit the length") {
    const Buf rr = {0x82, 0xc9, 0x00, 0x07, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0,
                    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    CHECK(decodeRtcp(rr).error().code == "bad_length");
  }
  SUBCASE("padding on a packet that is not the last") {
    Buf two = {0xa0, 0xc9, 0x00, 0x01, 0, 0, 0, 4};
    CHECK(decodeRtcp(two).error().code == "bad_length");  // the padding ate the SSRC
    two = {0xa0, 0xc9, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 4, 0x80, 0xc9, 0x00, 0x01, 0, 0, 0, 2};
    CHECK(decodeRtcp(two).error().code == "bad_padding");
  }
  SUBCASE("version and length") {
    bytes[0] = 0x40;
    CHECK(decodeRtcp(bytes).error().code == "bad_version");
    bytes[0] = 0x80;
    bytes[3] = 0x40;
    CHECK(decodeRtcp(bytes).error().code == "truncated");
  }
  CHECK(isRtcpPacketType(200));
  CHECK_FALSE(isRtcpPacketType(0));
  CHECK_FALSE(isRtcpPacketType(0x80 | 96));  // RTP PT 96 with marker: 224
}
