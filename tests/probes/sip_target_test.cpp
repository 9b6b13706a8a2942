#include <doctest/doctest.h>

#include "probes/sip_target.hpp"

using namespace p2pmon::probes;

TEST_CASE("sip target: host, port and transport are parsed, defaults are 5060 and udp") {
  auto t = parseSipTarget("sip:127.0.0.1:5070;transport=tcp");
  REQUIRE(t.ok());
  CHECK(t->host == "127.0.0.1");
  CHECK(t->port == 5070);
  CHECK(t->transport == SipTransport::Tcp);
  CHECK(t->uri() == "sip:127.0.0.1:5070;transport=tcp");

  auto d = parseSipTarget("sip:peer.example.org");
  REQUIRE(d.ok());
  CHECK(d->port == 5060);
  CHECK(d->transport == SipTransport::Udp);
  CHECK(d->uri() == "sip:peer.example.org:5060;transport=udp");
}

TEST_CASE("sip target: scheme and transport are case-insensitive, a user part is kept") {
  auto t = parseSipTarget("SIP:ping@10.0.0.1:5060;Transport=UDP");
  REQUIRE(t.ok());
  CHECK(t->user == "ping");
  CHECK(t->transport == SipTransport::Udp);
  CHECK(t->uri() == "sip:ping@10.0.0.1:5060;transport=udp");
}

TEST_CASE("sip target: IPv6 literals keep their brackets in the URI") {
  auto t = parseSipTarget("sip:[::1]:5062");
  REQUIRE(t.ok());
  CHECK(t->host == "::1");
  CHECK(t->port == 5062);
  CHECK(t->uri() == "sip:[::1]:5062;transport=udp");
  CHECK(hostPortText("::1", 5062) == "[::1]:5062");
  CHECK(hostPortText("127.0.0.1", 9) == "127.0.0.1:9");
}

TEST_CASE("sip target: malformed targets are rejected with bad_target") {
  for (const char* bad : {"", "sips:127.0.0.1", "http://x", "sip:", "sip:127.0.0.1:", "sip:host:0",
                          "sip:host:65536", "sip:host:12ab", "sip:[::1", "sip:[zz]:5060",
                          "sip:host;transport=tls", "sip:host;lr", "sip:host?subject=x",
                          "sip:ho st", "sip:a b@host", "sip:[::1]x"}) {
    CAPTURE(bad);
    auto t = parseSipTarget(bad);
    REQUIRE_FALSE(t.ok());
    CHECK(t.error().code == "bad_target");
  }
}
