#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "collector/nrdp.hpp"

using namespace p2pmon;
using namespace p2pmon::collector;

TEST_CASE("nrdp: the README's service and host results parse") {
  auto items = parseNrdpJson(
      R"({"checkresults":[
        {"checkresult":{"type":"service"},"hostname":"h","servicename":"s","state":"1","output":"text | perf=1"},
        {"checkresult":{"type":"host"},"hostname":"h","state":0,"output":"UP"}]})",
      100, "nrdp:test");
  REQUIRE(items.ok());
  REQUIRE(items->size() == 2);
  const auto& svc = (*items)[0].result;
  REQUIRE(svc.ok());
  CHECK(svc->service == "s");
  CHECK(svc->state == core::State::Warning);
  CHECK(svc->output == "text");
  CHECK(svc->perfdata == "perf=1");
  CHECK(svc->time == 100);
  const auto& host = (*items)[1].result;
  REQUIRE(host.ok());
  CHECK(host->isHostCheck());
}

TEST_CASE("nrdp: bad items are errors one by one, bad documents as a whole") {
  auto items = parseNrdpJson(
      R"({"checkresults":[{"checkresult":{"type":"service"},"hostname":"h","state":"0","output":"x"},
                          {"checkresult":{"type":"service"},"hostname":"h","servicename":"s","state":"9"},
                          {"checkresult":{"type":"service"},"servicename":"s","state":"0"},
                          {"checkresult":{"type":"service"},"hostname":"h","servicename":"s","state":"0"}]})",
      1, "t");
  REQUIRE(items.ok());
  CHECK((*items)[0].result.error().code == "missing_field");
  CHECK((*items)[1].result.error().code == "bad_state");
  CHECK((*items)[2].result.error().code == "missing_field");
  CHECK((*items)[3].result.ok());
  CHECK(parseNrdpJson("not json", 1, "t").error().message == "BAD JSON");
  CHECK(parseNrdpJson(R"({"other":1})", 1, "t").error().message == "BAD JSON");
}

TEST_CASE("nrdp: replies have NRDP's envelope") {
  auto ok = nlohmann::json::parse(nrdpJsonReply(0, "OK", "2 checks processed"));
  CHECK(ok["result"]["status"] == 0);
  CHECK(ok["result"]["message"] == "OK");
  CHECK(ok["result"]["meta"]["output"] == "2 checks processed");
  auto bad = nlohmann::json::parse(nrdpJsonReply(-1, "BAD TOKEN"));
  CHECK(bad["result"]["status"] == -1);
  CHECK_FALSE(bad["result"].contains("meta"));
  CHECK(nrdpXmlReply(-1, "BAD TOKEN").find("<message>BAD TOKEN</message>") != std::string::npos);
}
