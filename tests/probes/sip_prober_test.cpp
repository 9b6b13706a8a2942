// SipProber against a real NTA UAS in the same process (tests/support):
// bounds on live transactions, answers, timeouts, refusals, retransmissions.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include "probes/sip_prober.hpp"
#include "tests/support/sip_test_uas.hpp"

using namespace p2pmon::probes;
using namespace std::chrono_literals;

namespace {
SipTarget target(std::uint16_t port, SipTransport t = SipTransport::Udp) {
  SipTarget x;
  x.host = "127.0.0.1";
  x.port = port;
  x.transport = t;
  return x;
}

// A UDP port that is bound (so nothing else takes it) and never read.
struct SilentPort {
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  std::uint16_t port = 0;
  SilentPort() {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~SilentPort() { ::close(fd); }
};

std::uint16_t closedPort() {
  SilentPort p;
  return p.port;  // closed again when p goes
}
}  // namespace

TEST_CASE("sip prober: an answer carries code, server, allow, Node-ID and a small RTT") {
  p2pmon::testing::SipTestUas uas(200, "3FA9C2D1AAAAAAAABBBBBBBBCCCCCCCC");
  SipProber prober({});
  auto r = prober.probe(target(uas.port()));
  CHECK(r.answered);
  CHECK(r.error.empty());
  CHECK(r.status == 200);
  CHECK(r.reason == "OK");
  CHECK(r.server == "p2pmon-unit-uas");
  CHECK(r.allow == std::vector<std::string>{"OPTIONS", "INVITE"});
  CHECK(r.nodeId == "3fa9c2d1aaaaaaaabbbbbbbbcccccccc");
  CHECK(r.address == "127.0.0.1:" + std::to_string(uas.port()));
  CHECK(r.rttMs >= 0);
  CHECK(r.rttMs < 1000);
  CHECK(r.retransmissions == 0);
  CHECK(prober.inFlight() == 0);
}

TEST_CASE("sip prober: a 503 from the far end is an answer, not refused") {
  p2pmon::testing::SipTestUas uas(503);
  SipProber prober({});
  auto r = prober.probe(target(uas.port()));
  CHECK(r.answered);
  CHECK(r.status == 503);
  CHECK(r.nodeId.empty());
}

TEST_CASE("sip prober: a silent port times out after NTA's retransmissions, counted") {
  SilentPort silent;
  SipProberOptions o;
  o.timeout = 400ms;
  o.t1 = 50ms;  // sends at 0, 50, 150, 350 ms: three retransmissions before 400 ms
  SipProber prober(o);
  auto r = prober.probe(target(silent.port));
  CHECK_FALSE(r.answered);
  CHECK(r.error == "timeout");
  CHECK(r.rttMs >= 390);
  CHECK(r.rttMs < 2000);
  CHECK(r.retransmissions == 3);
}

TEST_CASE("sip prober: a closed port is refused at once, on UDP and on TCP") {
  SipProber prober({});
  const auto port = closedPort();
  for (auto t : {SipTransport::Udp, SipTransport::Tcp}) {
    auto r = prober.probe(target(port, t));
    CHECK_FALSE(r.answered);
    CHECK(r.error == "refused");
    CHECK(r.rttMs < 1000);
  }
}

TEST_CASE("sip prober: names that do not resolve are unreachable, bad sweep lines bad_usage") {
  SipProber prober({});
  SipTarget t = target(5060);
  t.host = "no-such-host.invalid";
  auto r = prober.probe(t);
  CHECK(r.error == "unreachable");
  std::vector<SipProbeResult> results;
  std::vector<std::string> lines = {"http://nope"};
  std::size_t i = 0;
  prober.sweep([&]() -> std::optional<SipSweepItem> {
                 if (i >= lines.size()) return std::nullopt;
                 return SipSweepItem{lines[i++], ""};
               },
               [&](SipProbeResult x) { results.push_back(std::move(x)); });
  REQUIRE(results.size() == 1);
  CHECK(results[0].error == "bad_usage");
}

TEST_CASE("sip prober: a long sweep never holds more than max-in-flight requests and ends with none") {
  p2pmon::testing::SipTestUas uas(200);
  SipProberOptions o;
  o.maxInFlight = 8;
  o.linger = 100ms;
  SipProber prober(o);
  const std::string line = "sip:127.0.0.1:" + std::to_string(uas.port());
  constexpr std::size_t kProbes = 3000;
  std::size_t handed = 0, ok = 0, worst = 0;
  prober.sweep([&]() -> std::optional<SipSweepItem> {
                 if (handed >= kProbes) return std::nullopt;
                 ++handed;
                 return SipSweepItem{line, ""};
               },
               [&](SipProbeResult r) {
                 worst = std::max(worst, prober.inFlight());
                 if (r.answered && r.status == 200) ++ok;
               });
  CHECK(ok == kProbes);
  CHECK(worst <= 8);
  CHECK(prober.stats().peakInFlight <= 8);
  CHECK(prober.stats().started == kProbes);
  CHECK(prober.stats().finished == kProbes);
  CHECK(prober.inFlight() == 0);
  // Finished transactions linger only for timer K, then NTA frees them.
  CHECK(prober.drain(3s) == 0);
}
