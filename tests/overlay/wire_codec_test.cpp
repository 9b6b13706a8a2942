#include <doctest/doctest.h>

#include "tests/support/vectors.hpp"

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "overlay-agent/wire_codec.hpp"
#include "tests/support/overlay_samples.hpp"

using namespace p2pmon::overlay;
namespace samples = p2pmon::overlay::samples;

namespace {
using Bytes = std::vector<std::uint8_t>;

std::vector<std::uint8_t> load(const std::string& name) {
  return p2pmon::test::loadVector("overlay/" + name);
}

// "50 32 ..." to bytes; spaces are for the reader.
Bytes hex(const std::string& text) {
  Bytes out;
  std::string digits;
  for (char c : text) {
    if (c != ' ') digits += c;
  }
  REQUIRE(digits.size() % 2 == 0);
  for (std::size_t i = 0; i < digits.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(std::stoul(digits.substr(i, 2), nullptr, 16)));
  }
  return out;
}

struct Golden {
  const char* file;
  Message message;
};

std::vector<Golden> goldens() {
  return {{"ping_req.bin", samples::ping()},
          {"find_ans_done.bin", samples::findAnsDone()},
          {"store_req.bin", samples::storeReq()},
          {"diag_ans.bin", samples::diagAns()}};
}
}  // namespace

TEST_CASE("wire codec: the PingReq header matches the layout written out in docs/protocol.md") {
  // docs/protocol.md §2, field by field.
  // clang-format off
  const Bytes expected = hex(
      "50 32 50 4D"                                       // 0  magic "P2PM"
      "01"                                                // 4  version
      "20"                                                // 5  ttl 32
      "00"                                                // 6  flags
      "00"                                                // 7  reserved
      "A1 B2 C3 D4"                                       // 8  overlay
      "01 02 03 04 05 06 07 08"                           // 12 transaction
      "00 01"                                             // 20 code PingReq
      "00 00"                                             // 22 body length
      "11 11 22 22 33 33 44 44 55 55 66 66 77 77 88 88"   // 24 sender Node-ID
      "00 00 00 00 00 00 00 00");                         // 40 authTag
  // clang-format on
  REQUIRE(expected.size() == kHeaderSize);
  CHECK(encode(samples::ping()) == expected);
  CHECK(load("ping_req.bin") == expected);
}

TEST_CASE("wire codec: a FindAns body matches the layout written out in docs/protocol.md") {
  FindAns b;
  b.done = true;
  b.peer =
      PeerRef{NodeId{0x0102030405060708ULL, 0x090a0b0c0d0e0f10ULL}, Endpoint::v4(0x7f000001, 4000)};
  Message m{samples::header(1), b};
  const Bytes bytes = encode(m);
  REQUIRE(bytes.size() == kHeaderSize + 25);
  CHECK(Bytes(bytes.begin() + 22, bytes.begin() + 24) == hex("00 19"));  // body length 25
  // clang-format off
  CHECK(Bytes(bytes.begin() + kHeaderSize, bytes.end()) ==
        hex("01"                                                // done
            "01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F 10"   // peer Node-ID
            "04 7F 00 00 01 0F A0"                              // IPv4 127.0.0.1 port 4000
            "00"));                                             // no successors
  // clang-format on
}

TEST_CASE("wire codec: golden vectors encode byte for byte and decode to their messages") {
  for (const auto& g : goldens()) {
    CAPTURE(std::string(g.file));
    const Bytes bytes = load(g.file);
    CHECK(encode(g.message) == bytes);
    auto decoded = decode(bytes, samples::kOverlay);
    REQUIRE_MESSAGE(decoded.ok(), (decoded.ok() ? std::string() : decoded.error().message));
    CHECK(*decoded == g.message);
  }
}

TEST_CASE("wire codec: a PingReq round-trips byte for byte") {
  const Bytes bytes = encode(samples::ping());
  auto decoded = decode(bytes, samples::kOverlay);
  REQUIRE(decoded.ok());
  CHECK(decoded->header.code == MessageCode::PingReq);
  CHECK(decoded->header.version == kProtocolVersion);
  CHECK(decoded->header.sender == samples::ping().header.sender);
  CHECK(encode(*decoded) == bytes);
}

TEST_CASE("wire codec: every message type round-trips with its field values") {
  const auto all = samples::everyType();
  REQUIRE(all.size() == std::variant_size_v<Body>);
  for (const auto& m : all) {
    CAPTURE(static_cast<int>(codeOf(m.body)));
    const Bytes bytes = encode(m);
    CHECK(bytes.size() <= kMaxMessageSize);
    auto decoded = decode(bytes, samples::kOverlay);
    REQUIRE_MESSAGE(decoded.ok(), (decoded.ok() ? std::string() : decoded.error().message));
    CHECK(*decoded == m);
    CHECK(encode(*decoded) == bytes);
    CHECK_FALSE(validate(m).has_value());
  }
}

TEST_CASE("wire codec: codeOf gives each body its request or answer code") {
  const auto all = samples::everyType();
  for (std::size_t i = 0; i + 1 < all.size(); ++i) {
    CHECK(static_cast<std::size_t>(codeOf(all[i].body)) == i + 1);
  }
  CHECK(codeOf(all.back().body) == MessageCode::Error);
}

TEST_CASE("wire codec: the code comes from the body and the version is always ours") {
  Message m = samples::ping();
  m.body = StoreAns{5};
  m.header.code = MessageCode::DiagReq;  // stale: must not reach the wire
  m.header.version = 9;
  const Bytes bytes = encode(m);
  CHECK(bytes[20] == 0x00);
  CHECK(bytes[21] == 12);
  CHECK(bytes[4] == kProtocolVersion);
  auto decoded = decode(bytes, samples::kOverlay);
  REQUIRE(decoded.ok());
  CHECK(decoded->header.code == MessageCode::StoreAns);
  CHECK(std::get<StoreAns>(decoded->body).stored == 5);
}

TEST_CASE("wire codec: overlayHash is the first 4 bytes of SHA-1 of the name, big-endian") {
  // sha1("p2pmon") = 05a70068 17086a83...; sha1("demo-overlay") = 7a114bb1 ...
  CHECK(overlayHash("p2pmon") == 0x05a70068u);
  CHECK(overlayHash("demo-overlay") == 0x7a114bb1u);
}

TEST_CASE("wire codec: the authTag is carried through and flags and reserved bytes are ignored") {
  Message m = samples::ping();
  m.header.authTag = {0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4};
  Bytes bytes = encode(m);
  CHECK(Bytes(bytes.begin() + 40, bytes.begin() + 48) == hex("DE AD BE EF 01 02 03 04"));
  bytes[6] = 0x80;  // flags
  bytes[7] = 0xff;  // reserved
  auto decoded = decode(bytes, samples::kOverlay);
  REQUIRE(decoded.ok());
  CHECK(*decoded == m);
  CHECK(encode(*decoded)[6] == 0);
  CHECK(encode(*decoded)[7] == 0);
}

TEST_CASE("wire codec: IPv6 endpoints carry 16 address bytes and IPv4 ones 4") {
  Message m{samples::header(3), FindAns{false, samples::peerV6(0xabcdULL << 48, 4443), {}}};
  const Bytes v6 = encode(m);
  CHECK(v6.size() == kHeaderSize + 1 + 16 + 1 + 16 + 2 + 1);
  CHECK(Bytes(v6.begin() + 65, v6.begin() + 84) ==
        hex("06 20 01 0D B8 00 00 00 00 00 00 00 00 00 00 12 34 11 5B"));
  std::get<FindAns>(m.body).peer = samples::peerV4(1, 0xC0000201, 80);
  CHECK(encode(m).size() == kHeaderSize + 1 + 16 + 1 + 4 + 2 + 1);
}

TEST_CASE("wire codec: stored keys follow the counters and only when present") {
  Message m = samples::diagAns();
  const Bytes without = encode(m);
  auto& d = std::get<DiagAns>(m.body);
  d.storedKeys = {{NodeId{1, 2}, RecordKind::UserLocation}, {NodeId{3, 4}, RecordKind::ProxyLocation}};
  const Bytes with = encode(m);
  // 1 count byte, then 16 bytes of Resource-ID and 1 of kind per key.
  CHECK(with.size() == without.size() + 1 + 2 * 17);
  auto decoded = decode(with, samples::kOverlay);
  REQUIRE(decoded.ok());
  CHECK(std::get<DiagAns>(decoded->body).storedKeys == d.storedKeys);
  auto plain = decode(without, samples::kOverlay);
  REQUIRE(plain.ok());
  CHECK(std::get<DiagAns>(plain->body).storedKeys.empty());
  // A bad kind in the list is a bad message, as anywhere else.
  Bytes bad = with;
  bad.back() = 9;
  CHECK_FALSE(decode(bad, samples::kOverlay).ok());
}
