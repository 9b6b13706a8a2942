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

void checkSameAs(const std::optional<ResultBatch>& want, const std::optional<ResultBatch>& got) {
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

// Both the whole decoder and, where it takes the body, the fast path alone.
void checkSame(const std::string& body) {
  CAPTURE(body);
  auto want = reference(body);
  checkSameAs(want, decodeResultBatch(body, kNow));
  if (auto fast = scanCommonResultBatch(body, kNow)) checkSameAs(want, fast);
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

TEST_CASE("result batch: the fast path takes the common shape and agrees with a parsed document") {
  const std::string body =
      R"([{"host":"bench-node-1","output":"OK - took 12 ms","perfdata":"rtt=12ms;100;200;0 )"
      R"(loss=0%;5;10;0;100","service":"p2p-check-0","source":"bench","state":0,)"
      R"("time":1699999999.123456},)"
      "\n {\"host\" : \"b\", \"state\" : 2 , \"output\":\"l1\\nl2 \\\"q\\\" \\\\ \\/ \\t\\b\\f\\r\","
      R"("time":-0, "extra":null, "more":[]}])";
  // The second item's nested "more" sends the whole body to the SAX decoder.
  CHECK_FALSE(scanCommonResultBatch(body, kNow).has_value());
  checkSame(body);
  const std::string common = body.substr(0, body.find(R"(, "more")")) + "}]";
  CHECK(scanCommonResultBatch(common, kNow).has_value());
  checkSame(common);
  for (const char* number : {"0", "-0", "17", "1700000000", "1.5", "-2.25e3", "1E+2", "1e-2",
                             "0.1", "123456789012345678", "1234567890123456789", "1e999",
                             "1e-400", "01", "1.", ".5", "-", "1e", "2.5E-", "true", "false"}) {
    for (const char* field : {"time", "state", "host", "other"}) {
      checkSame(std::string(R"([{"host":"a","output":"o","state":1,")") + field + "\":" +
                number + "}]");
    }
  }
  for (const char* text : {R"("")", R"("\u0041")", R"("\x")", "\"tab\tin\"", "\"\xc3\xa9\"",
                           R"("\")", R"("a\\")", R"("\/\/")"}) {
    checkSame(std::string(R"([{"host":)") + text + R"(,"output":"o","state":0}])");
    checkSame(std::string(R"([{"host":"h","output":)") + text + R"(,"state":0}])");
  }
}

TEST_CASE("result batch: mangled bodies decode as a parsed document does") {
  const std::string base =
      R"([{"host":"h1","service":"s","state":1,"output":"o \"x\"","perfdata":"a=1;2;3",)"
      R"("time":1700000000.5,"source":"t"},{"host":"h2","state":0,"output":"p","time":7}])";
  std::uint32_t seed = 12345;
  auto next = [&seed] {
    seed = seed * 1103515245U + 12345U;
    return (seed >> 16) & 0x7fffU;
  };
  const std::string alphabet = "{}[]\":,\\ 0123456789.-eE+tfnulrsa\x01\xc3";
  for (int i = 0; i < 3000; ++i) {
    std::string body = base;
    for (unsigned k = 0, n = 1 + next() % 3; k < n; ++k) {
      const std::size_t at = next() % body.size();
      switch (next() % 3) {
        case 0: body[at] = alphabet[next() % alphabet.size()]; break;
        case 1: body.erase(at, 1); break;
        default: body.insert(at, 1, alphabet[next() % alphabet.size()]); break;
      }
    }
    checkSame(body);
  }
}
