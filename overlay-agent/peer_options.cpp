#include "overlay-agent/peer_options.hpp"

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
       "with --swarm: peer i binds port P+i (0: each a free port); default the --listen port");
  // clang-format on
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
  if (!swarm) {
    check(vm.count("base-port") == 0U, "--base-port needs --swarm");
    return o;
  }
  check(o.swarm >= 1 && o.swarm <= kMaxSwarm,
        "--swarm: " + std::to_string(o.swarm) + " is outside 1.." + std::to_string(kMaxSwarm));
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
