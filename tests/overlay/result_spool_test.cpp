#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "overlay-agent/result_spool.hpp"
#include "overlay-agent/spool_files.hpp"
#include "overlay-agent/spool_record.hpp"
#include "tests/support/temp_dir.hpp"

using namespace p2pmon;
using namespace p2pmon::agent;
namespace fs = std::filesystem;

namespace {
core::CheckResult numbered(int i) {
  core::CheckResult r;
  r.host = "drv-host";
  r.service = "seq";
  r.state = static_cast<core::State>(i % 4);
  r.output = "n=" + std::to_string(i);
  r.perfdata = "n=" + std::to_string(i) + ";;;0";
  r.time = 1.7e9 + i * 0.25;
  r.source = "test";
  return r;
}

std::vector<core::CheckResult> numbers(int from, int to) {
  std::vector<core::CheckResult> v;
  for (int i = from; i < to; ++i) v.push_back(numbered(i));
  return v;
}

std::unique_ptr<ResultSpool> openSpool(const std::string& dir, std::uint64_t maxBytes = 1 << 20,
                                       std::uint64_t segmentBytes = 0) {
  auto s = ResultSpool::open({.dir = dir, .maxBytes = maxBytes, .segmentBytes = segmentBytes});
  REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.error().message));
  return std::move(s).value();
}

std::vector<std::string> segmentFiles(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".seg") out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string outputs(const std::vector<core::CheckResult>& v) {
  std::string s;
  for (const auto& r : v) s += r.output + " ";
  return s;
}

std::size_t frameSize(int i) {
  std::vector<std::uint8_t> buf;
  return spool::appendFrame(numbered(i), buf);
}
}  // namespace

TEST_CASE("spool record: a result round-trips byte for byte, non-UTF-8 output included") {
  core::CheckResult r = numbered(7);
  r.output = std::string("bytes \xff\xfe and a\nsecond line", 27);
  r.service = "";
  std::vector<std::uint8_t> buf;
  const std::size_t n = spool::appendFrame(r, buf);
  CHECK(n == buf.size());
  auto f = spool::readFrame(buf);
  REQUIRE(f.status == spool::FrameStatus::Ok);
  CHECK(f.size == n);
  auto back = spool::decodePayload(f.payload);
  REQUIRE(back.ok());
  CHECK(*back == r);
}

TEST_CASE("spool record: cut, damaged and foreign bytes are told apart") {
  std::vector<std::uint8_t> buf;
  spool::appendFrame(numbered(1), buf);
  const std::size_t first = buf.size();
  spool::appendFrame(numbered(2), buf);
  CHECK(spool::readFrame(std::span(buf).first(5)).status == spool::FrameStatus::Truncated);
  CHECK(spool::readFrame(std::span(buf).first(first - 1)).status == spool::FrameStatus::Truncated);
  auto damaged = buf;
  damaged[20] ^= 0x01;
  CHECK(spool::readFrame(damaged).status == spool::FrameStatus::Bad);
  CHECK(spool::findFrame(damaged, 1) == first);
  std::vector<std::uint8_t> noise{'x', 'y', 0xFF, 'P', 'S', '1', 0xFF, 0xFF, 0xFF, 0xFF};
  CHECK(spool::readFrame(noise).status == spool::FrameStatus::Bad);
  CHECK(spool::findFrame(noise, 0) == noise.size());
  CHECK_FALSE(spool::decodePayload(std::span(buf).subspan(12, 5)).ok());
}

TEST_CASE("spool files: segment names sort by sequence, the cursor line carries a CRC") {
  CHECK(spool::segmentName(42) == "00000000000000000042.seg");
  CHECK(spool::segmentSeq("00000000000000000042.seg") == 42u);
  CHECK_FALSE(spool::segmentSeq("0000000000000000004x.seg").has_value());
  CHECK_FALSE(spool::segmentSeq("42.seg").has_value());
  CHECK_FALSE(spool::segmentSeq("cursor").has_value());
  const std::string text = spool::cursorText({7, 1234});
  auto c = spool::parseCursor(text);
  REQUIRE(c.has_value());
  CHECK(c->seq == 7);
  CHECK(c->offset == 1234);
  std::string changed = text;
  changed[22] = '8';  // the segment number, CRC unchanged
  CHECK_FALSE(spool::parseCursor(changed).has_value());
  CHECK_FALSE(spool::parseCursor(text.substr(0, 10)).has_value());
  CHECK_FALSE(spool::parseCursor("").has_value());
}

TEST_CASE("result spool: results come back oldest first and leave only when acknowledged") {
  test::TempDir tmp{"p2pmon-spool"};
  auto s = openSpool(tmp.file("spool"));
  CHECK(s->persistent());
  CHECK_FALSE(s->append(numbers(0, 10)).has_value());
  CHECK(s->size() == 10);
  CHECK(s->bytes() > 0);
  CHECK(outputs(s->peek(3)) == "n=0 n=1 n=2 ");
  CHECK(outputs(s->peek(3)) == "n=0 n=1 n=2 ");  // peek removes nothing
  s->ack(2);
  CHECK(s->size() == 8);
  auto rest = s->peek(100);
  REQUIRE(rest.size() == 8);
  CHECK(rest.front() == numbered(2));
  CHECK(rest.back() == numbered(9));
  s->ack(8);
  CHECK(s->size() == 0);
  CHECK(s->bytes() == 0);
  CHECK(s->peek(10).empty());
}

TEST_CASE("result spool: a reopened spool continues where the acknowledgements stopped") {
  test::TempDir tmp{"p2pmon-spool"};
  {
    auto s = openSpool(tmp.file("spool"), 1 << 20, 1024);  // small segments: several files
    s->append(numbers(0, 40));
    s->peek(15);
    s->ack(15);
    s->append(numbers(40, 50));
    CHECK(segmentFiles(tmp.file("spool")).size() > 1);
  }
  auto s = openSpool(tmp.file("spool"), 1 << 20, 1024);
  CHECK(s->size() == 35);
  auto v = s->peek(100);
  REQUIRE(v.size() == 35);
  for (int i = 0; i < 35; ++i) CHECK(v[static_cast<std::size_t>(i)] == numbered(15 + i));
  s->ack(35);
  // Fully acknowledged segments are deleted; the newest stays for appending.
  CHECK(segmentFiles(tmp.file("spool")).size() == 1);
  s->append(numbers(50, 51));
  CHECK(s->peek(5) == numbers(50, 51));
}

TEST_CASE("result spool: a torn record at the end is cut at open, the rest kept") {
  test::TempDir tmp{"p2pmon-spool"};
  {
    auto s = openSpool(tmp.file("spool"));
    s->append(numbers(0, 3));
  }
  auto files = segmentFiles(tmp.file("spool"));
  REQUIRE(files.size() == 1);
  const auto good = fs::file_size(files[0]);
  std::vector<std::uint8_t> frame;
  spool::appendFrame(numbered(3), frame);
  {
    std::ofstream out(files[0], std::ios::binary | std::ios::app);
    out.write(reinterpret_cast<const char*>(frame.data()), 20);  // killed mid-write
  }
  auto s = openSpool(tmp.file("spool"));
  CHECK(s->counters().truncatedBytes == 20);
  CHECK(fs::file_size(files[0]) == good);
  CHECK(s->size() == 3);
  s->append(numbers(3, 5));
  CHECK(s->peek(10) == numbers(0, 5));
}

TEST_CASE("result spool: a corrupt record in the middle is skipped, counted, and never crashes") {
  test::TempDir tmp{"p2pmon-spool"};
  {
    auto s = openSpool(tmp.file("spool"));
    s->append(numbers(0, 5));
  }
  auto files = segmentFiles(tmp.file("spool"));
  REQUIRE(files.size() == 1);
  {
    // Damage the payload of record 2 (its CRC no longer matches).
    std::fstream f(files[0], std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(static_cast<std::streamoff>(frameSize(0) + frameSize(1) + 15));
    f.put('#');
  }
  auto s = openSpool(tmp.file("spool"));
  CHECK(s->size() == 4);
  CHECK(outputs(s->peek(10)) == "n=0 n=1 ");  // stops before the damage
  s->ack(2);
  CHECK(outputs(s->peek(10)) == "n=3 n=4 ");  // dropped once it is at the head
  CHECK(s->counters().corrupt == 1);
  s->ack(2);
  CHECK(s->size() == 0);
  CHECK(s->bytes() == 0);
}

TEST_CASE("result spool: over its bound it drops the oldest results, counted") {
  test::TempDir tmp{"p2pmon-spool"};
  const std::uint64_t bound = 10 * frameSize(10);
  auto s = openSpool(tmp.file("spool"), bound, 3 * frameSize(10));
  for (int i = 0; i < 30; ++i) s->append(numbers(i, i + 1));
  CHECK(s->bytes() <= bound);
  CHECK(s->size() == 10);
  CHECK(s->counters().droppedFull == 20);
  CHECK(s->peek(100) == numbers(20, 30));
  // Old segments went with their results.
  CHECK(segmentFiles(tmp.file("spool")).size() <= 5);
  // A batch larger than the bound keeps its newest results.
  s->append(numbers(30, 50));
  CHECK(s->peek(100) == numbers(40, 50));
  CHECK(s->counters().droppedFull == 40);
  auto again = openSpool(tmp.file("spool") + "-2", bound);
  CHECK(again->size() == 0);
}

TEST_CASE("result spool: results dropped while a batch is out are not acknowledged twice") {
  test::TempDir tmp{"p2pmon-spool"};
  auto s = openSpool(tmp.file("spool"), 10 * frameSize(10));
  s->append(numbers(0, 10));
  auto batch = s->peek(5);  // 0..4 are being sent
  s->append(numbers(10, 13));  // the bound drops 0..2
  CHECK(s->counters().droppedFull == 3);
  s->ack(batch.size());  // only 3 and 4 are left to remove
  CHECK(s->peek(100) == numbers(5, 13));
}

TEST_CASE("result spool: a second process (or opening) of the same directory is refused") {
  test::TempDir tmp{"p2pmon-spool"};
  auto first = openSpool(tmp.file("spool"));
  auto second = ResultSpool::open({.dir = tmp.file("spool")});
  REQUIRE_FALSE(second.ok());
  CHECK(second.error().code == "spool_locked");
  CHECK(second.error().message.find("pid " + std::to_string(::getpid())) != std::string::npos);
  first.reset();
  CHECK(ResultSpool::open({.dir = tmp.file("spool")}).ok());
}

TEST_CASE("result spool: an unreadable cursor sends again from the oldest segment") {
  test::TempDir tmp{"p2pmon-spool"};
  {
    auto s = openSpool(tmp.file("spool"));
    s->append(numbers(0, 4));
    s->peek(2);
    s->ack(2);
  }
  std::ofstream(tmp.file("spool") + "/cursor", std::ios::trunc) << "p2pmon-spool-cursor 1 1 9 0\n";
  auto s = openSpool(tmp.file("spool"));
  CHECK(s->peek(10) == numbers(0, 4));
}

TEST_CASE("result spool: without a directory it keeps results in memory, bound included") {
  auto opened = ResultSpool::open({.dir = "", .maxBytes = 5 * frameSize(10)});
  REQUIRE(opened.ok());
  auto s = std::move(opened).value();
  CHECK_FALSE(s->persistent());
  s->append(numbers(0, 8));
  CHECK(s->size() == 5);
  CHECK(s->counters().droppedFull == 3);
  CHECK(s->peek(2) == numbers(3, 5));
  s->ack(2);
  CHECK(s->peek(10) == numbers(5, 8));
  s->ack(3);
  CHECK(s->size() == 0);
  CHECK(s->bytes() == 0);
}
