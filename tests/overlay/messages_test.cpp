#include <doctest/doctest.h>

#include "overlay-agent/messages.hpp"

using namespace p2pmon::overlay;

namespace {
Endpoint v6(std::array<std::uint8_t, 16> addr, std::uint16_t port) {
  Endpoint e;
  e.family = 6;
  e.addr = addr;
  e.port = port;
  return e;
}
}  // namespace

TEST_CASE("messages: an IPv4 endpoint is built from a host-order address and prints dotted") {
  const Endpoint e = Endpoint::v4(0x7f000001, 4000);
  CHECK(e.family == 4);
  CHECK(e.addr[0] == 127);
  CHECK(e.addr[3] == 1);
  CHECK(e.addr[4] == 0);
  CHECK(e.str() == "127.0.0.1:4000");
  CHECK(Endpoint::v4(0xC0000201, 0).str() == "192.0.2.1:0");
}

TEST_CASE("messages: an IPv6 endpoint prints in RFC 5952 form inside brackets") {
  CHECK(v6({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 4000).str() == "[::1]:4000");
  CHECK(v6({}, 1).str() == "[::]:1");
  CHECK(v6({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x12, 0x34}, 5060).str() ==
        "[2001:db8::1234]:5060");
  // One zero group is not shortened; of two equal runs the first is.
  CHECK(v6({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1}, 80).str() ==
        "[2001:db8:0:1:1:1:1:1]:80");
  CHECK(v6({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1}, 80).str() ==
        "[2001:db8::1:0:0:1]:80");
  CHECK(v6({0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0xab, 0xcd, 0, 0, 0, 0, 0, 0}, 80).str() ==
        "[fe80::abcd:0:0:0]:80");
}

TEST_CASE("messages: a Resource-ID is SHA-1 of the kind byte and the name") {
  // sha1("\x01sip:alice@example.org") = 274da1845be34d08eb739060cdf555c3b5444d52
  CHECK(resourceIdOf(RecordKind::UserLocation, "sip:alice@example.org") ==
        *NodeId::fromHex("274da1845be34d08eb739060cdf555c3"));
  CHECK(resourceIdOf(RecordKind::ProxyLocation, "sip:alice@example.org") !=
        resourceIdOf(RecordKind::UserLocation, "sip:alice@example.org"));
}

TEST_CASE("messages: codeOf names ErrorAns Error and the others by their own code") {
  CHECK(codeOf(PingReq{}) == MessageCode::PingReq);
  CHECK(codeOf(FindAns{}) == MessageCode::FindAns);
  CHECK(codeOf(PathTrackAns{}) == MessageCode::PathTrackAns);
  CHECK(codeOf(ErrorAns{}) == MessageCode::Error);
}
