// p2pmon-peer's command line: the options and their checks, the engine
// configuration they give, and the Node-ID kept in --state-dir across
// restarts. Apart from main so that it is unit-tested without sockets.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "core/address.hpp"
#include "core/log.hpp"
#include "overlay-agent/agent_config.hpp"
#include "overlay-agent/chord_peer.hpp"

namespace p2pmon::overlay {

struct PeerOptions {
  core::HostPort listen{"127.0.0.1", 6084};
  std::vector<core::HostPort> bootstrap;  // empty: the first peer starts a new overlay
  std::string overlay = "p2pmon";
  std::string stateDir;  // empty: a new random Node-ID at every start
  std::int64_t stabilizeMs = 1000;
  core::LogLevel logLevel = core::LogLevel::Info;
  std::size_t swarm = 0;       // 0: one peer on --listen; N: N peers
  std::uint16_t basePort = 0;  // swarm: peer i binds basePort + i (0: any free port)
  // SIP (docs/sip.md): on when --sip-listen or --sip-base-port is given.
  bool sip = false;
  core::HostPort sipListen{"127.0.0.1", 5060};
  std::uint16_t sipBasePort = 0;  // swarm: peer i's SIP on sipBasePort + i (0: any free port)
  std::string domain;             // the SIP domain the overlay serves
  std::uint32_t sipMinExpires = 1;
  std::uint32_t sipMaxExpires = 86400;
  // Media services (docs/operations.md): a STUN server, with an alternate
  // address for RFC 5780, and an RTP reflector. In swarm mode peer i takes
  // port P+i of each (0: each a free port).
  std::optional<core::HostPort> stunListen;
  std::optional<core::HostPort> stunAltListen;  // only with stunListen
  std::optional<core::HostPort> rtpReflector;
  // The embedded agent (agent_config.hpp): enabled when a push target is given.
  AgentConfig agent;
};

// Bounds on the options, with the reason they exist.
inline constexpr std::int64_t kMinStabilizeMs = 10;  // below this the ring only talks to itself
inline constexpr std::int64_t kMaxStabilizeMs = 600'000;  // failures would go unnoticed for hours
inline constexpr std::size_t kMaxSwarm = 10'000;          // one socket per peer in one process

// Parses the command line. Returns nullopt when --help or --version was
// printed to `out` (exit 0); throws std::runtime_error with a one-line
// reason for a bad or conflicting option.
std::optional<PeerOptions> parsePeerOptions(int argc, const char* const argv[], std::ostream& out);

// How many peers the process runs (1 without --swarm) and where peer
// `index` binds: --listen, or in swarm mode the --listen host and
// basePort + index (every peer a free port when basePort is 0).
std::size_t peerCount(const PeerOptions& o);
core::HostPort bindAddress(const PeerOptions& o, std::size_t index);
// Where peer `index` takes SIP (UDP and TCP), the same way from --sip-listen
// and --sip-base-port. Only when o.sip.
core::HostPort sipBindAddress(const PeerOptions& o, std::size_t index);
// Where peer `index` runs a media service whose option gave `base`: base
// itself, or in swarm mode port base.port + index (0 stays 0).
core::HostPort serviceBindAddress(const PeerOptions& o, const core::HostPort& base,
                                  std::size_t index);

// The engine configuration of one peer: the periodic work scales with
// --stabilize-interval (fix-fingers 1/2, check-predecessor 2x, replicate 5x).
PeerConfig peerConfig(const PeerOptions& o, const NodeId& id);

// Where the Node-ID of peer `index` lives: DIR/node-id, or DIR/node-id.<index>
// in swarm mode. Empty without --state-dir.
std::string nodeIdPath(const PeerOptions& o, std::size_t index);

// The Node-ID stored in `path` (32 hex digits, surrounding white space
// ignored). A missing file is created, with its directory, holding a new
// random Node-ID. Throws std::runtime_error when the file cannot be read or
// written or does not hold a valid Node-ID (it is never overwritten then).
NodeId loadOrCreateNodeId(const std::string& path);

// 128 random bits from std::random_device; never the all-zero id, which the
// engine reserves for "not known yet".
NodeId randomNodeId();

}  // namespace p2pmon::overlay
