#include "tests/support/sim_network.hpp"

#include <algorithm>

namespace p2pmon::test {

using overlay::ChordPeer;
using overlay::Endpoint;

SimNetwork::SimNetwork(std::uint64_t seed, std::int64_t latencyMs)
    : rng_(seed), latencyMs_(latencyMs) {}

overlay::PeerConfig SimNetwork::config(const std::string& overlayName) {
  overlay::PeerConfig c;
  c.overlay = overlayName;
  c.id = core::NodeId{rng_(), rng_()};
  return c;
}

ChordPeer& SimNetwork::add(overlay::PeerConfig config, std::vector<Endpoint> bootstrap) {
  const std::size_t index = nodes_.size();
  config.endpoint = Endpoint::v4(0x0a000000u + static_cast<std::uint32_t>(index + 1), 4000);
  byEndpoint_[config.endpoint] = index;
  nodes_.push_back({std::make_unique<ChordPeer>(config, now_), true});
  armed_.push_back(0);
  nodes_.back().peer->start(std::move(bootstrap), now_);
  pushOutgoing(index);
  schedule(index);
  return *nodes_.back().peer;
}

void SimNetwork::kill(ChordPeer& peer) {
  nodes_[byEndpoint_.at(peer.config().endpoint)].alive = false;
}

void SimNetwork::leave(ChordPeer& peer) {
  std::size_t i = byEndpoint_.at(peer.config().endpoint);
  peer.leave(now_);
  pushOutgoing(i);
  nodes_[i].alive = false;
}

void SimNetwork::inject(const Endpoint& from, const Endpoint& to, std::vector<std::uint8_t> bytes) {
  events_.push({now_ + latencyMs_, seq_++, byEndpoint_.at(to), true, from, std::move(bytes)});
}

void SimNetwork::flush(ChordPeer& peer) {
  std::size_t i = byEndpoint_.at(peer.config().endpoint);
  pushOutgoing(i);
  schedule(i);
}

ChordPeer* SimNetwork::at(const Endpoint& ep) {
  auto it = byEndpoint_.find(ep);
  return it == byEndpoint_.end() ? nullptr : nodes_[it->second].peer.get();
}

std::vector<ChordPeer*> SimNetwork::alive() {
  std::vector<ChordPeer*> out;
  for (auto& n : nodes_) {
    if (n.alive) out.push_back(n.peer.get());
  }
  return out;
}

void SimNetwork::pushOutgoing(std::size_t node) {
  for (auto& out : nodes_[node].peer->takeOutgoing()) {
    auto it = byEndpoint_.find(out.to);
    if (it == byEndpoint_.end()) continue;  // nobody there: lost
    // Latency with a little jitter so that events do not line up exactly.
    std::int64_t delay = latencyMs_ + static_cast<std::int64_t>(rng_() % 3);
    events_.push({now_ + delay, seq_++, it->second, true, nodes_[node].peer->config().endpoint,
                  std::move(out.bytes)});
  }
}

void SimNetwork::schedule(std::size_t node) {
  if (!nodes_[node].alive) return;
  std::int64_t t = nodes_[node].peer->nextDeadline();
  if (t == std::numeric_limits<std::int64_t>::max()) return;
  t = std::max(t, now_);
  if (armed_[node] == t) return;  // already queued for that time
  armed_[node] = t;
  events_.push({t, seq_++, node, false, {}, {}});
}

void SimNetwork::runFor(std::int64_t ms) { runUntil(now_ + ms); }

void SimNetwork::runUntil(std::int64_t t) {
  while (!events_.empty() && events_.top().time <= t) {
    Event e = events_.top();
    events_.pop();
    now_ = e.time;
    Node& n = nodes_[e.node];
    if (!n.alive) continue;
    if (e.delivery) {
      ++delivered_;
      n.peer->receive(e.from, e.bytes, now_);
    } else {
      if (armed_[e.node] != e.time) continue;  // superseded by an earlier arming
      armed_[e.node] = 0;
      n.peer->tick(now_);
    }
    pushOutgoing(e.node);
    schedule(e.node);
  }
  now_ = t;
}

std::vector<ChordPeer*> sortedRing(std::vector<ChordPeer*> peers) {
  std::sort(peers.begin(), peers.end(),
            [](ChordPeer* a, ChordPeer* b) { return a->config().id < b->config().id; });
  return peers;
}

std::size_t wrongPointers(const std::vector<ChordPeer*>& ring) {
  std::size_t wrong = 0;
  const std::size_t n = ring.size();
  for (std::size_t i = 0; i < n; ++i) {
    const auto& t = ring[i]->table();
    const auto& succ = ring[(i + 1) % n]->config().id;
    const auto& pred = ring[(i + n - 1) % n]->config().id;
    bool ok = !t.successors().empty() && t.successors().front().id == succ &&
              !t.predecessors().empty() && t.predecessors().front().id == pred;
    wrong += ok ? 0 : 1;
  }
  return wrong;
}

}  // namespace p2pmon::test
