#include <cerrno>

#include <doctest/doctest.h>

#include "probes/sip_result.hpp"

using namespace p2pmon::probes;

TEST_CASE("sip classification: any final response from the far end is an answer, 503 and 408 too") {
  for (int code : {200, 404, 408, 503, 699}) {
    auto v = classifySipOutcome({code, "x", true, false, 0}, 2000);
    CHECK(v.answered);
    CHECK(v.error.empty());
  }
}

TEST_CASE("sip classification: NTA's own 408 is a timeout, its 503 after ICMP is refused") {
  auto t = classifySipOutcome({408, "", false, false, 0}, 2000);
  CHECK_FALSE(t.answered);
  CHECK(t.error == "timeout");
  CHECK(t.detail.find("2000 ms") != std::string::npos);
  CHECK(classifySipOutcome({503, "", false, false, ECONNREFUSED}, 2000).error == "refused");
  CHECK(classifySipOutcome({503, "", false, false, 0}, 2000).error == "refused");
  CHECK(classifySipOutcome({503, "", false, false, EHOSTUNREACH}, 2000).error == "unreachable");
  CHECK(classifySipOutcome({503, "", false, false, ENETUNREACH}, 2000).error == "unreachable");
  CHECK(classifySipOutcome({500, "", false, false, 0}, 2000).error == "unreachable");
}

TEST_CASE("sip classification: garbage from the far end is bad_response, not a timeout") {
  CHECK(classifySipOutcome({408, "", false, true, 0}, 2000).error == "bad_response");
  CHECK(classifySipOutcome({503, "", false, true, 0}, 2000).error == "bad_response");
  CHECK(classifySipOutcome({999, "Odd", true, false, 0}, 2000).error == "bad_response");
}

TEST_CASE("sip result: Node-IDs are 32 hex digits, lowercased, anything else is dropped") {
  CHECK(normalizeNodeId(" 3FA9C2D1aaaaaaaabbbbbbbbcccccccc ") == "3fa9c2d1aaaaaaaabbbbbbbbcccccccc");
  CHECK_FALSE(normalizeNodeId("3fa9c2d1").has_value());
  CHECK_FALSE(normalizeNodeId("3fa9c2d1aaaaaaaabbbbbbbbccccccXX").has_value());
}

namespace {
SipProbeResult answered() {
  SipProbeResult r;
  r.target = "sip:127.0.0.1:5060;transport=udp";
  r.requestUri = "sip:127.0.0.1:5060";
  r.address = "127.0.0.1:5060";
  r.transport = "udp";
  r.answered = true;
  r.status = 200;
  r.reason = "OK";
  r.server = "kamailio";
  r.allow = {"INVITE", "OPTIONS"};
  r.nodeId = "3fa9c2d1aaaaaaaabbbbbbbbcccccccc";
  r.rttMs = 1.23456;
  r.retransmissions = 1;
  return r;
}
}  // namespace

TEST_CASE("sip result: the JSON has every documented field in order, ms to the microsecond") {
  CHECK(sipResultJson(answered()).dump() ==
        R"({"target":"sip:127.0.0.1:5060;transport=udp","request_uri":"sip:127.0.0.1:5060",)"
        R"("address":"127.0.0.1:5060","transport":"udp","ok":true,"error":null,"detail":null,)"
        R"("status":200,"reason":"OK","server":"kamailio","allow":["INVITE","OPTIONS"],)"
        R"("node_id":"3fa9c2d1aaaaaaaabbbbbbbbcccccccc","call_id":null,"rtt_ms":1.235,)"
        R"("retransmissions":1})");
  SipProbeResult f;
  f.target = "sip:127.0.0.1:9;transport=udp";
  f.transport = "udp";
  f.error = "refused";
  f.rttMs = 0.1;
  const auto j = sipResultJson(f);
  CHECK(j["ok"] == false);
  CHECK(j["error"] == "refused");
  CHECK(j["status"].is_null());
  CHECK(j["address"].is_null());
  CHECK(j["node_id"].is_null());
  CHECK(j["allow"].empty());
}

TEST_CASE("sip result: one human line per probe, failures with their code") {
  CHECK(sipResultLine(answered()) ==
        "sip:127.0.0.1:5060;transport=udp: 200 OK in 1.235 ms, 1 retransmission, server "
        "\"kamailio\", node 3fa9c2d1aaaaaaaabbbbbbbbcccccccc, allow INVITE,OPTIONS");
  SipProbeResult f;
  f.target = "sip:127.0.0.1:9;transport=udp";
  f.error = "timeout";
  f.detail = "no response within 2000 ms";
  f.rttMs = 2000.5;
  f.retransmissions = 2;
  CHECK(sipResultLine(f) == "sip:127.0.0.1:9;transport=udp: timeout: no response within 2000 ms "
                            "after 2000.5 ms, 2 retransmissions");
}

TEST_CASE("sip result: the summary counts answers and takes RTTs of answered probes only") {
  auto a = answered();
  auto b = answered();
  b.rttMs = 3;
  SipProbeResult lost;
  lost.rttMs = 2000;
  const auto s = summarize({a, lost, b});
  CHECK(s.sent == 3);
  CHECK(s.answered == 2);
  CHECK(s.rttMin == doctest::Approx(1.23456));
  CHECK(s.rttMax == doctest::Approx(3));
  CHECK(s.rttAvg == doctest::Approx((1.23456 + 3) / 2));
}
