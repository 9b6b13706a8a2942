#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "overlay-agent/agent_config.hpp"
#include "overlay-agent/peer_options.hpp"
#include "tests/support/peer_cli.hpp"

using namespace p2pmon;
using namespace p2pmon::overlay;
namespace fs = std::filesystem;
using p2pmon::test::parse;
using p2pmon::test::refusal;

namespace {
struct TempFile {
  fs::path path = fs::temp_directory_path() / ("p2pmon-agent-config-" + randomNodeId().shortHex());
  explicit TempFile(const std::string& text) { std::ofstream(path) << text; }
  ~TempFile() { fs::remove(path); }
};

bool enabled(const AgentConfig& c, AgentCheck k) { return c.check(k).enabled; }
}  // namespace

TEST_CASE("agent config: off without a push target") {
  const auto o = parse({});
  CHECK_FALSE(o.agent.enabled);
  CHECK(refusal({"--agent-checks", "peer_health"}) ==
        "--agent-checks needs a push target: --agent-collector URL or --agent-nsca HOST:PORT");
}

TEST_CASE("agent config: a collector URL turns it on with the default checks and intervals") {
  const auto o = parse({"--agent-collector", "http://127.0.0.1:8080/", "--agent-token", "s3cret"});
  const auto& a = o.agent;
  REQUIRE(a.enabled);
  CHECK(a.push.httpUrl == "http://127.0.0.1:8080");
  CHECK(a.push.token == "s3cret");
  CHECK_FALSE(a.push.nsca.has_value());
  CHECK(a.push.spoolDir.empty());  // no --state-dir: in memory
  CHECK(enabled(a, AgentCheck::PeerHealth));
  CHECK(enabled(a, AgentCheck::DhtLookup));
  CHECK_FALSE(enabled(a, AgentCheck::SipOptions));    // the peers run no SIP
  CHECK_FALSE(enabled(a, AgentCheck::RtpQuality));    // nor reflectors
  CHECK_FALSE(enabled(a, AgentCheck::NatBehaviour));  // no STUN server
  CHECK(a.check(AgentCheck::PeerHealth).intervalMs == 60'000);
  CHECK(a.check(AgentCheck::RtpQuality).intervalMs == 900'000);
  CHECK(a.check(AgentCheck::SipOptions).intervalMs == 300'000);
  CHECK(a.check(AgentCheck::DhtLookup).intervalMs == 300'000);
  CHECK(a.check(AgentCheck::NatBehaviour).intervalMs == 3'600'000);
  CHECK(a.check(AgentCheck::SipOptions).metric("rtt").warning->text == "200");
  CHECK(a.check(AgentCheck::SipOptions).metric("rtt").critical->text == "1000");
}

TEST_CASE("agent config: SIP, reflectors and a STUN server turn their checks on") {
  const auto o = parse({"--agent-nsca", "127.0.0.1:5667", "--agent-nsca-password", "pw",
                        "--sip-listen", "127.0.0.1:0", "--domain", "example.org",
                        "--rtp-reflector", "0", "--agent-stun", "127.0.0.1:3478",
                        "--state-dir", "/tmp/p2pmon-x"});
  const auto& a = o.agent;
  REQUIRE(a.push.nsca.has_value());
  CHECK(a.push.nsca->str() == "127.0.0.1:5667");
  CHECK(a.push.nscaPassword == "pw");
  CHECK(a.push.spoolDir == "/tmp/p2pmon-x/agent-spool");
  for (auto c : kAllAgentChecks) CHECK(enabled(a, c));
  CHECK(a.stunServer->str() == "127.0.0.1:3478");
}

TEST_CASE("agent config: --agent-checks, intervals and thresholds") {
  const auto o = parse({"--agent-collector", "http://c:1", "--agent-checks", "peer_health, dht_lookup",
                        "--agent-interval", "peer_health=5", "--agent-interval", "dht_lookup=7",
                        "--agent-threshold", "dht_lookup.latency=,500", "--agent-threshold",
                        "peer_health.rss=512,1024"});
  const auto& a = o.agent;
  CHECK(enabled(a, AgentCheck::PeerHealth));
  CHECK_FALSE(enabled(a, AgentCheck::SipOptions));
  CHECK(a.check(AgentCheck::PeerHealth).intervalMs == 5000);
  CHECK(a.check(AgentCheck::DhtLookup).intervalMs == 7000);
  const auto& lat = a.check(AgentCheck::DhtLookup).metric("latency");
  CHECK_FALSE(lat.warning.has_value());
  CHECK(lat.critical->text == "500");
  CHECK(a.check(AgentCheck::PeerHealth).metric("rss").warning->text == "512");
  // A plain MOS threshold means "below is bad", as check_p2p_rtp reads it.
  const auto r = parse({"--agent-collector", "http://c:1", "--agent-threshold",
                        "rtp_quality.mos=3.8,3.2"});
  CHECK(r.agent.check(AgentCheck::RtpQuality).metric("mos").warning->text == "3.8:");
  CHECK(r.agent.check(AgentCheck::RtpQuality).metric("mos").critical->alerts(3.0));
}

TEST_CASE("agent config: bad options are refused with one clear line") {
  const char* url = "http://c:1";
  CHECK(refusal({"--agent-collector", url, "--agent-nsca", "h:1"}) ==
        "give --agent-collector or --agent-nsca, not both");
  CHECK(refusal({"--agent-collector", "ftp://c"}) ==
        "--agent-collector: 'ftp://c' is not an http:// or https:// URL");
  CHECK(refusal({"--agent-collector", url, "--agent-checks", "peer_health,bogus"}).find(
            "--agent-checks: unknown check 'bogus' (peer_health, sip_options") == 0);
  CHECK(refusal({"--agent-collector", url, "--agent-checks", "sip_options"}) ==
        "--agent-checks: sip_options needs SIP on the peers (--sip-listen or --sip-base-port)");
  CHECK(refusal({"--agent-collector", url, "--agent-checks", "nat_behaviour"}) ==
        "--agent-checks: nat_behaviour needs --agent-stun HOST:PORT");
  CHECK(refusal({"--agent-collector", url, "--agent-interval", "peer_health"}) ==
        "--agent-interval: 'peer_health' is not CHECK=SECONDS");
  CHECK(refusal({"--agent-collector", url, "--agent-interval", "peer_health=0"}) ==
        "--agent-interval peer_health=0: 0 is outside 1..86400");
  CHECK(refusal({"--agent-collector", url, "--agent-threshold", "sip_options.rtt=abc,1"}) ==
        "--agent-threshold sip_options.rtt=abc,1: bad threshold range 'abc'");
  CHECK(refusal({"--agent-collector", url, "--agent-threshold", "sip_options.mos=1,2"}) ==
        "--agent-threshold: sip_options has no metric 'mos' (rtt, failed)");
  CHECK(refusal({"--agent-collector", url, "--agent-threshold", "sip_options.rtt=100"}) ==
        "--agent-threshold sip_options.rtt=100: give WARN,CRIT (either may be empty)");
  CHECK(refusal({"--agent-collector", url, "--agent-token", "t", "--agent-nsca-password", "p"}) ==
        "--agent-nsca-password goes with --agent-nsca");
  CHECK(refusal({"--agent-collector", url, "--agent-rtp-codec", "g729"}) ==
        "--agent-rtp-codec: 'g729' is not pcmu, pcma or opus");
  CHECK(refusal({"--agent-collector", url, "--agent-rtp-concurrency", "99"}) ==
        "--agent-rtp-concurrency: 99 is outside 1..16");
  CHECK(refusal({"--agent-nsca", "h:0"}) == "--agent-nsca h:0: port 0 names no server");
}

TEST_CASE("agent config: host names, per peer in swarm mode") {
  const core::NodeId id{0x3fa9c2d1aabbccddULL, 0x1122334455667788ULL};
  auto a = parse({"--agent-collector", "http://c:1"}).agent;
  CHECK(agentHostName(a, id, 0) == "peer-3fa9c2d1");
  a = parse({"--agent-collector", "http://c:1", "--agent-host-name", "edge-1"}).agent;
  CHECK(agentHostName(a, id, 0) == "edge-1");
  a = parse({"--agent-collector", "http://c:1", "--swarm", "3", "--agent-host-name",
             "lab-{index}-{id8}"})
          .agent;
  CHECK(agentHostName(a, id, 2) == "lab-2-3fa9c2d1");
  CHECK(refusal({"--agent-collector", "http://c:1", "--swarm", "3", "--agent-host-name", "lab"}) ==
        "--agent-host-name: with --swarm give {id8}, {id} or {index} in the name, or every peer "
        "reports as one host");
  CHECK(refusal({"--agent-collector", "http://c:1", "--agent-host-name", "a;b"}) ==
        "--agent-host-name: 'a;b' is not a usable Nagios host name");
}

TEST_CASE("agent config: a config file of the same keys, under the command line") {
  TempFile file(
      "# the agent of lab peers\n"
      "agent-collector = http://127.0.0.1:9000\n"
      "agent-token = from-file\n"
      "agent-interval = peer_health=30\n"
      "agent-interval = dht_lookup=20\n"
      "agent-threshold = sip_options.rtt=50,300\n"
      "agent-spool = /var/spool/p2pmon\n");
  const auto a = parse({"--agent-config", file.path.c_str(), "--agent-token", "from-cli",
                        "--agent-interval", "peer_health=10"})
                     .agent;
  REQUIRE(a.enabled);
  CHECK(a.push.httpUrl == "http://127.0.0.1:9000");
  CHECK(a.push.token == "from-cli");
  CHECK(a.push.spoolDir == "/var/spool/p2pmon");
  CHECK(a.check(AgentCheck::PeerHealth).intervalMs == 10'000);
  CHECK(a.check(AgentCheck::DhtLookup).intervalMs == 20'000);
  CHECK(a.check(AgentCheck::SipOptions).metric("rtt").warning->text == "50");

  TempFile bad("agent-colector = http://x:1\n");
  CHECK(refusal({"--agent-config", bad.path.c_str()}) ==
        "--agent-config " + bad.path.string() + ": unrecognised option 'agent-colector'");
  TempFile none("agent-token = t\n");
  CHECK(refusal({"--agent-config", none.path.c_str()}) ==
        "--agent-token needs a push target: --agent-collector URL or --agent-nsca HOST:PORT");
  CHECK(refusal({"--agent-config", "/nonexistent/agent.conf"}) ==
        "--agent-config /nonexistent/agent.conf: cannot read the file");
}
