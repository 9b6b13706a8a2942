// The STUN server's decisions on values alone: which address answers, to
// where, with what; RFC 5780 CHANGE-REQUEST, OTHER-ADDRESS, RESPONSE-ORIGIN,
// RESPONSE-PORT; RFC 3489 clients; 420 and the drop reasons.
#include <doctest/doctest.h>

#include "tests/support/vectors.hpp"

#include "probes/stun_responder.hpp"

using namespace p2pmon::probes::stun;

namespace {
Address addr(const char* s) { return *parseAddress(s); }

const ServerAddresses kTwo{addr("203.0.113.10:3478"), addr("203.0.113.11:3479")};
const ServerAddresses kOne{addr("203.0.113.10:3478"), std::nullopt};
const Address kClient = addr("198.51.100.7:40000");

Message reply(const Outcome& o) {
  REQUIRE(o.reply);
  auto m = decode(o.reply->bytes);
  REQUIRE(m.ok());
  return *m;
}
}  // namespace

TEST_CASE("stun responder: the four addresses of a server with an alternate") {
  CHECK(kTwo.count() == 4);
  CHECK(kTwo.at(0).str() == "203.0.113.10:3478");
  CHECK(kTwo.at(1).str() == "203.0.113.10:3479");
  CHECK(kTwo.at(2).str() == "203.0.113.11:3478");
  CHECK(kTwo.at(3).str() == "203.0.113.11:3479");
  CHECK(kOne.count() == 1);
}

TEST_CASE("stun responder: a Binding request gets mapped address, origin and other address") {
  const TransactionId id{1, 2, 3};
  const auto o = respond(kTwo, 0, kClient, encode(bindingRequest(id)), "p2pmon");
  CHECK(o.dropped.empty());
  CHECK(o.reply->fromIndex == 0);
  CHECK(o.reply->to == kClient);
  CHECK_FALSE(o.reply->error);
  const auto m = reply(o);
  CHECK(m.type == 0x0101);
  CHECK(m.id == id);
  CHECK(findAddress(m, attr::kXorMappedAddress) == kClient);
  CHECK(findAddress(m, attr::kMappedAddress) == kClient);
  CHECK(findAddress(m, attr::kResponseOrigin)->str() == "203.0.113.10:3478");
  CHECK(findAddress(m, attr::kOtherAddress)->str() == "203.0.113.11:3479");
  CHECK(findSoftware(m) == "p2pmon");
  CHECK_FALSE(m.fingerprint);
}

TEST_CASE("stun responder: CHANGE-REQUEST picks the answering address, OTHER-ADDRESS is seen from the receiving one") {
  struct Case { int at; ChangeRequest change; int from; const char* other; };
  for (auto c : {Case{0, {true, false}, 2, "203.0.113.11:3479"}, Case{0, {false, true}, 1, "203.0.113.11:3479"},
                 Case{0, {true, true}, 3, "203.0.113.11:3479"}, Case{3, {true, true}, 0, "203.0.113.10:3478"},
                 Case{2, {false, true}, 3, "203.0.113.10:3479"}, Case{1, {}, 1, "203.0.113.11:3478"}}) {
    CAPTURE(c.at);
    CAPTURE(c.from);
    const auto o = respond(kTwo, c.at, kClient, encode(bindingRequest({7}, c.change)), "");
    REQUIRE(o.reply);
    CHECK(o.reply->fromIndex == c.from);
    const auto m = reply(o);
    CHECK(findAddress(m, attr::kResponseOrigin) == kTwo.at(c.from));
    CHECK(findAddress(m, attr::kOtherAddress)->str() == c.other);
    CHECK_FALSE(has(m, attr::kSoftware));
  }
}

TEST_CASE("stun responder: RESPONSE-PORT sends the answer to another port of the same IP") {
  const auto o = respond(kTwo, 0, kClient, encode(bindingRequest({7}, {}, 5555)), "");
  REQUIRE(o.reply);
  CHECK(o.reply->to.str() == "198.51.100.7:5555");
  CHECK(findMapped(reply(o)) == kClient);  // still the request's source
}

TEST_CASE("stun responder: stun-client's RFC 3489 requests get MAPPED, SOURCE and CHANGED addresses") {
  const auto req = p2pmon::test::loadVector("stun/vovida_change_ip_request.bin");
  const auto o = respond(kTwo, 0, kClient, req, "p2pmon");
  REQUIRE(o.reply);
  CHECK(o.reply->fromIndex == 2);  // change IP only, as stun-client asks in its test II
  const auto m = reply(o);
  CHECK(m.classic());
  CHECK(m.cookie == decode(req)->cookie);
  CHECK(m.id == decode(req)->id);
  CHECK(findAddress(m, attr::kMappedAddress) == kClient);
  CHECK(findAddress(m, attr::kSourceAddress)->str() == "203.0.113.11:3478");
  CHECK(findAddress(m, attr::kChangedAddress)->str() == "203.0.113.11:3479");
  CHECK_FALSE(has(m, attr::kXorMappedAddress));
  CHECK_FALSE(has(m, attr::kOtherAddress));
}

TEST_CASE("stun responder: FINGERPRINT is answered with FINGERPRINT") {
  auto req = bindingRequest({1});
  req.fingerprint = true;
  CHECK(reply(respond(kOne, 0, kClient, encode(req), "x")).fingerprint);
}

TEST_CASE("stun responder: 420 for CHANGE-REQUEST without an alternate and for unknown attributes") {
  auto o = respond(kOne, 0, kClient, encode(bindingRequest({1}, {true, true})), "");
  REQUIRE(o.reply);
  CHECK(o.reply->error);
  CHECK(o.reply->fromIndex == 0);
  auto m = reply(o);
  CHECK(m.type == 0x0111);
  CHECK(findErrorCode(m)->code == 420);
  const auto* ua = &m.attributes.at(1);
  CHECK(ua->type == attr::kUnknownAttributes);
  CHECK(ua->value == std::vector<std::uint8_t>{0x00, 0x03});

  auto req = bindingRequest({2});
  req.attributes.push_back({0x7001, {1, 2, 3, 4}});
  req.attributes.push_back({0x8001, {1, 2, 3, 4}});  // optional: ignored
  m = reply(respond(kTwo, 0, kClient, encode(req), ""));
  CHECK(findErrorCode(m)->code == 420);
  CHECK(m.attributes.at(1).value == std::vector<std::uint8_t>{0x70, 0x01});

  // Without CHANGE-REQUEST a single-address server answers, with no OTHER-ADDRESS.
  m = reply(respond(kOne, 0, kClient, encode(bindingRequest({3})), ""));
  CHECK(m.type == 0x0101);
  CHECK_FALSE(has(m, attr::kOtherAddress));
}

TEST_CASE("stun responder: what is dropped, and why") {
  auto resp = bindingRequest({1});
  resp.type = messageType(kBindingMethod, MessageClass::success);
  CHECK(respond(kTwo, 0, kClient, encode(resp), "").dropped == "not_request");
  resp.type = messageType(kBindingMethod, MessageClass::indication);
  CHECK(respond(kTwo, 0, kClient, encode(resp), "").dropped == "not_request");
  resp.type = messageType(0x003, MessageClass::request);
  CHECK(respond(kTwo, 0, kClient, encode(resp), "").dropped == "unsupported_method");
  const std::vector<std::uint8_t> junk{'h', 'e', 'l', 'l', 'o'};
  CHECK(respond(kTwo, 0, kClient, junk, "").dropped == "too_short");
  auto bytes = encode(bindingRequest({1}));
  bytes.push_back(0);
  CHECK(respond(kTwo, 0, kClient, bytes, "").dropped == "bad_length");
  CHECK_FALSE(respond(kTwo, 0, kClient, bytes, "").reply);
  // An IPv6 sender on an IPv4 server cannot be answered from it.
  CHECK(respond(kTwo, 0, addr("[2001:db8::1]:5"), encode(bindingRequest({1})), "").dropped == "bad_family");
}

TEST_CASE("stun responder: a wildcard-bound server leaves RESPONSE-ORIGIN and SOURCE-ADDRESS out") {
  const ServerAddresses any{addr("0.0.0.0:3478"), std::nullopt};
  const auto m = reply(respond(any, 0, kClient, encode(bindingRequest({1})), ""));
  CHECK(findMapped(m) == kClient);
  CHECK_FALSE(has(m, attr::kResponseOrigin));
  const auto c = reply(respond(any, 0, kClient, p2pmon::test::loadVector("stun/vovida_binding_request.bin"), ""));
  CHECK_FALSE(has(c, attr::kSourceAddress));
  CHECK(findAddress(c, attr::kMappedAddress) == kClient);
}
