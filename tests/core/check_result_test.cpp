#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "core/check_result.hpp"

using namespace p2pmon::core;

namespace {
constexpr double kNow = 1763683200.0;
CheckResult sample() {
  return CheckResult{"peer-3fa9c2d1", "sip_options", State::Ok, "SIP OK - 200 OK in 1.8 ms",
                     "rtt=1.8ms;50;200;0", 1763683200.125, "agent:3fa9c2d1"};
}
}  // namespace

TEST_CASE("check result: JSON round trip keeps every field") {
  CheckResult r = sample();
  auto back = fromJson(nlohmann::json::parse(toJson(r).dump()), kNow);
  REQUIRE(back.ok());
  CHECK(*back == r);
}

TEST_CASE("check result: the DESIGN.md example parses") {
  auto j = nlohmann::json::parse(R"({"host": "peer-3fa9c2d1", "service": "sip_options", "state": 0,
    "output": "SIP OK - 200 OK in 1.8 ms", "perfdata": "rtt=1.8ms;50;200;0",
    "time": 1763683200.125, "source": "agent:3fa9c2d1..."})");
  auto r = fromJson(j, kNow);
  REQUIRE(r.ok());
  CHECK(r->state == State::Ok);
  CHECK(r->time == doctest::Approx(1763683200.125));
  CHECK_FALSE(validate(*r, kNow).has_value());
}

TEST_CASE("check result: missing time means now, missing optional strings are empty") {
  auto r = fromJson(nlohmann::json{{"host", "h"}, {"service", "s"}, {"state", 2}, {"output", "x"}},
                    kNow);
  REQUIRE(r.ok());
  CHECK(r->time == kNow);
  CHECK(r->perfdata.empty());
  CHECK(r->source.empty());
}

TEST_CASE("check result: wrong types and states are refused with stable codes") {
  auto base = toJson(sample());
  auto with = [&](const char* key, nlohmann::json v) {
    auto j = base;
    j[key] = std::move(v);
    return fromJson(j, kNow);
  };
  CHECK(with("state", 4).error().code == "bad_state");
  CHECK(with("state", "0").error().code == "bad_state");
  CHECK(with("state", 1.5).error().code == "bad_state");
  CHECK(with("host", 7).error().code == "bad_type");
  CHECK(with("time", "yesterday").error().code == "bad_time");
  auto j = base;
  j.erase("host");
  CHECK(fromJson(j, kNow).error().code == "missing_field");
  CHECK(fromJson(nlohmann::json::array(), kNow).error().code == "bad_type");
}

TEST_CASE("check result: names that would break a Nagios command are refused") {
  for (const char* name : {"a;b", "a\nb", "a\rb", "tab\there", "nul\x01"}) {
    CheckResult r = sample();
    r.host = name;
    auto e = validate(r, kNow);
    REQUIRE(e.has_value());
    CHECK(e->code == "bad_name");
    r = sample();
    r.service = name;
    CHECK(validate(r, kNow)->code == "bad_name");
  }
  CheckResult r = sample();
  r.host = "";
  CHECK(validate(r, kNow)->code == "missing_host");
  r = sample();
  r.host = std::string(256, 'h');
  CHECK(validate(r, kNow)->code == "name_too_long");
}

TEST_CASE("check result: bounds on output, perfdata, time and host states") {
  CheckResult r = sample();
  r.output = std::string(8000, 'x');
  CHECK(validate(r, kNow)->code == "output_too_long");
  r = sample();
  r.perfdata = "a=1\nb=2";
  CHECK(validate(r, kNow)->code == "bad_perfdata");
  r = sample();
  r.time = kNow + 7200;
  CHECK(validate(r, kNow)->code == "time_in_future");
  r.time = -5;
  CHECK(validate(r, kNow)->code == "bad_time");
  r = sample();
  r.service = "";
  r.state = State::Unknown;
  CHECK(validate(r, kNow)->code == "bad_state");
  r.state = State::Warning;  // DOWN
  CHECK_FALSE(validate(r, kNow).has_value());
  CHECK(r.serviceState() == State::Critical);
  r = sample();
  r.output = "multi\nline; with semicolons | fine";
  CHECK_FALSE(validate(r, kNow).has_value());
}
