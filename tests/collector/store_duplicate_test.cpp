#include <doctest/doctest.h>

#include <filesystem>

#include "collector/store_reader.hpp"
#include "collector/store_writer.hpp"
#include "tests/support/temp_dir.hpp"

using namespace p2pmon;
using namespace p2pmon::collector;
using p2pmon::test::TempDb;

namespace {
core::CheckResult numbered(int i, double time, std::string service = "seq") {
  return {"drv-host", std::move(service), core::State::Ok, "n=" + std::to_string(i), "", time,
          "test"};
}

std::vector<std::string> stored(StoreReader& r, const std::string& service = "seq") {
  HistoryQuery q;
  q.host = "drv-host";
  q.service = service;
  q.limit = 1000;
  std::vector<std::string> out;
  auto rows = r.history(q);
  for (auto it = rows.rbegin(); it != rows.rend(); ++it) out.push_back(it->result.output);
  return out;
}
}  // namespace

TEST_CASE("store: a batch sent again after a lost reply is not stored twice") {
  TempDb db;
  StoreWriter w(db.path);
  StoreReader r(db.path, 1);
  std::vector<core::CheckResult> first = {numbered(0, 100), numbered(1, 101), numbered(2, 102)};
  w.append(first, 200);
  CHECK(w.lastDuplicates() == 0);
  // The resend, with the next results behind it.
  std::vector<core::CheckResult> again = {numbered(1, 101), numbered(2, 102), numbered(3, 103)};
  w.append(again, 201);
  CHECK(w.lastDuplicates() == 2);
  CHECK(stored(r) == std::vector<std::string>{"n=0", "n=1", "n=2", "n=3"});
  CHECK(r.service("drv-host", "seq")->last.output == "n=3");
  // All of a batch duplicates: nothing stored, nothing changed.
  w.append(first, 202);
  CHECK(w.lastDuplicates() == 3);
  CHECK(stored(r).size() == 4);
  CHECK(r.service("drv-host", "seq")->last.output == "n=3");
}

TEST_CASE("store: results that only look alike are kept") {
  TempDb db;
  StoreWriter w(db.path);
  StoreReader r(db.path, 1);
  w.append(std::vector<core::CheckResult>{numbered(0, 100), numbered(1, 101)}, 200);
  // Late but different (output, state, time, or another service): history.
  auto otherState = numbered(0, 100);
  otherState.state = core::State::Warning;
  std::vector<core::CheckResult> late = {numbered(9, 100), otherState, numbered(0, 99.5),
                                         numbered(0, 100, "other")};
  w.append(late, 201);
  CHECK(w.lastDuplicates() == 0);
  CHECK(stored(r).size() == 5);
  CHECK(stored(r, "other").size() == 1);
  CHECK(r.service("drv-host", "seq")->last.output == "n=1");  // older ones do not become current
}

TEST_CASE("store: a result repeated within one batch is stored once") {
  TempDb db;
  StoreWriter w(db.path);
  StoreReader r(db.path, 1);
  // Two resends of the same batch committed together (group commit).
  std::vector<core::CheckResult> batch = {numbered(0, 100), numbered(1, 101), numbered(0, 100),
                                          numbered(1, 101), numbered(2, 102)};
  w.append(batch, 200);
  CHECK(w.lastDuplicates() == 2);
  CHECK(stored(r) == std::vector<std::string>{"n=0", "n=1", "n=2"});
  CHECK(r.service("drv-host", "seq")->last.output == "n=2");
}
