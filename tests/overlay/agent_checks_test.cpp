#include <doctest/doctest.h>

#include "core/perfdata.hpp"
#include "overlay-agent/agent_checks.hpp"
#include "overlay-agent/neighbour_cache.hpp"

using namespace p2pmon;
using namespace p2pmon::overlay;

namespace {
const AgentConfig kDefaults = defaultAgentConfig();
const AgentCheckConfig& cfg(AgentCheck c) { return kDefaults.check(c); }

HealthSample healthy() {
  HealthSample s;
  s.joined = true;
  s.successors = 4;
  s.predecessors = 3;
  s.fingers = 7;
  s.successorsMax = 4;
  s.predecessorsMax = 3;
  s.fingersMax = 16;
  s.stabilizations = 120;
  s.timeouts = 2;
  s.drops = 1;
  s.sent = 1000;
  s.received = 990;
  s.records = 12;
  s.rssMB = 45.23;
  return s;
}

probes::SipProbeResult answer(const std::string& target, double rtt) {
  probes::SipProbeResult r;
  r.target = target;
  r.answered = true;
  r.status = 200;
  r.reason = "OK";
  r.rttMs = rtt;
  return r;
}

probes::SipProbeResult timeout(const std::string& target) {
  probes::SipProbeResult r;
  r.target = target;
  r.error = "timeout";
  r.rttMs = 2000;
  return r;
}

CanaryRun found() {
  CanaryRun r;
  r.name = "canary.3fa9c2d1@p2pmon";
  r.found = true;
  r.responsible = "aabbccdd00112233aabbccdd00112233";
  r.responsibleAddress = "127.0.0.1:4000";
  r.hops = 3;
  r.latencyMs = 4;
  r.contentOk = true;
  return r;
}
}  // namespace

TEST_CASE("agent checks: a result carries the DESIGN.md model") {
  plugins::Outcome o{core::State::Warning, "slow", "rtt=1.8ms;50;200;0", {"line two"}};
  const auto r = makeResult(AgentCheck::SipOptions, o, "peer-3fa9c2d1", "agent:3fa9", 12.5);
  CHECK(r.host == "peer-3fa9c2d1");
  CHECK(r.service == "sip_options");
  CHECK(r.state == core::State::Warning);
  CHECK(r.output == "SIP WARNING - slow\nline two");
  CHECK(r.perfdata == "rtt=1.8ms;50;200;0");
  CHECK(r.source == "agent:3fa9");
  CHECK(r.time == 12.5);
  CHECK_FALSE(core::validate(r, 12.5).has_value());
  CHECK(checkName(AgentCheck::PeerHealth) == "peer_health");
  CHECK(outputLabel(AgentCheck::DhtLookup) == "DHT");
}

TEST_CASE("agent checks: a healthy peer is OK, with perfdata for every figure") {
  auto prev = healthy();
  auto now = healthy();
  now.stabilizations = 180;
  now.timeouts = 5;
  now.drops = 1;
  now.sent = 1600;
  now.received = 1580;
  const auto o = decidePeerHealth(cfg(AgentCheck::PeerHealth), now, prev);
  CHECK(o.state == core::State::Ok);
  CHECK(o.text ==
        "joined; 4/4 successors, 3/3 predecessors, 7 fingers, 12 records; since last run 60 "
        "stabilisations, 3 timeouts, 0 dropped datagrams; process RSS 45.2 MB");
  CHECK(o.perfdata ==
        "successors=4;2:;;0;4 predecessors=3;1:;;0;3 fingers=7;;;0;16 stabilizations=60;1:;;0 "
        "records=12;;;0 timeouts=3;;;0 drops=0;;;0 rss=45.2MB;;;0 sent=600;;;0 received=590;;;0");
  CHECK(core::parsePerfdata(o.perfdata).ok());
}

TEST_CASE("agent checks: peer_health is CRITICAL unjoined or without successor, WARNING on thresholds") {
  auto s = healthy();
  s.joined = false;
  auto o = decidePeerHealth(cfg(AgentCheck::PeerHealth), s, std::nullopt);
  CHECK(o.state == core::State::Critical);
  CHECK(o.text.rfind("not joined the overlay; ", 0) == 0);

  s = healthy();
  s.successors = 0;
  o = decidePeerHealth(cfg(AgentCheck::PeerHealth), s, std::nullopt);
  CHECK(o.state == core::State::Critical);
  CHECK(o.text.rfind("joined but no successor, successors 0 outside 2:; ", 0) == 0);

  s = healthy();
  s.successors = 1;
  o = decidePeerHealth(cfg(AgentCheck::PeerHealth), s, std::nullopt);
  CHECK(o.state == core::State::Warning);
  CHECK(o.text.rfind("joined, successors 1 outside 2:; 1/4 successors", 0) == 0);

  // No stabilisation since the last run: the peer has stalled.
  o = decidePeerHealth(cfg(AgentCheck::PeerHealth), healthy(), healthy());
  CHECK(o.state == core::State::Warning);
  CHECK(o.text.rfind("joined, stabilisations 0 outside 1:;", 0) == 0);

  // A counter that went down (a restarted engine) counts from zero.
  auto later = healthy();
  later.stabilizations = 10;
  o = decidePeerHealth(cfg(AgentCheck::PeerHealth), later, healthy());
  CHECK(o.perfdata.find("stabilizations=10;") != std::string::npos);

  AgentCheckConfig strict = cfg(AgentCheck::PeerHealth);
  strict.thresholds["rss"] = {*core::parseRange("40"), *core::parseRange("100")};
  o = decidePeerHealth(strict, healthy(), std::nullopt);
  CHECK(o.state == core::State::Warning);
  CHECK(o.perfdata.find("rss=45.2MB;40;100;0") != std::string::npos);
}

TEST_CASE("agent checks: RSS from /proc/self/statm") {
  CHECK(*rssMBFromStatm("12345 2560 300 10 0 4000 0\n", 4096) == doctest::Approx(10.0));
  CHECK_FALSE(rssMBFromStatm("", 4096).has_value());
  CHECK_FALSE(rssMBFromStatm("12345 x", 4096).has_value());
}

TEST_CASE("agent checks: sip_options summarises the neighbours' answers") {
  const auto& c = cfg(AgentCheck::SipOptions);
  SipNeighbours n;
  n.results = {answer("sip:127.0.0.1:5061;transport=udp", 0.4),
               answer("sip:127.0.0.1:5062;transport=udp", 1.2),
               answer("sip:127.0.0.1:5063;transport=udp", 0.8)};
  auto o = decideSipNeighbours(c, n);
  CHECK(o.state == core::State::Ok);
  CHECK(o.text == "3 of 3 neighbours answered OPTIONS, RTT median 0.8 ms, max 1.2 ms");
  CHECK(o.perfdata ==
        "answered=3;;;0;3 failed=0;0;;0;3 rtt_median=0.8ms;;;0 rtt_max=1.2ms;200;1000;0;2000");

  // One neighbour silent: WARNING by the `failed` threshold, named in the text.
  n.results.push_back(timeout("sip:127.0.0.1:5064;transport=udp"));
  n.unknown = 1;
  o = decideSipNeighbours(c, n);
  CHECK(o.state == core::State::Warning);
  CHECK(o.text.rfind("3 of 4 neighbours answered OPTIONS, RTT median 0.8 ms, max 1.2 ms, 1 not "
                     "asked (no SIP port known); no response from sip:127.0.0.1:5064",
                     0) == 0);
  REQUIRE(o.longOutput.size() == 1);

  // A slow answer: the RTT thresholds, as check_p2p_sip applies them.
  n.results = {answer("sip:127.0.0.1:5061;transport=udp", 350)};
  CHECK(decideSipNeighbours(c, n).state == core::State::Warning);
  n.results = {answer("sip:127.0.0.1:5061;transport=udp", 1500)};
  CHECK(decideSipNeighbours(c, n).state == core::State::Critical);

  n.results = {timeout("sip:127.0.0.1:5061;transport=udp")};
  o = decideSipNeighbours(c, n);
  CHECK(o.state == core::State::Critical);
  CHECK(o.perfdata.find("rtt_median=U") != std::string::npos);

  n.results.clear();
  n.unknown = 3;
  o = decideSipNeighbours(c, n);
  CHECK(o.state == core::State::Unknown);
  CHECK(o.text == "no neighbour with a known SIP port to ask (3 neighbours without diagnostics or SIP)");
}

TEST_CASE("agent checks: dht_lookup judges the canary's fetch") {
  const auto& c = cfg(AgentCheck::DhtLookup);
  CHECK(canaryName(core::NodeId{1, 2}, "lab") == "canary.00000000000000010000000000000002@lab");
  auto o = decideCanary(c, found());
  CHECK(o.state == core::State::Ok);
  CHECK(o.text == "canary.3fa9c2d1@p2pmon found at aabbccdd in 3 hops, 4 ms");
  CHECK(o.perfdata == "latency=4ms;1000;3000;0;10000 hops=3;;;0");

  auto r = found();
  r.contentOk = false;
  r.contentSeen = "old";
  o = decideCanary(c, r);
  CHECK(o.state == core::State::Critical);
  CHECK(o.text.find("but it holds 'old', not what was stored") != std::string::npos);

  r = found();
  r.found = false;
  r.error = "not_found";
  CHECK(decideCanary(c, r).state == core::State::Critical);
  r.error = "timeout";
  o = decideCanary(c, r);
  CHECK(o.state == core::State::Critical);
  CHECK(o.text.find("failed after 3 hops, 4 ms: timeout") != std::string::npos);

  r = found();
  r.putError = "not_joined";
  o = decideCanary(c, r);
  CHECK(o.state == core::State::Critical);
  CHECK(o.text == "cannot store the canary canary.3fa9c2d1@p2pmon (not_joined)");

  AgentCheckConfig hops = c;
  hops.thresholds["hops"] = {*core::parseRange("2"), std::nullopt};
  o = decideCanary(hops, found());
  CHECK(o.state == core::State::Warning);
  CHECK(o.perfdata == "latency=4ms;1000;3000;0;10000 hops=3;2;;0");
}

TEST_CASE("agent checks: rtp_quality uses check_p2p_rtp's decision with the agent's thresholds") {
  const auto o = rtpCheckOptions(cfg(AgentCheck::RtpQuality), "127.0.0.1:4000 (peer 3fa9c2d1)");
  CHECK(o.mosWarning->text == "3.6:");
  CHECK(o.lossCritical->text == "5");
  probes::RtpTargetRun run;
  run.error = core::makeError("timeout", "no reflection");
  const auto out = plugins::decideRtpCheck(o, run);
  CHECK(out.state == core::State::Critical);
  CHECK(out.text == "no reply from 127.0.0.1:4000 (peer 3fa9c2d1) (0 packets sent)");
}

TEST_CASE("neighbour cache: answers, failures and requests in flight expire") {
  NeighbourCache c(600'000, 60'000, 10'000, 3);
  const core::NodeId a{1, 1}, b{2, 2}, d{3, 3}, e{4, 4};
  CHECK(c.status(a, 0) == NeighbourCache::Status::Missing);
  c.setPending(a, 0);
  CHECK(c.status(a, 5'000) == NeighbourCache::Status::Pending);
  CHECK(c.status(a, 10'000) == NeighbourCache::Status::Missing);
  c.store(a, {5060, 3478, 4000}, 1'000);
  CHECK(c.status(a, 2'000) == NeighbourCache::Status::Known);
  CHECK(c.services(a, 2'000)->sip == 5060);
  CHECK_FALSE(c.services(a, 601'000).has_value());
  c.fail(b, 0);
  CHECK(c.status(b, 59'999) == NeighbourCache::Status::Failed);
  CHECK_FALSE(c.services(b, 1).has_value());
  CHECK(c.status(b, 60'000) == NeighbourCache::Status::Missing);
  // Bounded: a fourth id makes room by dropping expired entries first.
  c.store(d, {}, 0);
  c.store(e, {}, 70'000);  // b has expired by now
  CHECK(c.size() == 3);
  CHECK(c.status(a, 70'000) == NeighbourCache::Status::Known);
  CHECK(c.status(e, 70'000) == NeighbourCache::Status::Known);
}
