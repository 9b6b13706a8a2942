#include "overlay-agent/peer_options.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <stdexcept>

#include <boost/program_options.hpp>

#include "core/version.hpp"

namespace p2pmon::overlay {

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace {
core::HostPort endpoint(const std::string& text, const char* option) {
  auto hp = core::parseHostPort(text);
  if (!hp) throw std::runtime_error(std::string("--") + option + ": " + hp.error().message);
  return *hp;
}

void check(bool ok, const std::string& why) {
  if (!ok) throw std::runtime_error(why);
}
}  // namespace

std::optional<PeerOptions> parsePeerOptions(int argc, const char* const argv[], std::ostream& out) {
  PeerOptions o;
  std::string listen, level;
  std::vector<std::string> bootstrap;
  unsigned basePort = 0;
  unsigned sipBasePort = 0;
  std::string sipListen, stunListen, stunAltListen, rtpReflector;
  po::options_description opts("p2pmon-peer options");
  // clang-format off
  opts.add_options()
      ("help,h", "show this help and exit")
      ("version,V", "show the version and exit")
      ("listen", po::value(&listen)->default_value("127.0.0.1:6084"),
       "UDP ADDR:PORT of the peer (port 0 picks a free one); with --swarm the peers' address "
       "and the default --base-port")
      ("bootstrap", po::value(&bootstrap)->composing(),
       "ADDR:PORT of a peer of the overlay to join (repeatable); none starts a new overlay")
      ("overlay", po::value(&o.overlay)->default_value(o.overlay), "overlay name")
      ("state-dir", po::value(&o.stateDir),
       "keep the Node-ID in DIR/node-id (DIR/node-id.<index> with --swarm) across restarts")
      ("stabilize-interval", po::value(&o.stabilizeMs)->default_value(o.stabilizeMs),
       "stabilisation period in ms; fix-fingers runs at 1/2, check-predecessor at 2x, replicate at 5x")
      ("log-level", po::value(&level)->default_value("info"), "debug, info, warning, error")
      ("swarm", po::value(&o.swarm), "run N peers in this process, each on its own UDP socket")
      ("base-port", po::value(&basePort),
       "with --swarm: peer i binds port P+i (0: each a free port); default the --listen port")
      ("sip-listen", po::value(&sipListen),
       "be a SIP registrar and proxy on ADDR:PORT, UDP and TCP (port 0 picks a free one); "
       "with --swarm the peers' SIP address and the default --sip-base-port")
      ("sip-base-port", po::value(&sipBasePort),
       "with --swarm: peer i takes SIP on port P+i (0: each a free port); turns SIP on")
      ("domain", po::value(&o.domain),
       "the SIP domain of the overlay: REGISTER and requests for sip:user@DOMAIN (needed with SIP)")
      ("sip-min-expires", po::value(&o.sipMinExpires)->default_value(o.sipMinExpires),
       "shortest registration granted, seconds; shorter ones get 423 Interval Too Brief")
      ("sip-max-expires", po::value(&o.sipMaxExpires)->default_value(o.sipMaxExpires),
       "longest registration granted, seconds; longer ones are shortened to this")
      ("stun-listen", po::value(&stunListen),
       "run a STUN server (RFC 5389, RFC 3489 clients) on UDP ADDR:PORT; with --swarm peer i "
       "on PORT+i (0: each a free port)")
      ("stun-alt-listen", po::value(&stunAltListen),
       "the STUN server's alternate ADDR:PORT (another IP, another port): it then answers "
       "CHANGE-REQUEST and advertises OTHER-ADDRESS (RFC 5780); needs --stun-listen")
      ("rtp-reflector", po::value(&rtpReflector),
       "run an RTP reflector on UDP [ADDR:]PORT (ADDR defaults to the --listen host); with "
       "--swarm peer i on PORT+i (0: each a free port)");
  // clang-format on
  opts.add(agentOptionDescription());
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, opts), vm);
    if (vm.count("help") != 0U) {
      out << "Usage: p2pmon-peer [options]\n\n" << opts << "\n";
      return std::nullopt;
    }
    if (vm.count("version") != 0U) {
      out << "p2pmon-peer " << kVersion << "\n";
      return std::nullopt;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    throw std::runtime_error(e.what());
  }
  o.listen = endpoint(listen, "listen");
  for (const auto& b : bootstrap) {
    o.bootstrap.push_back(endpoint(b, "bootstrap"));
    check(o.bootstrap.back().port != 0, "--bootstrap " + b + ": port 0 names no peer");
  }
  check(!o.overlay.empty(), "--overlay: the overlay name is empty");
  check(o.stabilizeMs >= kMinStabilizeMs && o.stabilizeMs <= kMaxStabilizeMs,
        "--stabilize-interval: " + std::to_string(o.stabilizeMs) + " ms is outside " +
            std::to_string(kMinStabilizeMs) + ".." + std::to_string(kMaxStabilizeMs));
  check(core::parseLogLevel(level, o.logLevel), "--log-level: unknown level " + level);
  const bool swarm = vm.count("swarm") != 0U;
  if (!stunListen.empty()) o.stunListen = endpoint(stunListen, "stun-listen");
  if (!stunAltListen.empty()) {
    check(o.stunListen.has_value(), "--stun-alt-listen needs --stun-listen");
    o.stunAltListen = endpoint(stunAltListen, "stun-alt-listen");
    check(o.stunAltListen->host != o.stunListen->host,
          "--stun-alt-listen must be on another IP address than --stun-listen (RFC 5780)");
    check(o.stunAltListen->port == 0 || o.stunAltListen->port != o.stunListen->port,
          "--stun-alt-listen must use another port than --stun-listen (RFC 5780)");
  }
  if (!rtpReflector.empty()) {
    const bool portOnly = rtpReflector.find_first_not_of("0123456789") == std::string::npos;
    o.rtpReflector = endpoint(portOnly ? o.listen.host + ":" + rtpReflector : rtpReflector,
                              "rtp-reflector");
  }
  o.sip = vm.count("sip-listen") != 0U || vm.count("sip-base-port") != 0U;
  if (o.sip) {
    if (vm.count("sip-listen") != 0U) {
      o.sipListen = endpoint(sipListen, "sip-listen");
    } else {
      o.sipListen = {o.listen.host, 0};
    }
    check(!o.domain.empty(), "SIP needs --domain (the domain whose AORs the overlay serves)");
    check(o.sipMinExpires >= 1 && o.sipMinExpires <= o.sipMaxExpires,
          "--sip-min-expires must be at least 1 and at most --sip-max-expires");
  } else {
    check(vm.count("domain") == 0U, "--domain needs --sip-listen or --sip-base-port");
  }
  o.agent = agentConfigFrom(vm, {swarm, o.stateDir, o.sip, o.rtpReflector.has_value()});
  if (!swarm) {
    check(vm.count("base-port") == 0U, "--base-port needs --swarm");
    check(vm.count("sip-base-port") == 0U, "--sip-base-port needs --swarm");
    return o;
  }
  if (o.sip) {
    if (vm.count("sip-base-port") == 0U) sipBasePort = o.sipListen.port;
    check(sipBasePort <= 65535, "--sip-base-port: " + std::to_string(sipBasePort) + " is not a port");
    check(sipBasePort == 0 || sipBasePort + o.swarm - 1 <= 65535,
          "--sip-base-port " + std::to_string(sipBasePort) + " leaves no room for " +
              std::to_string(o.swarm) + " peers");
    o.sipBasePort = static_cast<std::uint16_t>(sipBasePort);
  }
  check(o.swarm >= 1 && o.swarm <= kMaxSwarm,
        "--swarm: " + std::to_string(o.swarm) + " is outside 1.." + std::to_string(kMaxSwarm));
  for (const auto* service : {&o.stunListen, &o.stunAltListen, &o.rtpReflector}) {
    if (!service->has_value() || (*service)->port == 0) continue;
    check((*service)->port + o.swarm - 1 <= 65535,
          "port " + std::to_string((*service)->port) + " of " + (*service)->str() +
              " leaves no room for " + std::to_string(o.swarm) + " peers");
  }
  if (o.stunAltListen && o.stunAltListen->port != 0 && o.stunListen->port != 0) {
    // The server binds both ports on both addresses: peer i's ports must
    // not be peer j's.
    const int gap = std::abs(int{o.stunAltListen->port} - int{o.stunListen->port});
    check(static_cast<std::size_t>(gap) >= o.swarm,
          "--stun-listen and --stun-alt-listen ports must be at least --swarm apart");
  }
  if (vm.count("base-port") == 0U) basePort = o.listen.port;
  check(basePort <= 65535, "--base-port: " + std::to_string(basePort) + " is not a port");
  check(o.listen.port == 0 || o.listen.port == basePort || vm["listen"].defaulted(),
        "--listen port " + std::to_string(o.listen.port) + " and --base-port " +
            std::to_string(basePort) + " disagree (give one, or --listen ADDR:0)");
  check(basePort == 0 || basePort + o.swarm - 1 <= 65535,
        "--base-port " + std::to_string(basePort) + " leaves no room for " +
            std::to_string(o.swarm) + " peers");
  o.basePort = static_cast<std::uint16_t>(basePort);
  return o;
}

std::size_t peerCount(const PeerOptions& o) {
  return o.swarm == 0 ? 1 : o.swarm;
}

core::HostPort bindAddress(const PeerOptions& o, std::size_t index) {
  if (o.swarm == 0) return o.listen;
  const auto port = o.basePort == 0 ? 0 : o.basePort + index;
  return {o.listen.host, static_cast<std::uint16_t>(port)};
}

core::HostPort sipBindAddress(const PeerOptions& o, std::size_t index) {
  if (o.swarm == 0) return o.sipListen;
  const auto port = o.sipBasePort == 0 ? 0 : o.sipBasePort + index;
  return {o.sipListen.host, static_cast<std::uint16_t>(port)};
}

core::HostPort serviceBindAddress(const PeerOptions& o, const core::HostPort& base,
                                  std::size_t index) {
  if (o.swarm == 0 || base.port == 0) return base;
  return {base.host, static_cast<std::uint16_t>(base.port + index)};
}

PeerConfig peerConfig(const PeerOptions& o, const NodeId& id) {
  PeerConfig c;
  c.overlay = o.overlay;
  c.id = id;
  c.stabilizeMs = o.stabilizeMs;
  c.fixFingersMs = o.stabilizeMs / 2;
  c.checkPredecessorMs = 2 * o.stabilizeMs;
  c.replicateMs = 5 * o.stabilizeMs;
  c.softwareVersion = std::string("p2pmon-peer ") + kVersion;
  return c;
}

std::string nodeIdPath(const PeerOptions& o, std::size_t index) {
  if (o.stateDir.empty()) return {};
  const fs::path file = o.swarm == 0 ? "node-id" : "node-id." + std::to_string(index);
  return (fs::path(o.stateDir) / file).string();
}

NodeId loadOrCreateNodeId(const std::string& path) {
  std::error_code ec;
  if (fs::exists(path, ec)) {
    std::ifstream in(path);
    std::string text;
    if (!in || !(in >> text)) throw std::runtime_error("cannot read the Node-ID in " + path);
    std::string rest;
    auto id = NodeId::fromHex(text);
    if (!id || (in >> rest) || *id == NodeId{}) {
      throw std::runtime_error(path + " does not hold a Node-ID (32 hex digits, not all zero)");
    }
    return *id;
  }
  const fs::path file(path);
  if (file.has_parent_path()) {
    fs::create_directories(file.parent_path(), ec);
    if (ec)
      throw std::runtime_error("cannot create " + file.parent_path().string() + ": " +
                               ec.message());
  }
  const NodeId id = randomNodeId();
  // Written aside and renamed: a crash never leaves a half-written id behind.
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << id.hex() << "\n";
    if (!out.flush()) throw std::runtime_error("cannot write " + tmp);
  }
  fs::rename(tmp, path, ec);
  if (ec) throw std::runtime_error("cannot create " + path + ": " + ec.message());
  return id;
}

NodeId randomNodeId() {
  std::random_device rd;
  auto word = [&rd] { return (std::uint64_t{rd()} << 32) | std::uint64_t{rd()}; };
  NodeId id;
  while (id == NodeId{}) id = NodeId{word(), word()};
  return id;
}

}  // namespace p2pmon::overlay
