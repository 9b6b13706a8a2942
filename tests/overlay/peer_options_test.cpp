#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "overlay-agent/peer_options.hpp"
#include "tests/support/peer_cli.hpp"
#include "tests/support/temp_dir.hpp"

using namespace p2pmon;
using namespace p2pmon::overlay;
namespace fs = std::filesystem;
using p2pmon::test::parse;
using p2pmon::test::refusal;

TEST_CASE("peer options: defaults are one peer on 127.0.0.1:6084 starting overlay p2pmon") {
  const PeerOptions o = parse({});
  CHECK(o.listen.str() == "127.0.0.1:6084");
  CHECK(o.bootstrap.empty());
  CHECK(o.overlay == "p2pmon");
  CHECK(o.stabilizeMs == 1000);
  CHECK(o.logLevel == core::LogLevel::Info);
  CHECK(peerCount(o) == 1);
  CHECK(bindAddress(o, 0).str() == "127.0.0.1:6084");
  CHECK(nodeIdPath(o, 0).empty());
}

TEST_CASE("peer options: --help and --version print and ask for exit 0") {
  std::vector<const char*> args{"p2pmon-peer", "--help"};
  std::ostringstream out;
  CHECK_FALSE(parsePeerOptions(2, args.data(), out).has_value());
  CHECK(out.str().find("--swarm") != std::string::npos);
  args[1] = "--version";
  CHECK_FALSE(parsePeerOptions(2, args.data(), out).has_value());
}

TEST_CASE("peer options: --bootstrap repeats and --stabilize-interval scales the periodic work") {
  const PeerOptions o = parse({"--bootstrap", "127.0.0.1:7000", "--bootstrap", "[::1]:7001",
                               "--stabilize-interval", "200", "--overlay", "lab"});
  REQUIRE(o.bootstrap.size() == 2);
  CHECK(o.bootstrap[1].str() == "[::1]:7001");
  const PeerConfig c = peerConfig(o, NodeId{1, 2});
  CHECK(c.overlay == "lab");
  CHECK(c.id == NodeId{1, 2});
  CHECK(c.stabilizeMs == 200);
  CHECK(c.fixFingersMs == 100);
  CHECK(c.checkPredecessorMs == 400);
  CHECK(c.replicateMs == 1000);
  CHECK_FALSE(c.client);
}

TEST_CASE("peer options: a swarm binds consecutive ports from --base-port, or free ports from 0") {
  PeerOptions o = parse({"--swarm", "3", "--base-port", "7000", "--listen", "127.0.0.1:0"});
  CHECK(peerCount(o) == 3);
  CHECK(bindAddress(o, 0).str() == "127.0.0.1:7000");
  CHECK(bindAddress(o, 2).str() == "127.0.0.1:7002");
  o = parse({"--swarm", "3", "--base-port", "0", "--listen", "127.0.0.1:0"});
  CHECK(bindAddress(o, 2).str() == "127.0.0.1:0");
  o = parse({"--swarm", "2", "--listen", "127.0.0.2:9000"});  // base port from --listen
  CHECK(bindAddress(o, 1).str() == "127.0.0.2:9001");
  o = parse({"--swarm", "2", "--base-port", "9100"});  // the default --listen port yields
  CHECK(bindAddress(o, 0).str() == "127.0.0.1:9100");
}

TEST_CASE("peer options: bad and conflicting options are refused with the option's name") {
  CHECK(refusal({"--base-port", "7000"}) == "--base-port needs --swarm");
  CHECK(refusal({"--swarm", "0"}).find("--swarm") == 0);
  CHECK(refusal({"--swarm", "10001"}).find("--swarm") == 0);
  CHECK(refusal({"--swarm", "10", "--base-port", "65530"}).find("leaves no room") !=
        std::string::npos);
  CHECK(refusal({"--swarm", "2", "--base-port", "70000"}).find("--base-port") == 0);
  CHECK(refusal({"--swarm", "2", "--listen", "127.0.0.1:5000", "--base-port", "6000"})
            .find("disagree") != std::string::npos);
  CHECK(refusal({"--listen", "127.0.0.1"}).find("--listen") == 0);
  CHECK(refusal({"--bootstrap", "127.0.0.1:0"}).find("port 0") != std::string::npos);
  CHECK(refusal({"--stabilize-interval", "5"}).find("--stabilize-interval") == 0);
  CHECK(refusal({"--log-level", "loud"}).find("--log-level") == 0);
  CHECK(refusal({"--overlay", ""}).find("--overlay") == 0);
  CHECK(refusal({"--no-such-option"}) != "accepted");
}

TEST_CASE("peer options: SIP is off by default, on with --sip-listen or --sip-base-port") {
  CHECK_FALSE(parse({}).sip);
  PeerOptions o = parse({"--sip-listen", "127.0.0.1:5070", "--domain", "p2p.test"});
  CHECK(o.sip);
  CHECK(o.domain == "p2p.test");
  CHECK(sipBindAddress(o, 0).str() == "127.0.0.1:5070");
  o = parse({"--swarm", "3", "--listen", "127.0.0.1:0", "--sip-listen", "127.0.0.1:6000",
             "--domain", "p2p.test"});
  CHECK(sipBindAddress(o, 2).str() == "127.0.0.1:6002");
  o = parse({"--swarm", "3", "--listen", "127.0.0.1:0", "--sip-base-port", "0", "--domain", "d"});
  CHECK(o.sip);
  CHECK(sipBindAddress(o, 1).str() == "127.0.0.1:0");
  o = parse({"--swarm", "2", "--listen", "127.0.0.1:0", "--sip-listen", "127.0.0.1:0",
             "--sip-base-port", "7100", "--domain", "d"});
  CHECK(sipBindAddress(o, 1).str() == "127.0.0.1:7101");
}

TEST_CASE("peer options: SIP options are checked") {
  CHECK(refusal({"--sip-listen", "127.0.0.1:5070"}).find("--domain") != std::string::npos);
  CHECK(refusal({"--domain", "p2p.test"}) == "--domain needs --sip-listen or --sip-base-port");
  CHECK(refusal({"--sip-base-port", "7000", "--domain", "d"}) == "--sip-base-port needs --swarm");
  CHECK(refusal({"--sip-listen", "nonsense", "--domain", "d"}).find("--sip-listen") == 0);
  CHECK(refusal({"--sip-listen", "127.0.0.1:0", "--domain", "d", "--sip-min-expires", "0"})
            .find("--sip-min-expires") == 0);
  CHECK(refusal({"--swarm", "10", "--listen", "127.0.0.1:0", "--sip-base-port", "65530",
                 "--domain", "d"})
            .find("leaves no room") != std::string::npos);
}

TEST_CASE("peer options: the STUN server and the RTP reflector, one port per swarm peer") {
  PeerOptions o = parse({});
  CHECK_FALSE(o.stunListen);
  CHECK_FALSE(o.rtpReflector);
  o = parse({"--listen", "10.0.0.5:6084", "--stun-listen", "10.0.0.5:3478", "--stun-alt-listen",
             "10.0.0.6:3479", "--rtp-reflector", "5004"});
  CHECK(o.stunListen->str() == "10.0.0.5:3478");
  CHECK(o.stunAltListen->str() == "10.0.0.6:3479");
  CHECK(o.rtpReflector->str() == "10.0.0.5:5004");  // the --listen host
  CHECK(serviceBindAddress(o, *o.rtpReflector, 0).str() == "10.0.0.5:5004");
  CHECK(parse({"--rtp-reflector", "[::1]:5004"}).rtpReflector->str() == "[::1]:5004");
  o = parse({"--swarm", "3", "--listen", "127.0.0.1:0", "--stun-listen", "127.0.0.1:4000",
             "--stun-alt-listen", "127.0.0.2:4010", "--rtp-reflector", "0"});
  CHECK(serviceBindAddress(o, *o.stunListen, 2).str() == "127.0.0.1:4002");
  CHECK(serviceBindAddress(o, *o.stunAltListen, 2).str() == "127.0.0.2:4012");
  CHECK(serviceBindAddress(o, *o.rtpReflector, 2).str() == "127.0.0.1:0");
}

TEST_CASE("peer options: media service options are checked") {
  CHECK(refusal({"--stun-alt-listen", "127.0.0.2:3479"}) == "--stun-alt-listen needs --stun-listen");
  CHECK(refusal({"--stun-listen", "127.0.0.1:3478", "--stun-alt-listen", "127.0.0.1:3479"})
            .find("another IP address") != std::string::npos);
  CHECK(refusal({"--stun-listen", "127.0.0.1:3478", "--stun-alt-listen", "127.0.0.2:3478"})
            .find("another port") != std::string::npos);
  CHECK(refusal({"--rtp-reflector", "nonsense"}).find("--rtp-reflector") == 0);
  CHECK(refusal({"--swarm", "10", "--listen", "127.0.0.1:0", "--stun-listen", "127.0.0.1:3478",
                 "--stun-alt-listen", "127.0.0.2:3479"})
            .find("at least --swarm apart") != std::string::npos);
  CHECK(refusal({"--swarm", "10", "--listen", "127.0.0.1:0", "--rtp-reflector", "65530"})
            .find("leaves no room") != std::string::npos);
}

TEST_CASE("peer options: the Node-ID file is DIR/node-id, or DIR/node-id.<index> in a swarm") {
  CHECK(nodeIdPath(parse({"--state-dir", "/var/lib/p"}), 0) == "/var/lib/p/node-id");
  const PeerOptions s = parse({"--state-dir", "/var/lib/p", "--swarm", "4", "--base-port", "0"});
  CHECK(nodeIdPath(s, 3) == "/var/lib/p/node-id.3");
}

TEST_CASE("peer options: a Node-ID is created once in the state directory and read back after") {
  test::TempDir dir{"p2pmon-peer-options"};
  const std::string path = (dir.path / "nested" / "node-id").string();
  const NodeId id = loadOrCreateNodeId(path);
  CHECK(id != NodeId{});
  std::ifstream in(path);
  std::string text;
  in >> text;
  CHECK(text == id.hex());
  CHECK(loadOrCreateNodeId(path) == id);
  CHECK(loadOrCreateNodeId((dir.path / "other").string()) != id);
}

TEST_CASE("peer options: a garbled or all-zero Node-ID file is an error and stays as it is") {
  test::TempDir dir{"p2pmon-peer-options"};
  fs::create_directories(dir.path);
  const std::string path = (dir.path / "node-id").string();
  for (const char* text :
       {"xyz\n", "0123456789abcdef0123456789abcde\n", "00000000000000000000000000000000\n",
        "0123456789abcdef0123456789abcdef extra\n", ""}) {
    std::ofstream(path, std::ios::trunc) << text;
    CHECK_THROWS_AS(loadOrCreateNodeId(path), std::runtime_error);
    std::ifstream in(path);
    std::stringstream back;
    back << in.rdbuf();
    CHECK(back.str() == text);
  }
  std::ofstream(path, std::ios::trunc) << "  0123456789ABCDEF0123456789abcdef\n\n";
  CHECK(loadOrCreateNodeId(path).hex() == "0123456789abcdef0123456789abcdef");
}
