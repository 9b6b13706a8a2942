#include <doctest/doctest.h>

#include "plugins/sip_check.hpp"

using namespace p2pmon;
using namespace p2pmon::plugins;

namespace {
SipCheckOptions opts(const char* warn = "50", const char* crit = "200",
                     std::string_view expect = kDefaultExpect) {
  SipCheckOptions o;
  o.target = "sip:127.0.0.1:5060";
  if (warn != nullptr) o.warning = *core::parseRange(warn);
  if (crit != nullptr) o.critical = *core::parseRange(crit);
  o.timeoutMs = 10000;
  o.expect = *parseSipExpect(expect);
  return o;
}
probes::SipProbeResult answer(int status, const char* reason, double rtt) {
  probes::SipProbeResult r;
  r.target = "sip:127.0.0.1:5060;transport=udp";
  r.requestUri = "sip:127.0.0.1:5060";
  r.address = "127.0.0.1:5060";
  r.transport = "udp";
  r.answered = true;
  r.status = status;
  r.reason = reason;
  r.rttMs = rtt;
  return r;
}
probes::SipProbeResult failure(const char* code, double rtt, int retrans = 0) {
  probes::SipProbeResult r;
  r.target = "sip:127.0.0.1:5060;transport=udp";
  r.transport = "udp";
  r.error = code;
  r.detail = "why";
  r.rttMs = rtt;
  r.retransmissions = retrans;
  return r;
}
}  // namespace

TEST_CASE("sip check: 200 within the thresholds is OK with rtt perfdata") {
  auto out = decideSipCheck(opts(), answer(200, "OK", 1.8));
  CHECK(out.state == core::State::Ok);
  CHECK(render("P2P_SIP", out) ==
        "P2P_SIP OK - 200 OK in 1.8 ms from sip:127.0.0.1:5060 | rtt=1.8ms;50;200;0;10000 "
        "retransmissions=0;;;0\n");
}

TEST_CASE("sip check: RTT beyond warning is WARNING, beyond critical CRITICAL") {
  CHECK(decideSipCheck(opts(), answer(200, "OK", 50)).state == core::State::Ok);
  CHECK(decideSipCheck(opts(), answer(200, "OK", 50.5)).state == core::State::Warning);
  CHECK(decideSipCheck(opts(), answer(200, "OK", 201)).state == core::State::Critical);
  CHECK(decideSipCheck(opts(nullptr, nullptr), answer(200, "OK", 9000)).state == core::State::Ok);
}

TEST_CASE("sip check: by default 4xx means up and 5xx or 6xx is CRITICAL") {
  CHECK(decideSipCheck(opts(), answer(404, "Not Found", 1)).state == core::State::Ok);
  CHECK(decideSipCheck(opts(), answer(407, "Proxy Authentication Required", 1)).state ==
        core::State::Ok);
  auto out = decideSipCheck(opts(), answer(503, "Service Unavailable", 1.2));
  CHECK(out.state == core::State::Critical);
  CHECK(out.text == "503 Service Unavailable in 1.2 ms from sip:127.0.0.1:5060 (expected 2xx,3xx,4xx)");
  CHECK(out.perfdata == "rtt=1.2ms;50;200;0;10000 retransmissions=0;;;0");
  CHECK(decideSipCheck(opts(), answer(603, "Decline", 1)).state == core::State::Critical);
}

TEST_CASE("sip check: --expect narrows the codes, an unexpected one is CRITICAL even when fast") {
  CHECK(decideSipCheck(opts("50", "200", "200"), answer(404, "Not Found", 1)).state ==
        core::State::Critical);
  CHECK(decideSipCheck(opts("50", "200", "200,404"), answer(404, "Not Found", 1)).state ==
        core::State::Ok);
  CHECK(decideSipCheck(opts("50", "200", "200-299"), answer(202, "Accepted", 1)).state ==
        core::State::Ok);
}

TEST_CASE("sip check: --expect accepts codes, classes and spans and rejects the rest") {
  auto e = parseSipExpect("200, 3xx,480-489");
  REQUIRE(e.ok());
  CHECK(e->matches(200));
  CHECK(e->matches(302));
  CHECK(e->matches(486));
  CHECK_FALSE(e->matches(201));
  CHECK_FALSE(e->matches(490));
  for (const char* bad : {"", "2", "20x", "7xx", "99", "700", "300-200", "abc", "200,"}) {
    CAPTURE(bad);
    CHECK_FALSE(parseSipExpect(bad).ok());
  }
}

TEST_CASE("sip check: a timeout follows --timeout-state with the time waited as perfdata") {
  auto out = decideSipCheck(opts(), failure("timeout", 10000.4, 6));
  CHECK(out.state == core::State::Critical);
  CHECK(render("P2P_SIP", out) ==
        "P2P_SIP CRITICAL - no response from sip:127.0.0.1:5060 within 10000.4 ms (timeout, 6 "
        "retransmissions) | rtt=10000.4ms;50;200;0;10000 retransmissions=6;;;0\n");
  auto o = opts();
  o.timeoutState = core::State::Unknown;
  CHECK(decideSipCheck(o, failure("timeout", 10000, 6)).state == core::State::Unknown);
}

TEST_CASE("sip check: refused, unreachable and bad responses are CRITICAL with perfdata") {
  for (const char* code : {"refused", "unreachable", "bad_response"}) {
    CAPTURE(code);
    auto out = decideSipCheck(opts(), failure(code, 0.2));
    CHECK(out.state == core::State::Critical);
    CHECK(out.text.find(code) != std::string::npos);
    CHECK(out.perfdata == "rtt=0.2ms;50;200;0;10000 retransmissions=0;;;0");
  }
  CHECK(decideSipCheck(opts(), failure("internal", 0)).state == core::State::Unknown);
}

TEST_CASE("sip check: -v adds address, server, allow and Node-ID as long output") {
  auto r = answer(200, "OK", 1);
  r.server = "kamailio";
  r.allow = {"OPTIONS"};
  r.nodeId = "3fa9c2d1aaaaaaaabbbbbbbbcccccccc";
  auto o = opts();
  o.verbose = 1;
  auto out = decideSipCheck(o, r);
  CHECK(out.text == "200 OK in 1 ms from sip:127.0.0.1:5060 (node 3fa9c2d1)");
  CHECK(out.longOutput == std::vector<std::string>{
                              "address 127.0.0.1:5060 over udp", "request-uri sip:127.0.0.1:5060",
                              "server kamailio", "allow OPTIONS",
                              "node-id 3fa9c2d1aaaaaaaabbbbbbbbcccccccc", "0 retransmissions"});
}
