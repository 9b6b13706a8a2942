#include <doctest/doctest.h>

#include "core/plugin_output.hpp"

using namespace p2pmon::core;

TEST_CASE("plugin output: one line with perfdata splits at the bar") {
  auto s = splitPluginOutput("OK - ring consistent | succ_rtt=0.012s;0.2;0.5;0;");
  CHECK(s.text == "OK - ring consistent");
  CHECK(s.perfdata == "succ_rtt=0.012s;0.2;0.5;0;");
}

TEST_CASE("plugin output: long output keeps its lines, later perfdata is joined") {
  auto s = splitPluginOutput(
      "CRITICAL - 3 of 5 replicas lost | a=1\nreplica k1 missing\nreplica k2 missing | replicas=2;4;3;0;5\nmore=7");
  CHECK(s.text == "CRITICAL - 3 of 5 replicas lost\nreplica k1 missing\nreplica k2 missing");
  CHECK(s.perfdata == "a=1 replicas=2;4;3;0;5 more=7");
}

TEST_CASE("plugin output: no perfdata") {
  auto s = splitPluginOutput("UP - overlay peer alive");
  CHECK(s.text == "UP - overlay peer alive");
  CHECK(s.perfdata.empty());
}

TEST_CASE("plugin output: join puts perfdata on the first line") {
  CHECK(joinPluginOutput("OK - x", "") == "OK - x");
  CHECK(joinPluginOutput("OK - x", "a=1") == "OK - x | a=1");
  CHECK(joinPluginOutput("OK - x\nline2", "a=1") == "OK - x | a=1\nline2");
  auto s = splitPluginOutput(joinPluginOutput("WARN - y\nl2\nl3", "b=2;3"));
  CHECK(s.text == "WARN - y\nl2\nl3");
  CHECK(s.perfdata == "b=2;3");
}
