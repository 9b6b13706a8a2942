// An in-memory network with a fake clock that drives many ChordPeer engines
// in one process, deterministically (same seed, same run): datagrams are
// delivered after a latency, timers fire in time order, killed peers go
// silent. This is how a 1,000-peer ring runs inside a unit test.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <queue>
#include <random>
#include <vector>

#include "overlay-agent/chord_peer.hpp"

namespace p2pmon::test {

class SimNetwork {
 public:
  explicit SimNetwork(std::uint64_t seed, std::int64_t latencyMs = 5);

  // Adds a peer at a fresh address and starts it (bootstrap empty: new overlay).
  overlay::ChordPeer& add(overlay::PeerConfig config, std::vector<overlay::Endpoint> bootstrap);
  overlay::PeerConfig config(const std::string& overlayName = "sim") ;  // random Node-ID
  void kill(overlay::ChordPeer& peer);  // silent from now on (a crash)
  void leave(overlay::ChordPeer& peer);  // graceful leave, then gone
  // Delivers raw bytes to a peer as if sent from `from` (malformed-input tests).
  void inject(const overlay::Endpoint& from, const overlay::Endpoint& to,
              std::vector<std::uint8_t> bytes);

  void runFor(std::int64_t ms);
  void runUntil(std::int64_t t);
  std::int64_t now() const { return now_; }
  std::uint64_t delivered() const { return delivered_; }

  std::vector<overlay::ChordPeer*> alive();
  overlay::ChordPeer* at(const overlay::Endpoint& ep);
  std::mt19937_64& rng() { return rng_; }
  // After calling into a peer's API from a test: queue what it sent.
  void flush(overlay::ChordPeer& peer);

 private:
  struct Node {
    std::unique_ptr<overlay::ChordPeer> peer;
    bool alive = true;
  };
  struct Event {
    std::int64_t time;
    std::uint64_t seq;
    std::size_t node;       // timer target or delivery target
    bool delivery;
    overlay::Endpoint from;
    std::vector<std::uint8_t> bytes;
    bool operator>(const Event& o) const { return time != o.time ? time > o.time : seq > o.seq; }
  };
  void schedule(std::size_t node);
  void pushOutgoing(std::size_t node);

  std::mt19937_64 rng_;
  std::int64_t latencyMs_;
  std::int64_t now_ = 1'700'000'000'000;
  std::uint64_t seq_ = 0;
  std::uint64_t delivered_ = 0;
  std::vector<Node> nodes_;
  std::map<overlay::Endpoint, std::size_t> byEndpoint_;
  std::priority_queue<Event, std::vector<Event>, std::greater<>> events_;
  std::vector<std::int64_t> armed_;  // the timer time queued per node
};

// The ring as it should be: live peers sorted by Node-ID.
std::vector<overlay::ChordPeer*> sortedRing(std::vector<overlay::ChordPeer*> peers);
// Peers whose first successor and predecessor are not the true neighbours.
std::size_t wrongPointers(const std::vector<overlay::ChordPeer*>& ring);

}  // namespace p2pmon::test
