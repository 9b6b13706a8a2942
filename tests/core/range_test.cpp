#include <doctest/doctest.h>

#include <cmath>

#include "core/range.hpp"

using namespace p2pmon::core;

namespace {
Range r(const char* text) {
  auto parsed = parseRange(text);
  REQUIRE_MESSAGE(parsed.ok(), text);
  return parsed.value();
}
}  // namespace

TEST_CASE("range: '10' alerts below 0 and above 10, endpoints OK") {
  Range x = r("10");
  CHECK(x.alerts(-0.001));
  CHECK_FALSE(x.alerts(0));
  CHECK_FALSE(x.alerts(10));
  CHECK(x.alerts(10.001));
}

TEST_CASE("range: '10:' alerts below 10 only") {
  Range x = r("10:");
  CHECK(x.alerts(9.999));
  CHECK_FALSE(x.alerts(10));
  CHECK_FALSE(x.alerts(1e300));
}

TEST_CASE("range: '~:10' alerts above 10 only") {
  Range x = r("~:10");
  CHECK(std::isinf(x.start));
  CHECK_FALSE(x.alerts(-1e300));
  CHECK_FALSE(x.alerts(10));
  CHECK(x.alerts(10.5));
}

TEST_CASE("range: '10:20' alerts outside, endpoints inclusive") {
  Range x = r("10:20");
  CHECK(x.alerts(9.99));
  CHECK_FALSE(x.alerts(10));
  CHECK_FALSE(x.alerts(15));
  CHECK_FALSE(x.alerts(20));
  CHECK(x.alerts(20.01));
}

TEST_CASE("range: '@10:20' alerts inside, endpoints inclusive") {
  Range x = r("@10:20");
  CHECK_FALSE(x.alerts(9.99));
  CHECK(x.alerts(10));
  CHECK(x.alerts(15));
  CHECK(x.alerts(20));
  CHECK_FALSE(x.alerts(20.01));
}

TEST_CASE("range: decimals and negatives") {
  Range x = r("-5.5:-1.25");
  CHECK(x.alerts(-5.6));
  CHECK_FALSE(x.alerts(-5.5));
  CHECK_FALSE(x.alerts(-1.25));
  CHECK(x.alerts(0));
  Range y = r("0.5");
  CHECK(y.alerts(0.51));
  CHECK_FALSE(y.alerts(0.5));
  Range z = r("@~:-3");
  CHECK(z.alerts(-100));
  CHECK_FALSE(z.alerts(-2.9));
  Range w = r(":7");  // start omitted means 0
  CHECK(w.alerts(-1));
  CHECK_FALSE(w.alerts(7));
}

TEST_CASE("range: malformed ranges are errors, not guesses") {
  for (const char* bad : {"", "@", "abc", "10:5", "1:2:3", "~", "10x", "@:x", "nan", "inf"}) {
    auto parsed = parseRange(bad);
    CHECK_MESSAGE(!parsed.ok(), bad);
    if (!parsed.ok()) CHECK(parsed.error().code == "bad_range");
  }
}

TEST_CASE("range: evaluate checks critical before warning") {
  auto w = parseRange("10").value();
  auto c = parseRange("20").value();
  CHECK(evaluate(5, w, c) == State::Ok);
  CHECK(evaluate(15, w, c) == State::Warning);
  CHECK(evaluate(25, w, c) == State::Critical);
  CHECK(evaluate(-1, w, c) == State::Critical);
  CHECK(evaluate(25, std::nullopt, std::nullopt) == State::Ok);
  CHECK(evaluate(25, w, std::nullopt) == State::Warning);
}
