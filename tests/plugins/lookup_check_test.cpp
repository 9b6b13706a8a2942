#include <doctest/doctest.h>

#include "plugins/lookup_check.hpp"

using namespace p2pmon;
using namespace p2pmon::plugins;

namespace {
LookupCheckOptions opts(const char* warn = nullptr, const char* crit = nullptr) {
  LookupCheckOptions o;
  o.aor = "sip:alice@example.org";
  o.peer = "127.0.0.1:4000";
  if (warn != nullptr) o.warning = *core::parseRange(warn);
  if (crit != nullptr) o.critical = *core::parseRange(crit);
  o.timeoutMs = 10000;
  return o;
}
LookupAnswer found(double latencyMs, int hops = 3) {
  LookupAnswer a;
  a.kind = LookupAnswer::Kind::Found;
  a.responsible = "3fa9c2d1aaaaaaaabbbbbbbbcccccccc";
  a.responsibleAddress = "127.0.0.1:4001";
  a.hops = hops;
  a.latencyMs = latencyMs;
  a.contacts = {{"sip:alice@192.0.2.1", {"udp:192.0.2.1:5060", "tcp:192.0.2.1:5060"}}};
  return a;
}
LookupAnswer failure(LookupAnswer::Kind kind, const char* error, double latencyMs, int hops) {
  LookupAnswer a;
  a.kind = kind;
  a.error = error;
  a.detail = "more about it";
  a.latencyMs = latencyMs;
  a.hops = hops;
  a.responsible = "3fa9c2d1aaaaaaaabbbbbbbbcccccccc";
  a.responsibleAddress = "127.0.0.1:4001";
  return a;
}
}  // namespace

TEST_CASE("lookup check: a record found within the thresholds is OK with latency and hops") {
  auto out = decideLookupCheck(opts("100", "200"), found(1.2));
  CHECK(out.state == core::State::Ok);
  CHECK(render("P2P_LOOKUP", out) ==
        "P2P_LOOKUP OK - sip:alice@example.org found at 3fa9c2d1 in 3 hops, 1.2 ms | "
        "latency=1.2ms;100;200;0;10000 hops=3;;;0\n");
}

TEST_CASE("lookup check: without thresholds the perfdata keeps empty warn and crit fields") {
  auto out = decideLookupCheck(opts(), found(0.0004, 1));
  CHECK(out.state == core::State::Ok);
  CHECK(out.text == "sip:alice@example.org found at 3fa9c2d1 in 1 hop, 0 ms");
  CHECK(out.perfdata == "latency=0ms;;;0;10000 hops=1;;;0");
}

TEST_CASE("lookup check: latency beyond warning is WARNING, beyond critical CRITICAL, critical first") {
  CHECK(decideLookupCheck(opts("100", "200"), found(100)).state == core::State::Ok);
  CHECK(decideLookupCheck(opts("100", "200"), found(100.001)).state == core::State::Warning);
  CHECK(decideLookupCheck(opts("100", "200"), found(200.5)).state == core::State::Critical);
  CHECK(decideLookupCheck(opts("300", "200"), found(250)).state == core::State::Critical);
}

TEST_CASE("lookup check: full Nagios range syntax applies to the latency") {
  CHECK(decideLookupCheck(opts("0:0.000001"), found(0.012)).state == core::State::Warning);
  CHECK(decideLookupCheck(opts("@0:5"), found(3)).state == core::State::Warning);
  CHECK(decideLookupCheck(opts("@0:5"), found(6)).state == core::State::Ok);
  CHECK(decideLookupCheck(opts("10:"), found(3)).state == core::State::Warning);
  CHECK(decideLookupCheck(opts(nullptr, "~:2"), found(3)).state == core::State::Critical);
  auto out = decideLookupCheck(opts("@0:5", "~:2"), found(1));
  CHECK(out.perfdata == "latency=1ms;@0:5;~:2;0;10000 hops=3;;;0");
}

TEST_CASE("lookup check: the state is decided on the latency as the perfdata shows it") {
  // 0.0004 ms rounds to 0: a warning range "0:0" does not fire on it.
  CHECK(decideLookupCheck(opts("0:0"), found(0.0004)).state == core::State::Ok);
  CHECK(decideLookupCheck(opts("0:0"), found(0.0006)).state == core::State::Warning);
}

TEST_CASE("lookup check: a missing record is CRITICAL with the figures it has") {
  auto out = decideLookupCheck(opts("100", "200"),
                               failure(LookupAnswer::Kind::NotFound, "not_found", 2.5, 4));
  CHECK(out.state == core::State::Critical);
  CHECK(render("P2P_LOOKUP", out) ==
        "P2P_LOOKUP CRITICAL - sip:alice@example.org not found (asked 3fa9c2d1 in 4 hops, 2.5 ms) | "
        "latency=2.5ms;100;200;0;10000 hops=4;;;0\n");
}

TEST_CASE("lookup check: a peer that does not answer is UNKNOWN with the time waited, no hops") {
  auto out = decideLookupCheck(opts("100", "200"),
                               failure(LookupAnswer::Kind::NoAnswer, "timeout", 900, 1));
  CHECK(out.state == core::State::Unknown);
  CHECK(render("P2P_LOOKUP", out) ==
        "P2P_LOOKUP UNKNOWN - no answer from 127.0.0.1:4000 (timeout after 900 ms) | "
        "latency=900ms;100;200;0;10000\n");
  auto o = opts();
  o.timeoutState = core::State::Critical;
  CHECK(decideLookupCheck(o, failure(LookupAnswer::Kind::NoAnswer, "timeout", 900, 1)).state ==
        core::State::Critical);
}

TEST_CASE("lookup check: a lookup that breaks inside the overlay is CRITICAL") {
  auto out = decideLookupCheck(opts(), failure(LookupAnswer::Kind::Failed, "loop", 12, 5));
  CHECK(out.state == core::State::Critical);
  CHECK(out.text == "lookup of sip:alice@example.org failed after 5 hops, 12 ms: loop");
  CHECK(out.perfdata == "latency=12ms;;;0;10000 hops=5;;;0");
  CHECK(out.longOutput.empty());
}

TEST_CASE("lookup check: -v adds the responsible peer, the contacts and failure details") {
  auto o = opts();
  o.verbose = 1;
  auto out = decideLookupCheck(o, found(1));
  REQUIRE(out.longOutput.size() == 2);
  CHECK(out.longOutput[0] == "responsible peer 3fa9c2d1aaaaaaaabbbbbbbbcccccccc at 127.0.0.1:4001");
  CHECK(out.longOutput[1] == "contact sip:alice@192.0.2.1: udp:192.0.2.1:5060 tcp:192.0.2.1:5060");
  auto failed = decideLookupCheck(o, failure(LookupAnswer::Kind::Failed, "refused", 3, 2));
  CHECK(failed.longOutput == std::vector<std::string>{"more about it"});
}
