// check_p2p_nat's decision: UDP blocked is CRITICAL, an unexpected type
// takes --unexpected-state, a change from the remembered type warns with
// --warn-on-change, an undetermined type is UNKNOWN; perfdata always has
// the probe's time and, when measured, the binding lifetime.
#include <doctest/doctest.h>

#include "plugins/nat_check.hpp"

using namespace p2pmon;
using namespace p2pmon::plugins;
using namespace p2pmon::probes;
using nat::NatType;

namespace {
stun::Address a(const char* s) { return *stun::parseAddress(s); }

// A port-restricted cone: endpoint-independent mapping, neither filtering test answered.
nat::NatReport portRestricted() {
  nat::NatReport r;
  r.server = "203.0.113.10:3478";
  r.otherAddress = a("203.0.113.11:3479");
  r.mapping = {a("192.168.77.2:40000"), a("203.0.113.1:40000"), a("203.0.113.1:40000"), std::nullopt};
  r.filtering = {true, false, false};
  r.hairpinning = false;
  r.elapsedMs = 1234.4;
  return r;
}

nat::NatReport blocked() {
  nat::NatReport r;
  r.server = "203.0.113.10:3478";
  r.mapping.local = a("192.168.77.2:40000");
  r.error = "timeout";
  r.detail = "no answer to Test I";
  r.elapsedMs = 1500;
  return r;
}

NatCheckOptions expecting(const char* types) {
  NatCheckOptions o;
  if (types != nullptr) o.expect = *parseNatExpect(types);
  return o;
}
}  // namespace

TEST_CASE("check_p2p_nat: --expect parses the type names, refuses others") {
  auto e = parseNatExpect("full_cone, port_restricted_cone,full_cone");
  REQUIRE(e);
  CHECK(*e == std::vector{NatType::full_cone, NatType::port_restricted_cone});
  CHECK(parseNatExpect("blocked"));
  CHECK_FALSE(parseNatExpect("cone"));
  CHECK_FALSE(parseNatExpect("unknown"));
  CHECK_FALSE(parseNatExpect(""));
  CHECK(parseNatExpect("nat").error().code == "bad_expect");
}

TEST_CASE("check_p2p_nat: an expected type is OK, with the behaviour and perfdata") {
  const auto out = decideNatCheck(expecting("port_restricted_cone,full_cone"), portRestricted(), {});
  CHECK(out.state == core::State::Ok);
  CHECK(out.text ==
        "port_restricted_cone (mapping endpoint_independent, filtering address_port_dependent), "
        "mapped 203.0.113.1:40000, no hairpinning");
  CHECK(out.perfdata == "time=1234.4ms;;;0");
  CHECK(decideNatCheck(expecting(nullptr), portRestricted(), {}).state == core::State::Ok);
}

TEST_CASE("check_p2p_nat: an unexpected type takes --unexpected-state") {
  auto o = expecting("full_cone");
  auto out = decideNatCheck(o, portRestricted(), {});
  CHECK(out.state == core::State::Warning);
  CHECK(out.text.find(", expected full_cone") != std::string::npos);
  o.unexpectedState = core::State::Critical;
  CHECK(decideNatCheck(o, portRestricted(), {}).state == core::State::Critical);
}

TEST_CASE("check_p2p_nat: UDP blocked is CRITICAL unless expected") {
  auto out = decideNatCheck(expecting(nullptr), blocked(), {});
  CHECK(out.state == core::State::Critical);
  CHECK(out.text == "UDP blocked: no STUN answer from 203.0.113.10:3478 within 1.5 s");
  CHECK(decideNatCheck(expecting("full_cone"), blocked(), {}).state == core::State::Critical);
  CHECK(decideNatCheck(expecting("blocked"), blocked(), {}).state == core::State::Ok);
}

TEST_CASE("check_p2p_nat: a type that cannot be determined is UNKNOWN") {
  nat::NatReport r = portRestricted();
  r.mapping.x2.reset();  // the server has no alternate address
  r.otherAddress.reset();
  r.filtering = {true, false, std::nullopt};
  r.error = "bad_response";
  r.detail = "the server advertises no OTHER-ADDRESS";
  const auto out = decideNatCheck(expecting(nullptr), r, NatType::full_cone);
  CHECK(out.state == core::State::Unknown);
  CHECK(out.text.find("bad_response") != std::string::npos);
  CHECK_FALSE(typeToRemember(r));
}

TEST_CASE("check_p2p_nat: --warn-on-change compares with the remembered type") {
  auto o = expecting(nullptr);
  o.warnOnChange = true;
  CHECK(decideNatCheck(o, portRestricted(), std::nullopt).state == core::State::Ok);
  CHECK(decideNatCheck(o, portRestricted(), NatType::port_restricted_cone).state == core::State::Ok);
  auto out = decideNatCheck(o, portRestricted(), NatType::full_cone);
  CHECK(out.state == core::State::Warning);
  CHECK(out.text.find("changed from full_cone") != std::string::npos);
  o.expect = {NatType::full_cone};
  o.unexpectedState = core::State::Critical;
  CHECK(decideNatCheck(o, portRestricted(), NatType::full_cone).state == core::State::Critical);
  o.warnOnChange = false;
  o.expect.clear();
  CHECK(decideNatCheck(o, portRestricted(), NatType::full_cone).state == core::State::Ok);
  CHECK(typeToRemember(portRestricted()) == NatType::port_restricted_cone);
  CHECK(typeToRemember(blocked()) == NatType::blocked);
}

TEST_CASE("check_p2p_nat: the lifetime is in the text and the perfdata when measured") {
  auto r = portRestricted();
  r.lifetimeS = 3;
  r.lifetimeDeadS = 5;
  const auto out = decideNatCheck(expecting(nullptr), r, {});
  CHECK(out.text.find("binding lifetime >= 3 s and < 5 s") != std::string::npos);
  CHECK(out.perfdata == "time=1234.4ms;;;0 lifetime=3s;;;0");
}

TEST_CASE("check_p2p_nat: -v lists what every test saw") {
  auto o = expecting(nullptr);
  o.verbose = 1;
  const auto out = decideNatCheck(o, portRestricted(), {});
  REQUIRE(out.longOutput.size() >= 5);
  CHECK(out.longOutput[0] == "server 203.0.113.10:3478, other address 203.0.113.11:3479");
  CHECK(out.longOutput[2] == "mapping X1 (primary): 203.0.113.1:40000");
  CHECK(out.longOutput[4] == "mapping X3 (alternate address): not tested or no answer");
}

TEST_CASE("check_p2p_nat: TCP reachability of our own ports takes --tcp-state") {
  auto r = portRestricted();
  r.tcp = {{5060, stun::TcpReach::reachable}, {6084, stun::TcpReach::reachable}};
  auto o = expecting(nullptr);
  auto out = decideNatCheck(o, r, {});
  CHECK(out.state == core::State::Ok);
  CHECK(out.text.find(", TCP 5060,6084 reachable") != std::string::npos);
  CHECK(out.perfdata == "time=1234.4ms;;;0 tcp_reachable=2;;;0;2");
  r.tcp[1].reach = stun::TcpReach::timeout;
  out = decideNatCheck(o, r, {});
  CHECK(out.state == core::State::Warning);
  CHECK(out.text.find(", TCP not reachable: 6084 timeout") != std::string::npos);
  o.tcpState = core::State::Critical;
  CHECK(decideNatCheck(o, r, {}).state == core::State::Critical);
  r.tcp.clear();
  r.tcpError = "not_supported";
  out = decideNatCheck(o, r, {});
  CHECK(out.state == core::State::Critical);
  CHECK(out.text.find(", TCP check not_supported") != std::string::npos);
}
