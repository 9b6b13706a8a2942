#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "collector/result_batch.hpp"

using namespace p2pmon;
using namespace p2pmon::collector;
using nlohmann::json;

namespace {
constexpr double kNow = 1'700'000'000;

// What the handler did before: parse the document, then core::fromJson on
// each item. The SAX decoder must give the same results and errors.
std::optional<ResultBatch> reference(const std::string& body) {
  auto doc = json::parse(body, nullptr, false);
  if (doc.is_discarded()) return std::nullopt;
  ResultBatch out;
  out.isArray = doc.is_array();
  if (doc.is_array()) {
    for (const auto& item : doc) out.items.push_back(core::fromJson(item, kNow));
  } else {
    out.items.push_back(core::fromJson(doc, kNow));
  }
  return out;
}

void checkSame(const std::string& body) {
  CAPTURE(body);
  auto want = reference(body);
  auto got = decodeResultBatch(body, kNow);
  REQUIRE(want.has_value() == got.has_value());
  if (!want) return;
  CHECK(want->isArray == got->isArray);
  REQUIRE(want->items.size() == got->items.size());
  for (std::size_t i = 0; i < want->items.size(); ++i) {
    CAPTURE(i);
    const auto& w = want->items[i];
    const auto& g = got->items[i];
    REQUIRE(w.ok() == g.ok());
    if (w.ok()) {
      CHECK(*w == *g);
    } else {
      CHECK(w.error().code == g.error().code);
      CHECK(w.error().message == g.error().message);
    }
  }
}
}  // namespace

TEST_CASE("result batch: a valid array decodes as a parsed document does") {
  checkSame(R"([{"host":"a","service":"s","state":1,"output":"o","perfdata":"x=1",)"
            R"("time":1700000000.5,"source":"agent:1"},{"host":"b","state":0,"output":"p"}])");
  checkSame(R"({"host":"a","state":2,"output":"one object","time":1700000000})");
  checkSame(R"([])");
  checkSame(R"({"host":"\u00e9\n","state":0,"output":"esc \"q\" \\ \ud83d\ude00"})");
}

TEST_CASE("result batch: every item error has the code and message of core fromJson") {
  for (const char* body : {
           R"([1, "x", null, true, [1, {"host":"a"}], {}])",
           R"([{"state":0,"output":"o"}])",
           R"([{"host":null,"state":0,"output":"o"}])",
           R"([{"host":"a","state":0}])",
           R"([{"host":5,"state":0,"output":"o"}])",
           R"([{"host":"a","service":[],"state":0,"output":"o"}])",
           R"([{"host":"a","perfdata":{"x":1},"state":0,"output":"o"}])",
           R"([{"host":"a","source":false,"state":0,"output":"o"}])",
           R"([{"host":"a","output":"o"}])",
           R"([{"host":"a","output":"o","state":null}])",
           R"([{"host":"a","output":"o","state":"1"}])",
           R"([{"host":"a","output":"o","state":1.0}])",
           R"([{"host":"a","output":"o","state":4}])",
           R"([{"host":"a","output":"o","state":-1}])",
           R"([{"host":"a","output":"o","state":18446744073709551615}])",
           R"([{"host":"a","output":"o","state":0,"time":"now"}])",
           R"([{"host":"a","output":"o","state":0,"time":null}])",
           R"([{"host":"a","output":"o","state":0,"time":17}])",
           R"([{"host":"a","output":"o","state":0,"time":{"s":1}}])",
           R"([{"output":5,"state":"x","time":"y"}])",
           R"([{"host":"a","output":"o","state":0,"extra":{"host":"b","state":[{"x":{}}]}}])",
           R"([{"host":"a","host":"b","output":"o","state":0}])",
           R"([{"host":"a","host":7,"output":"o","state":0}])",
           R"([{"host":7,"host":"a","output":"o","state":0}])",
           R"("just a string")",
           R"(42)",
           R"([[]])",
           R"([[[{"host":"a","output":"o","state":0}]], {"host":"a","output":"o","state":0}])",
       }) {
    checkSame(body);
  }
}

TEST_CASE("result batch: a body that is not JSON is refused whole") {
  for (const char* body : {"", "[", R"([{"host":"a"})", R"({"host":"a"} x)", "[1,]", "nul",
                           R"(["\ud800"])", "[1e999]", "\xff", R"({"host":"a",})"}) {
    checkSame(body);
    CHECK_FALSE(decodeResultBatch(body, kNow).has_value());
  }
}
