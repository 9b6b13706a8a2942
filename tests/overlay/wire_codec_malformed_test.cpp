// Malformed input for the overlay wire codec: every datagram below must be
// rejected with its stable error code (docs/protocol.md §5), never crash and
// never allocate by a lying length (the ASan build checks the latter).
#include <doctest/doctest.h>

#include "tests/support/vectors.hpp"

#include <fstream>
#include <iterator>
#include <random>
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

std::string errorOf(const Bytes& bytes, std::uint32_t overlay = samples::kOverlay) {
  auto m = decode(bytes, overlay);
  return m.ok() ? "ok" : m.error().code;
}

void put16(Bytes& b, std::size_t at, std::size_t v) {
  b[at] = static_cast<std::uint8_t>(v >> 8);
  b[at + 1] = static_cast<std::uint8_t>(v);
}

std::string validateError(const Message& m) {
  auto e = validate(m);
  return e ? e->code : "ok";
}

// Offsets into the golden vectors (docs/protocol.md §4); the body starts at 48.
constexpr std::size_t kLength = 22;
constexpr std::size_t kFindDone = 48, kFindFamily = 65, kFindSuccessorCount = 72;
constexpr std::size_t kStoreRecordCount = 49, kStoreKind = 50, kStoreNameLength = 51,
                      kStoreEntryCount = 74, kStoreExists = 87, kStoreValueCount = 115;
constexpr std::size_t kDiagVersionLength = 97, kDiagSuccessorCount = 116, kDiagCounterCount = 304;
}  // namespace

TEST_CASE("wire codec: every truncation of a valid message is rejected as truncated") {
  std::vector<Bytes> valid = {load("ping_req.bin"), load("find_ans_done.bin"),
                              load("store_req.bin"), load("diag_ans.bin")};
  for (const auto& m : samples::everyType()) valid.push_back(encode(m));
  for (const auto& bytes : valid) {
    REQUIRE(errorOf(bytes) == "ok");
    for (std::size_t n = 0; n < bytes.size(); ++n) {
      CAPTURE(n);
      CHECK(errorOf(Bytes(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n))) ==
            "truncated");
    }
  }
}

TEST_CASE("wire codec: a wrong magic, version or overlay is rejected by name") {
  const Bytes good = load("ping_req.bin");
  for (std::size_t i = 0; i < 4; ++i) {
    Bytes b = good;
    b[i] ^= 0x01;
    CHECK(errorOf(b) == "bad_magic");
  }
  for (int v : {0, 2, 255}) {
    Bytes b = good;
    b[4] = static_cast<std::uint8_t>(v);
    CHECK(errorOf(b) == "bad_version");
  }
  Bytes b = good;
  b[11] ^= 0x80;
  CHECK(errorOf(b) == "wrong_overlay");
  CHECK(errorOf(good, samples::kOverlay + 1) == "wrong_overlay");
  CHECK(errorOf(good, overlayHash("another overlay")) == "wrong_overlay");
}

TEST_CASE("wire codec: a body length field that disagrees with the datagram is rejected") {
  const Bytes good = load("find_ans_done.bin");
  const std::size_t body = good.size() - kHeaderSize;
  Bytes b = good;
  put16(b, kLength, body + 1);
  CHECK(errorOf(b) == "truncated");
  put16(b, kLength, 0xffff);
  CHECK(errorOf(b) == "truncated");
  put16(b, kLength, body - 1);
  CHECK(errorOf(b) == "bad_length");
  put16(b, kLength, 0);
  CHECK(errorOf(b) == "bad_length");
}

TEST_CASE("wire codec: datagrams over kMaxMessageSize are too_large, exactly at it they decode") {
  StoreReq store;
  Record rec;
  for (int i = 0; i < 7; ++i) rec.entries.push_back(Entry{std::string(1000, 'k'), {}, 1, 2, true});
  rec.entries.push_back(Entry{std::string(1010, 'k'), {}, 1, 2, true});
  store.records = {rec};
  Message m{samples::header(9), store};
  Bytes bytes = encode(m);
  REQUIRE(bytes.size() == kMaxMessageSize);
  CHECK(errorOf(bytes) == "ok");
  std::get<StoreReq>(m.body).records[0].entries[0].key += "k";
  CHECK(encode(m).size() == kMaxMessageSize + 1);
  CHECK(errorOf(encode(m)) == "too_large");
  CHECK(validateError(m) == "too_large");
  CHECK(errorOf(Bytes(100000, 0)) == "too_large");
}

TEST_CASE("wire codec: an unknown message code is rejected as bad_code") {
  Bytes b = load("ping_req.bin");
  for (std::size_t code : {0, 19, 20, 0x100, 0x8000, 0xfffe}) {
    put16(b, 20, code);
    CHECK(errorOf(b) == "bad_code");
  }
}

TEST_CASE("wire codec: a string length that lies is bad_body") {
  Bytes b = load("store_req.bin");
  put16(b, kStoreNameLength, 1000);  // within kMaxText, past the end of the body
  CHECK(errorOf(b) == "bad_body");
  put16(b, kStoreNameLength, kMaxText + 1);
  CHECK(errorOf(b) == "bad_body");
  put16(b, kStoreNameLength, 0xffff);
  CHECK(errorOf(b) == "bad_body");
  put16(b, kStoreNameLength, 0x14);  // one short: the rest no longer parses
  CHECK(errorOf(b) == "bad_body");
  Bytes d = load("diag_ans.bin");
  put16(d, kDiagVersionLength, 0x0400);
  CHECK(errorOf(d) == "bad_body");
}

TEST_CASE("wire codec: list counts over their bound or past the end are bad_body") {
  auto withByte = [](const char* file, std::size_t at, std::uint8_t v) {
    Bytes b = load(file);
    b[at] = v;
    return errorOf(b);
  };
  CHECK(withByte("find_ans_done.bin", kFindSuccessorCount, kMaxPeerList + 1) == "bad_body");
  CHECK(withByte("find_ans_done.bin", kFindSuccessorCount, kMaxPeerList) == "bad_body");
  CHECK(withByte("find_ans_done.bin", kFindSuccessorCount, 255) == "bad_body");
  CHECK(withByte("store_req.bin", kStoreRecordCount, kMaxRecords + 1) == "bad_body");
  CHECK(withByte("store_req.bin", kStoreEntryCount, kMaxEntries + 1) == "bad_body");
  CHECK(withByte("store_req.bin", kStoreValueCount, kMaxValues + 1) == "bad_body");
  CHECK(withByte("diag_ans.bin", kDiagSuccessorCount, 200) == "bad_body");
  CHECK(withByte("diag_ans.bin", kDiagCounterCount, kMaxCounters + 1) == "bad_body");
  CHECK(withByte("diag_ans.bin", kDiagCounterCount, 4) == "bad_body");
}

TEST_CASE("wire codec: trailing bytes after the body are bad_body") {
  for (const char* file : {"ping_req.bin", "find_ans_done.bin", "store_req.bin", "diag_ans.bin"}) {
    CAPTURE(std::string(file));
    Bytes b = load(file);
    b.push_back(0);
    put16(b, kLength, b.size() - kHeaderSize);
    CHECK(errorOf(b) == "bad_body");
  }
}

TEST_CASE("wire codec: bad enum values, booleans and endpoint families are bad_body") {
  auto withByte = [](const char* file, std::size_t at, std::uint8_t v) {
    Bytes b = load(file);
    b[at] = v;
    return errorOf(b);
  };
  CHECK(withByte("find_ans_done.bin", kFindDone, 2) == "bad_body");
  CHECK(withByte("find_ans_done.bin", kFindFamily, 0) == "bad_body");
  CHECK(withByte("find_ans_done.bin", kFindFamily, 5) == "bad_body");
  CHECK(withByte("find_ans_done.bin", kFindFamily, 41) == "bad_body");
  CHECK(withByte("store_req.bin", kStoreKind, 0) == "bad_body");
  CHECK(withByte("store_req.bin", kStoreKind, 3) == "bad_body");
  CHECK(withByte("store_req.bin", kStoreExists, 7) == "bad_body");

  Bytes fetch =
      encode(Message{samples::header(1), FetchReq{NodeId{1, 2}, RecordKind::ProxyLocation}});
  fetch.back() = 9;
  CHECK(errorOf(fetch) == "bad_body");
  Bytes error = encode(Message{samples::header(1), ErrorAns{ErrorCode::NotFound, "x"}});
  put16(error, kHeaderSize, 999);
  CHECK(errorOf(error) == "bad_body");
}

TEST_CASE("wire codec: messages that break a bound are reported by validate and rejected") {
  FindAns find;
  find.successors.assign(kMaxPeerList, samples::peerV4(1, 0x7f000001, 1));
  Message m{samples::header(1), find};
  CHECK(validateError(m) == "ok");
  std::get<FindAns>(m.body).successors.push_back(samples::peerV4(2, 0x7f000001, 2));
  CHECK(validateError(m) == "bad_body");
  CHECK(errorOf(encode(m)) == "bad_body");

  // A count over 255 must not wrap around to a small valid one.
  std::get<FindAns>(m.body).successors.assign(257, samples::peerV4(1, 0x7f000001, 1));
  CHECK(validateError(m) == "bad_body");
  std::get<FindAns>(m.body).successors.assign(400, samples::peerV4(1, 0x7f000001, 1));
  CHECK(validateError(m) == "too_large");
  StoreReq store;
  store.records.assign(256, Record{});
  CHECK(validateError(Message{samples::header(1), store}) == "bad_body");

  ErrorAns err{ErrorCode::Internal, std::string(kMaxText, 'x')};
  CHECK(validateError(Message{samples::header(1), err}) == "ok");
  err.text += 'x';
  CHECK(validateError(Message{samples::header(1), err}) == "bad_body");
  err.text.assign(70000, 'x');  // over the u16 length too
  CHECK(validateError(Message{samples::header(1), err}) == "too_large");

  Message badFamily{samples::header(1), FindAns{}};
  std::get<FindAns>(badFamily.body).peer.endpoint.family = 7;
  CHECK(validateError(badFamily) == "bad_body");
}

TEST_CASE("wire codec: 20,000 random buffers never crash and never decode") {
  std::mt19937 rng(20240601);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<std::size_t> shortLen(0, 600);
  std::uniform_int_distribution<std::size_t> anyLen(0, kMaxMessageSize + 100);
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    Bytes b(i % 10 == 0 ? anyLen(rng) : shortLen(rng));
    for (auto& x : b) x = static_cast<std::uint8_t>(byte(rng));
    if (decode(b, samples::kOverlay).ok()) ++accepted;
  }
  CHECK(accepted == 0);
}

TEST_CASE(
    "wire codec: random bodies behind a valid header never crash; what decodes is canonical") {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<std::size_t> bodyLen(0, 400);
  const auto all = samples::everyType();
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    Bytes b =
        encode(Message{samples::header(1), all[static_cast<std::size_t>(i) % all.size()].body});
    b.resize(kHeaderSize + (i % 4 == 0 ? bodyLen(rng) % 8 : bodyLen(rng)));
    for (std::size_t j = kHeaderSize; j < b.size(); ++j)
      b[j] = static_cast<std::uint8_t>(byte(rng));
    put16(b, kLength, b.size() - kHeaderSize);
    auto m = decode(b, samples::kOverlay);
    if (!m.ok()) continue;
    ++accepted;
    CHECK(encode(*m) == b);
  }
  CHECK(accepted > 0);  // the bodies did reach the body parsers
}

TEST_CASE(
    "wire codec: flipping any bit of a golden vector never crashes; what decodes is canonical") {
  for (const char* file : {"ping_req.bin", "find_ans_done.bin", "store_req.bin", "diag_ans.bin"}) {
    const Bytes good = load(file);
    for (std::size_t i = 0; i < good.size(); ++i) {
      for (int bit = 0; bit < 8; ++bit) {
        Bytes b = good;
        b[i] = static_cast<std::uint8_t>(b[i] ^ (1 << bit));
        auto m = decode(b, samples::kOverlay);
        if (!m.ok()) continue;
        b[6] = 0;  // flags and reserved are ignored on receipt and sent as 0
        b[7] = 0;
        CAPTURE(std::string(file));
        CAPTURE(i);
        CHECK(encode(*m) == b);
      }
    }
  }
}
