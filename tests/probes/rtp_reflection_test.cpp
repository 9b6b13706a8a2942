// The RTP reflector's wire format (golden bytes, round trip, malformed
// extensions) and its engine (counts per source, drop reasons, the source
// cap and idle expiry), on bytes and values alone.
#include <doctest/doctest.h>

#include <vector>

#include "probes/rtp_reflection.hpp"
#include "probes/rtp_reflector_engine.hpp"

using namespace p2pmon::probes;
using Buf = std::vector<std::uint8_t>;

namespace {
// PCMU, seq 65000, ts 0, SSRC 0x11223344, 4 payload octets.
const Buf kPcmu = {0x80, 0x00, 0xfd, 0xe8, 0x00, 0x00, 0x00, 0x00, 0x11, 0x22, 0x33, 0x44,
                   0xff, 0xff, 0xff, 0xff};
// docs/protocol.md "RTP reflector": the reflection of kPcmu received at NTP
// 0x0123456789abcdef as the 7th packet of its source, 7th reflection (6).
const Buf kReflected = {0x90, 0x00, 0xfd, 0xe8, 0x00, 0x00, 0x00, 0x00, 0x11, 0x22, 0x33, 0x44,
                        0xbe, 0xde, 0x00, 0x05,                          // RFC 8285 one-byte, 5 words
                        0x1f,                                            // ID 1, L 15 (16 octets)
                        0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,  // receive time, NTP 32.32
                        0x00, 0x00, 0x00, 0x07,                          // packets received
                        0x00, 0x00, 0x00, 0x06,                          // outgoing sequence
                        0x00, 0x00, 0x00,                                // padding
                        0xff, 0xff, 0xff, 0xff};                         // payload as sent

Buf reflect(const Buf& in, const ReflectionInfo& info) {
  auto p = decodeRtp(in);
  REQUIRE(p.ok());
  Buf out(in.size() + kReflectionExtensionSize);
  out.resize(encodeReflection(in, *p, info, out));
  return out;
}

RtpSourceAddress from(std::uint8_t last, std::uint16_t port) {
  RtpSourceAddress a;
  a.ip = {127, 0, 0, last};
  a.port = port;
  return a;
}

Buf packet(std::uint32_t ssrc, std::uint16_t seq) {
  Buf b = kPcmu;
  b[2] = static_cast<std::uint8_t>(seq >> 8);
  b[3] = static_cast<std::uint8_t>(seq);
  for (int i = 0; i < 4; ++i) b[8 + i] = static_cast<std::uint8_t>(ssrc >> (24 - 8 * i));
  return b;
}

constexpr std::uint64_t kT0 = 0xe000000000000000ULL;  // some NTP time
std::uint64_t at(std::uint32_t seconds) { return kT0 + (std::uint64_t{seconds} << 32); }
}  // namespace

TEST_CASE("rtp reflection: the golden reflection of a PCMU packet, byte by byte") {
  CHECK(reflect(kPcmu, {0x0123456789abcdefULL, 7, 6}) == kReflected);
}

TEST_CASE("rtp reflection: a reflection decodes back to the header sent and the reflector's values") {
  auto p = decodeRtp(kReflected);
  REQUIRE(p.ok());
  CHECK(p->sequence == 65000);
  CHECK(p->ssrc == 0x11223344U);
  CHECK(p->payload.size() == 4);
  auto info = decodeReflection(*p);
  REQUIRE(info.ok());
  CHECK(*info == ReflectionInfo{0x0123456789abcdefULL, 7, 6});
}

TEST_CASE("rtp reflection: CSRCs and padding are kept, the sender's own extension is replaced") {
  // M, PT 96, CC 1, X with one word, P with 4 octets.
  const Buf in = {0xb1, 0xe0, 0x00, 0x07, 0x00, 0x00, 0x01, 0x40, 0xde, 0xad, 0xbe, 0xef,
                  0x00, 0x00, 0x00, 0x01, 0xbe, 0xde, 0x00, 0x01, 0x20, 0xaa, 0x00, 0x00,
                  0x01, 0x02, 0x03, 0x00, 0x00, 0x00, 0x04};
  const Buf out = reflect(in, {1, 2, 3});
  CHECK(out.size() == in.size() - 8 + kReflectionExtensionSize);
  auto p = decodeRtp(out);
  REQUIRE(p.ok());
  CHECK(p->marker);
  CHECK(p->csrcCount == 1);
  CHECK(p->csrc[0] == 1);
  CHECK(p->padding);
  CHECK(p->payload.size() == 3);
  CHECK(p->payload[2] == 0x03);
  CHECK(*decodeReflection(*p) == ReflectionInfo{1, 2, 3});
}

TEST_CASE("rtp reflection: packets without the element or with a broken one are told apart") {
  auto plain = decodeRtp(kPcmu);
  REQUIRE(plain.ok());
  CHECK(decodeReflection(*plain).error().code == "not_reflected");
  Buf wrongSize = kReflected;
  wrongSize[16] = 0x17;  // ID 1, L 7: 8 octets
  CHECK(decodeReflection(*decodeRtp(wrongSize)).error().code == "bad_extension");
  Buf otherId = kReflected;
  otherId[16] = 0x2f;  // ID 2
  CHECK(decodeReflection(*decodeRtp(otherId)).error().code == "not_reflected");
  Buf overrun = kReflected;
  overrun[15] = 0x01;  // one word: the 16-octet element runs past it
  CHECK(decodeReflection(*decodeRtp(overrun)).error().code == "bad_extension");
}

TEST_CASE("rtp reflection: NTP time from Unix time and back") {
  const std::uint64_t ntp = ntpFromUnix(1700000000, 500000000);
  CHECK((ntp >> 32) == 1700000000ULL + 2208988800ULL);
  CHECK((ntp & 0xffffffffULL) == 0x80000000ULL);
  CHECK(ntpToUnixSeconds(ntp) == doctest::Approx(1700000000.5).epsilon(1e-12));
}

TEST_CASE("rtp reflector engine: counts and outgoing sequence per source and SSRC") {
  RtpReflectorEngine e;
  Buf out(256);
  for (std::uint16_t i = 0; i < 3; ++i) {
    const Buf in = packet(0xaaaa, static_cast<std::uint16_t>(100 + i));
    const std::size_t n = e.handle(from(1, 5000), in, at(0), out);
    REQUIRE(n == in.size() + kReflectionExtensionSize);
    auto info = decodeReflection(*decodeRtp(Bytes(out.data(), n)));
    CHECK(info->received == i + 1U);
    CHECK(info->outSequence == i);
    CHECK(info->receiveTime == at(0));
  }
  // Another SSRC from the same address, the same SSRC from another port: new sources.
  for (const auto& [addr, ssrc] : {std::pair{from(1, 5000), 0xbbbbU}, std::pair{from(1, 5001), 0xaaaaU}}) {
    const std::size_t n = e.handle(addr, packet(ssrc, 7), at(0), out);
    CHECK(decodeReflection(*decodeRtp(Bytes(out.data(), n)))->received == 1);
  }
  CHECK(e.stats().received == 5);
  CHECK(e.stats().reflected == 5);
  CHECK(e.stats().sources == 3);
}

TEST_CASE("rtp reflector engine: malformed datagrams are dropped and counted by reason") {
  RtpReflectorEngine e;
  Buf out(4096);
  const Buf shortOne = {0x80, 0x00, 0x01};
  Buf v1 = kPcmu;
  v1[0] = 0x40;
  Buf badPadding = kPcmu;
  badPadding[0] = 0xa0;
  badPadding.back() = 0x40;  // 64 octets of padding in a 4-octet payload
  const Buf rtcp = {0x80, 0xc9, 0x00, 0x01, 0x11, 0x22, 0x33, 0x44};  // RR, no blocks
  Buf tooLong = kPcmu;
  tooLong.resize(kMaxReflectedDatagram + 1, 0);
  for (const Buf* b : std::initializer_list<const Buf*>{&shortOne, &v1, &badPadding, &rtcp, &tooLong}) {
    CHECK(e.handle(from(1, 1), *b, at(0), out) == 0);
  }
  e.countTooLong();
  CHECK(e.stats().dropped.at("too_short") == 1);
  CHECK(e.stats().dropped.at("bad_version") == 1);
  CHECK(e.stats().dropped.at("bad_padding") == 1);
  CHECK(e.stats().dropped.at("rtcp") == 1);
  CHECK(e.stats().dropped.at("too_long") == 2);
  CHECK(e.stats().received == 6);
  CHECK(e.stats().reflected == 0);
  // And the service goes on.
  CHECK(e.handle(from(1, 1), kPcmu, at(0), out) == kPcmu.size() + kReflectionExtensionSize);
}

TEST_CASE("rtp reflector engine: at the source cap the least recently seen source goes") {
  RtpReflectorEngine e({3, 60});
  Buf out(256);
  e.handle(from(1, 1), packet(1, 0), at(0), out);
  e.handle(from(1, 1), packet(2, 0), at(1), out);
  e.handle(from(1, 1), packet(3, 0), at(2), out);
  e.handle(from(1, 1), packet(1, 1), at(3), out);  // source 1 is recent again
  e.handle(from(1, 1), packet(4, 0), at(4), out);  // full: source 2 goes
  CHECK(e.stats().evicted == 1);
  CHECK(e.stats().sources == 3);
  std::size_t n = e.handle(from(1, 1), packet(1, 2), at(5), out);
  CHECK(decodeReflection(*decodeRtp(Bytes(out.data(), n)))->received == 3);  // kept
  n = e.handle(from(1, 1), packet(2, 1), at(5), out);
  CHECK(decodeReflection(*decodeRtp(Bytes(out.data(), n)))->received == 1);  // started again
}

TEST_CASE("rtp reflector engine: an idle source is forgotten and starts again from zero") {
  RtpReflectorEngine e({16, 10});
  Buf out(256);
  e.handle(from(1, 1), packet(9, 0), at(0), out);
  e.handle(from(1, 1), packet(9, 1), at(1), out);
  e.handle(from(1, 1), packet(8, 0), at(20), out);  // the sweep finds 9 idle
  CHECK(e.stats().expired == 1);
  CHECK(e.stats().sources == 1);
  const std::size_t n = e.handle(from(1, 1), packet(9, 2), at(21), out);
  auto info = decodeReflection(*decodeRtp(Bytes(out.data(), n)));
  CHECK(info->received == 1);
  CHECK(info->outSequence == 0);
}
