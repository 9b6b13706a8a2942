// The TCP reachability extension's attributes and the responder's part:
// round trips, malformed values ignored, results added before FINGERPRINT,
// the question honoured only in the RFC 5389 form.
#include <doctest/doctest.h>

#include "probes/stun_responder.hpp"
#include "probes/stun_tcp_check.hpp"

using namespace p2pmon::probes::stun;

TEST_CASE("stun tcp check: ports and results round-trip") {
  auto m = bindingRequest({1, 2, 3});
  const std::uint16_t ports[] = {5060, 6084, 5060};
  addTcpCheck(m, ports);
  auto back = decode(encode(m));
  REQUIRE(back);
  CHECK(findTcpCheck(*back) == std::vector<std::uint16_t>{5060, 6084});  // duplicates once

  Message answer;
  answer.type = messageType(kBindingMethod, MessageClass::success);
  const TcpResult results[] = {{5060, TcpReach::reachable}, {6084, TcpReach::timeout}};
  addTcpResults(answer, results);
  auto decoded = decode(encode(answer));
  REQUIRE(decoded);
  CHECK(findTcpResults(*decoded) == std::vector<TcpResult>(std::begin(results), std::end(results)));
  CHECK(name(TcpReach::refused) == "refused");
  CHECK(name(TcpReach::limited) == "limited");
}

TEST_CASE("stun tcp check: malformed questions and answers are ignored") {
  auto with = [](std::uint16_t type, std::vector<std::uint8_t> value) {
    Message m = bindingRequest({9});
    m.attributes.push_back({type, std::move(value)});
    return m;
  };
  CHECK_FALSE(findTcpCheck(bindingRequest({9})));
  CHECK_FALSE(findTcpCheck(with(attr::kP2pmonTcpCheck, {})));
  CHECK_FALSE(findTcpCheck(with(attr::kP2pmonTcpCheck, {0x13})));              // odd length
  CHECK_FALSE(findTcpCheck(with(attr::kP2pmonTcpCheck, {0, 0})));               // port 0
  CHECK_FALSE(findTcpCheck(with(attr::kP2pmonTcpCheck, std::vector<std::uint8_t>(10, 1))));  // 5 ports
  CHECK_FALSE(findTcpResults(with(attr::kP2pmonTcpResult, {0x13, 0xC4, 0})));  // not 4 bytes
  auto odd = findTcpResults(with(attr::kP2pmonTcpResult, {0x13, 0xC4, 99, 0}));
  REQUIRE(odd);
  CHECK((*odd)[0].reach == TcpReach::error);  // an unknown outcome code
}

TEST_CASE("stun tcp check: results go into an encoded answer before FINGERPRINT") {
  Message answer;
  answer.type = messageType(kBindingMethod, MessageClass::success);
  answer.fingerprint = true;
  addSoftware(answer, "p2pmon");
  const TcpResult results[] = {{5061, TcpReach::refused}};
  auto bytes = withTcpResults(encode(answer), results);
  REQUIRE(bytes);
  auto decoded = decode(*bytes);
  REQUIRE(decoded);  // the FINGERPRINT was recomputed
  CHECK(decoded->fingerprint);
  CHECK(findSoftware(*decoded) == "p2pmon");
  CHECK(findTcpResults(*decoded)->at(0).reach == TcpReach::refused);
  const std::uint8_t junk[] = {1, 2, 3};
  CHECK_FALSE(withTcpResults(junk, results));
}

TEST_CASE("stun tcp check: the responder passes the question on, RFC 5389 form only") {
  ServerAddresses server{*parseAddress("192.0.2.1:3478"), std::nullopt};
  const Address client = *parseAddress("198.51.100.7:40000");
  auto m = bindingRequest({4});
  const std::uint16_t ports[] = {5060};
  addTcpCheck(m, ports);
  auto out = respond(server, 0, client, encode(m), "p2pmon");
  REQUIRE(out.reply);
  CHECK(out.tcpCheck == std::vector<std::uint16_t>{5060});
  CHECK(respond(server, 0, client, encode(bindingRequest({5})), "").tcpCheck.empty());
  m.cookie = 0x01020304;  // the RFC 3489 form
  out = respond(server, 0, client, encode(m), "");
  REQUIRE(out.reply);
  CHECK(out.tcpCheck.empty());
}
