#include <doctest/doctest.h>

#include "core/perfdata.hpp"

using namespace p2pmon::core;

TEST_CASE("perfdata: formats value, UOM and thresholds, dropping trailing empties") {
  PerfValue p{"rtt", 1.8, "ms", "50", "200", "0", ""};
  CHECK(formatPerfValue(p) == "rtt=1.8ms;50;200;0");
  PerfValue q{"age", 12, "s", "", "300", "", ""};
  CHECK(formatPerfValue(q) == "age=12s;;300");
  PerfValue u{"loss", std::nullopt, "%", "", "", "", ""};
  CHECK(formatPerfValue(u) == "loss=U%");
}

TEST_CASE("perfdata: labels with spaces or quotes are quoted, quotes doubled") {
  PerfValue p{"ring size", 42, "", "", "", "", ""};
  CHECK(formatPerfValue(p) == "'ring size'=42");
  PerfValue q{"it's", 1, "", "", "", "", ""};
  CHECK(formatPerfValue(q) == "'it''s'=1");
}

TEST_CASE("perfdata: parses several labels, quoting, U and every field") {
  auto items = parsePerfdata("rtt=1.8ms;50;200;0 'ring size'=42;;;0;1000 'it''s'=U loss=0.5%;1;5");
  REQUIRE(items.ok());
  REQUIRE(items->size() == 4);
  CHECK((*items)[0] == PerfValue{"rtt", 1.8, "ms", "50", "200", "0", ""});
  CHECK((*items)[1] == PerfValue{"ring size", 42, "", "", "", "0", "1000"});
  CHECK((*items)[2].label == "it's");
  CHECK_FALSE((*items)[2].value.has_value());
  CHECK((*items)[3].uom == "%");
  CHECK((*items)[3].crit == "5");
}

TEST_CASE("perfdata: negative values, ranges in thresholds and counters") {
  auto items = parsePerfdata("offset=-0.25s;@-1:1;~:2 pkts=123456c");
  REQUIRE(items.ok());
  CHECK((*items)[0].value == -0.25);
  CHECK((*items)[0].warn == "@-1:1");
  CHECK((*items)[0].crit == "~:2");
  CHECK((*items)[1].uom == "c");
}

TEST_CASE("perfdata: format and parse round trip") {
  std::vector<PerfValue> in = {{"a b", 0.001, "s", "0.5", "1", "0", "10"},
                               {"x", -3, "", "", "", "", ""},
                               {"q'q", std::nullopt, "B", "", "~:5", "", ""}};
  auto out = parsePerfdata(formatPerfdata(in));
  REQUIRE(out.ok());
  CHECK(*out == in);
}

TEST_CASE("perfdata: empty text is no items") {
  auto items = parsePerfdata("   ");
  REQUIRE(items.ok());
  CHECK(items->empty());
}

TEST_CASE("perfdata: malformed items are errors naming the item") {
  for (const char* bad : {"rtt", "=5", "'open=1", "rtt=", "rtt=abc", "rtt=1;2;3;4;5;6",
                          "rtt=1ms;x", "a=1 b", "label with space=1"}) {
    auto items = parsePerfdata(bad);
    CHECK_MESSAGE(!items.ok(), bad);
    if (!items.ok()) CHECK(items.error().code == "bad_perfdata");
  }
}
