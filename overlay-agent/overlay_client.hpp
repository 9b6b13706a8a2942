// A blocking client of the overlay for tools (p2pmon-probe, check_p2p_lookup):
// one client-mode ChordPeer (never joins, walks lookups iteratively from its
// bootstrap peer) on a UdpHost with its own io_context. Each call runs that
// io_context until the answer comes or the call's timeout passes.
#pragma once

#include <utility>  // before Boost.Asio: Boost 1.74 + C++20 needs it (toolchain.md)

#include <boost/asio.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"
#include "overlay-agent/chord_peer.hpp"
#include "overlay-agent/udp_host.hpp"

namespace p2pmon::overlay {

// "HOST:PORT" to a UDP endpoint (name resolution included). Errors:
// bad_address (the text), unreachable (the name does not resolve).
core::Expected<Endpoint> resolveEndpoint(std::string_view hostPort);

struct ClientOptions {
  std::string overlay = "p2pmon";
  Endpoint peer;                              // the bootstrap: every call starts here
  std::chrono::milliseconds timeout{2000};    // bounds each call as a whole
};

// put/get: the engine's result, timed by the client in fractions of a ms
// (the engine counts whole ms). `answered`: at least one answer reached the
// client, so the bootstrap peer itself is alive even when the operation failed.
struct ClientOp {
  OpResult op;
  double latencyMs = 0;
  bool answered = false;
};

struct DiagReply {
  DiagAns diag;
  NodeId sender;     // Node-ID in the answer's header
  double rttMs = 0;  // of the attempt that was answered
};

// One hop of a path track: the peer asked, its routing step and diagnostics.
struct PathHop {
  Endpoint asked;
  NodeId id;
  double rttMs = 0;
  PathTrackAns answer;
};

struct PathTrace {
  NodeId target;
  std::vector<PathHop> hops;
  std::optional<PeerRef> responsible;  // set when the walk reached it
  std::string error;                   // stable code when it did not: timeout, refused,
                                       // bad_response, loop, ttl_exceeded
  std::string detail;                  // for humans
};

class OverlayClient {
 public:
  // Binds a UDP socket on an ephemeral port. Throws when binding fails.
  explicit OverlayClient(ClientOptions options);
  ~OverlayClient();
  OverlayClient(const OverlayClient&) = delete;
  OverlayClient& operator=(const OverlayClient&) = delete;

  // Error codes of diag(): timeout, refused (ICMP port unreachable or an
  // Error answer), bad_response (undecodable or not a DiagAns), unreachable.
  // diag and pathTrack ask on their own connected socket: the engine's
  // diagnose() reports an Error answer as a timeout and has no path track.
  core::Expected<DiagReply> diag(const Endpoint& peer, std::uint64_t flags = kDiagAll);
  ClientOp put(const Record& record);
  ClientOp get(RecordKind kind, const std::string& name);
  // Asks each hop with PathTrackReq, starting at the bootstrap peer, until a
  // hop says it is responsible itself; at most `maxHops` peers, none twice.
  PathTrace pathTrack(const NodeId& target, int maxHops);

  const ClientOptions& options() const { return options_; }

 private:
  using Clock = std::chrono::steady_clock;
  struct Answer {
    Message message;
    double rttMs = 0;
  };
  // One request to one peer on its own connected socket (so that ICMP
  // port-unreachable surfaces as refused), retransmitted with a fresh
  // transaction per attempt until `deadline`.
  core::Expected<Answer> ask(const Endpoint& to, Body body, Clock::time_point deadline);
  ClientOp runOp(const std::function<void(ChordPeer&, std::function<void(const OpResult&)>,
                                          std::int64_t)>& start);
  // Runs the io_context until `done` holds or `deadline` passes.
  void runUntil(const std::function<bool()>& done, Clock::time_point deadline);
  std::uint64_t answersReceived() const;

  ClientOptions options_;
  std::chrono::milliseconds attemptTimeout_;
  boost::asio::io_context io_;  // before host_: the host closes its sockets first
  UdpHost host_{io_};
  ChordPeer* peer_ = nullptr;
  std::uint64_t nextTransaction_;
};

}  // namespace p2pmon::overlay
