// The Chord engine of one overlay peer (RFC 6940 §10 CHORD-RELOAD,
// simplified): join through a bootstrap and an admitting peer, periodic
// stabilisation, predecessor checks, finger repair, failure detection by
// timeouts and retries, replication to two successors, graceful leave, and
// the overlay API (lookup, put, get). Sans-I/O: it takes datagrams, timer
// ticks and the time, and leaves datagrams to send in an outbox; the same
// engine runs on UDP sockets (udp_host.hpp) and in the simulation.
// Routing is iterative: the origin asks one peer per step (docs/protocol.md).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "overlay-agent/messages.hpp"
#include "overlay-agent/peer_table.hpp"
#include "overlay-agent/record_store.hpp"

namespace p2pmon::overlay {

struct PeerConfig {
  std::string overlay = "p2pmon";
  NodeId id;
  Endpoint endpoint;
  bool client = false;  // only asks (probes, tools): never joins, routes or stores
  std::size_t successors = 4;
  std::size_t predecessors = 3;
  std::size_t fingers = 16;
  std::int64_t stabilizeMs = 1000;
  std::int64_t fixFingersMs = 500;
  std::int64_t checkPredecessorMs = 2000;
  std::int64_t replicateMs = 5000;
  std::int64_t requestTimeoutMs = 300;  // per attempt
  int attempts = 3;                     // tries before a peer counts as failed
  int maxHops = 32;                     // lookup TTL
  std::int64_t failedMemoryMs = 30000;  // a failed peer is not re-learnt from gossip for this long
  std::string softwareVersion = "p2pmon";
  std::uint16_t sipPort = 0;
  std::uint16_t stunPort = 0;
  std::uint16_t rtpPort = 0;
};

// Replication sends an unchanged store again after this many rounds
// (a lost Store is retried by its request; this heals anything else).
inline constexpr std::int64_t kReplicaRefreshRounds = 12;

struct Outgoing {
  Endpoint to;
  std::vector<std::uint8_t> bytes;
};

// Stable error codes of the overlay API: timeout, not_found, ttl_exceeded,
// loop, no_route, refused (an Error answer), not_joined.
struct LookupResult {
  bool ok = false;
  std::string error;
  PeerRef responsible;
  std::vector<PeerRef> successors;  // after the responsible peer
  std::vector<PeerRef> path;        // peers asked, in order
  int hops = 0;
  std::int64_t latencyMs = 0;
};

struct OpResult {
  bool ok = false;
  std::string error;
  std::optional<Record> record;  // get: the live entries found
  PeerRef responsible;           // the peer that answered
  int hops = 0;
  std::int64_t latencyMs = 0;
};

struct PeerStats {
  std::array<std::uint64_t, kMessageCodes> sent{};
  std::array<std::uint64_t, kMessageCodes> received{};
  std::map<std::string, std::uint64_t> dropped;  // by decode error or reason
  std::uint64_t timeouts = 0;
  std::uint64_t retransmissions = 0;
  std::uint64_t stabilizations = 0;
};

class ChordPeer {
 public:
  ChordPeer(PeerConfig config, std::int64_t nowMs);

  // No bootstrap: a new overlay. Otherwise joins through the first bootstrap
  // that answers (retried every stabilisation interval until joined).
  void start(std::vector<Endpoint> bootstrap, std::int64_t nowMs);
  void receive(const Endpoint& from, std::span<const std::uint8_t> bytes, std::int64_t nowMs);
  void tick(std::int64_t nowMs);
  std::int64_t nextDeadline() const;
  std::vector<Outgoing> takeOutgoing();
  // The same into a vector the caller reuses (cleared first): the outbox
  // takes over its capacity, so a busy host allocates no new outboxes.
  void takeOutgoing(std::vector<Outgoing>& into);
  bool hasOutgoing() const { return !outbox_.empty(); }

  // The overlay API. Callbacks run inside receive()/tick()/the call itself.
  void lookup(const NodeId& target, std::function<void(const LookupResult&)> done,
              std::int64_t nowMs);
  // Stores the record's entries (add, update; exists=false removes).
  void put(const Record& record, std::function<void(const OpResult&)> done, std::int64_t nowMs);
  void get(RecordKind kind, const std::string& name, std::function<void(const OpResult&)> done,
           std::int64_t nowMs);
  // Diagnostics of a remote peer (for probes) and a path track to a target.
  void diagnose(const Endpoint& peer, std::uint64_t flags,
                std::function<void(const std::optional<DiagAns>&)> done, std::int64_t nowMs);
  // Graceful leave: data to the successor, Leave to the neighbours.
  void leave(std::int64_t nowMs);

  bool joined() const { return joined_; }
  bool left() const { return left_; }
  const PeerTable& table() const { return table_; }
  const RecordStore& store() const { return store_; }
  const PeerStats& stats() const { return stats_; }
  const PeerConfig& config() const { return config_; }
  std::uint32_t overlayHash() const { return overlayHash_; }
  DiagAns diagnostics(std::uint64_t flags, std::int64_t nowMs) const;

 private:
  using Continuation = std::function<void(const Message*)>;  // nullptr: timed out
  struct Pending {
    Endpoint to;
    NodeId peer;  // zero when unknown (a bootstrap address)
    // Kept to encode again on a retransmission, which is rare: cheaper than
    // a copy of the datagram for every request.
    Message request;
    int attemptsLeft = 0;
    std::int64_t deadline = 0;
    Continuation done;
  };
  struct LookupOp {
    NodeId target;
    std::function<void(const LookupResult&)> done;
    std::vector<NodeId> visited;  // at most maxHops: a scan beats a tree's allocations
    PeerRef asking;               // the peer of the step in flight
    std::vector<PeerRef> path;
    int hops = 0;
    int restarts = 0;
    std::int64_t started = 0;
  };

  // chord_peer.cpp: transport, dispatch, request handlers.
  void sendRequest(const PeerRef& to, Body body, Continuation done, std::int64_t nowMs);
  void reply(const Endpoint& to, std::uint64_t transaction, Body body);
  void emit(const Endpoint& to, const Message& m);
  void handleRequest(const Endpoint& from, const Message& m, std::int64_t nowMs);
  FindAns findStep(const NodeId& target) const;
  void onJoinReq(const PeerRef& joiner, std::uint64_t tx, std::int64_t nowMs);
  void onUpdateReq(const PeerRef& from, const UpdateReq& req, std::uint64_t tx, std::int64_t nowMs);
  void onStoreReq(const Endpoint& from, const StoreReq& req, std::uint64_t tx, std::int64_t nowMs);
  std::uint32_t storeLocally(const StoreReq& req, std::int64_t nowMs);  // merge + replicate
  void onLeaveReq(const PeerRef& from, const LeaveReq& req, std::uint64_t tx, std::int64_t nowMs);
  void expireRequests(std::int64_t nowMs);
  void dropStaleDeadlines();  // answered requests' entries at the front of deadlines_

  // chord_ops.cpp: iterative lookup and the operations built on it.
  void lookupFrom(LookupOp op, const PeerRef& ask, std::int64_t nowMs);
  void lookupLocal(LookupOp op, std::int64_t nowMs);
  void lookupStep(std::uint32_t slot, const Message* m);
  void fetchFrom(std::vector<PeerRef> holders, FetchReq req, LookupResult route,
                 std::function<void(const OpResult&)> done, std::int64_t started,
                 std::int64_t nowMs);

  // chord_maintenance.cpp: join, stabilisation, fingers, replication, failures.
  void tryJoin(std::int64_t nowMs);
  void stabilize(std::int64_t nowMs);
  void checkPredecessor(std::int64_t nowMs);
  void fixFinger(std::size_t i, std::int64_t nowMs);
  void replicate(std::int64_t nowMs);
  void sendRecords(const PeerRef& to, std::uint8_t replica, const std::vector<Record>& records,
                   std::int64_t nowMs, std::function<void(bool)> done = nullptr);
  void markFailed(const NodeId& id, std::int64_t nowMs);
  std::vector<PeerRef> withoutFailed(std::vector<PeerRef> peers, std::int64_t nowMs) const;
  void onPredecessorChanged(const std::optional<PeerRef>& before, std::int64_t nowMs);

  PeerConfig config_;
  std::uint32_t overlayHash_;
  PeerTable table_;
  RecordStore store_;
  PeerStats stats_;
  std::int64_t startedMs_;
  std::int64_t lastEventMs_ = 0;  // time of the event being handled (for continuations)
  bool joined_ = false;
  bool joining_ = false;
  bool left_ = false;
  std::vector<Endpoint> bootstrap_;
  std::size_t nextBootstrap_ = 0;
  std::size_t nextFinger_ = 0;
  std::int64_t nextStabilize_ = 0;
  std::int64_t nextFixFinger_ = 0;
  std::int64_t nextCheckPred_ = 0;
  std::int64_t nextReplicate_ = 0;
  // What replicate() last sent to successor i (replicas 1 and 2): it sends
  // again only when the successor, the predecessor (our range) or the
  // store changed, a send failed, or kReplicaRefreshRounds rounds passed.
  struct ReplicaSent {
    NodeId to;
    NodeId predecessor;
    std::uint64_t generation = 0;
    std::int64_t atMs = -1;  // -1: never, or failed
  };
  std::array<ReplicaSent, 2> replicaSent_{};
  std::mt19937_64 rng_;
  std::unordered_map<std::uint64_t, Pending> pending_;
  // A min-heap (std::push_heap, greater) of (deadline, transaction); entries
  // of answered requests stay until due and are skipped then.
  std::vector<std::pair<std::int64_t, std::uint64_t>> deadlines_;
  // Lookups waiting for an answer, by slot: the continuation of a step then
  // captures a slot number, small enough for std::function to keep without
  // an allocation per hop. Freed slots are reused.
  std::vector<LookupOp> lookupSlots_;
  std::vector<std::uint32_t> freeLookupSlots_;
  std::unordered_map<NodeId, std::int64_t, core::NodeIdHash> failedUntil_;
  std::vector<Outgoing> outbox_;
};

}  // namespace p2pmon::overlay
