#include "probes/replica_sample.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <deque>
#include <map>
#include <random>
#include <set>
#include <unordered_map>

#include "overlay-agent/overlay_client.hpp"  // resolveEndpoint
#include "overlay-agent/peer_options.hpp"    // randomNodeId
#include "overlay-agent/wire_codec.hpp"
#include "probes/udp4_socket.hpp"

namespace p2pmon::probes {

std::vector<overlay::StoredKey> pickSampleKeys(const std::vector<ChordPeerVisit>& visits,
                                               std::size_t max, std::uint64_t seed) {
  std::vector<const ChordPeerVisit*> reporters;
  for (const auto& v : visits)
    if (v.peer.reachable && !v.storedKeys.empty()) reporters.push_back(&v);
  std::mt19937_64 rng(seed);
  std::shuffle(reporters.begin(), reporters.end(), rng);
  std::vector<overlay::StoredKey> out;
  std::set<std::pair<core::NodeId, overlay::RecordKind>> seen;
  for (std::size_t round = 0; out.size() < max && round < overlay::kMaxStoredKeys; ++round) {
    bool any = false;
    for (const auto* v : reporters) {
      if (out.size() >= max) break;
      if (round >= v->storedKeys.size()) continue;
      any = true;
      const auto& k = v->storedKeys[round];
      if (seen.insert({k.resource, k.kind}).second) out.push_back(k);
    }
    if (!any) break;
  }
  return out;
}

std::vector<std::pair<core::NodeId, std::size_t>> ringOrder(const std::vector<ChordPeerVisit>& visits) {
  std::vector<std::pair<core::NodeId, std::size_t>> ring;
  std::set<core::NodeId> ids;
  for (std::size_t i = 0; i < visits.size(); ++i)
    if (visits[i].peer.reachable && ids.insert(visits[i].peer.id).second) ring.emplace_back(visits[i].peer.id, i);
  std::sort(ring.begin(), ring.end());
  return ring;
}

std::vector<std::size_t> expectedHolders(const std::vector<std::pair<core::NodeId, std::size_t>>& ring,
                                         const core::NodeId& key) {
  std::vector<std::size_t> out;
  if (ring.empty()) return out;
  auto it = std::lower_bound(ring.begin(), ring.end(), key,
                             [](const auto& e, const core::NodeId& k) { return e.first < k; });
  std::size_t first = it == ring.end() ? 0 : static_cast<std::size_t>(it - ring.begin());
  for (std::size_t j = 0; j < std::min(ring::kReplicas, ring.size()); ++j)
    out.push_back(ring[(first + j) % ring.size()].second);
  return out;
}

ReplicaSampling sampleReplicas(const ReplicaSampleOptions& o, const std::vector<ChordPeerVisit>& visits) {
  using Clock = std::chrono::steady_clock;
  ReplicaSampling out;
  const auto keys = pickSampleKeys(visits, o.keys, o.seed);
  if (keys.empty()) return out;
  const auto ring = ringOrder(visits);

  struct Ask {
    std::size_t sample;
    overlay::Endpoint to;
    core::NodeId holder;
    int attempts = 0;
  };
  std::deque<Ask> queue;
  for (const auto& k : keys) {
    out.samples.push_back({k.resource, {}});
    for (auto i : expectedHolders(ring, k.resource)) {
      auto ep = overlay::resolveEndpoint(visits[i].peer.address);
      if (!ep) {
        ++out.unanswered;
        continue;
      }
      queue.push_back({out.samples.size() - 1, *ep, visits[i].peer.id});
    }
  }

  Udp4Socket sock;
  const std::uint32_t overlayHash = overlay::overlayHash(o.overlay);
  overlay::Message req;
  req.header.overlay = overlayHash;
  req.header.sender = overlay::randomNodeId();
  req.header.ttl = 1;
  req.header.code = overlay::MessageCode::FetchReq;
  std::uint64_t nextTransaction = std::random_device{}();
  struct InFlight {
    Ask ask;
    Clock::time_point deadline;
  };
  std::unordered_map<std::uint64_t, InFlight> inFlight;
  std::array<std::uint8_t, 65536> buf{};
  auto kindOf = [&](std::size_t sample) {
    for (const auto& k : keys)
      if (k.resource == out.samples[sample].key) return k.kind;
    return overlay::RecordKind::UserLocation;
  };

  while (!queue.empty() || !inFlight.empty()) {
    auto now = Clock::now();
    while (!queue.empty() && inFlight.size() < o.concurrency) {
      Ask a = queue.front();
      queue.pop_front();
      ++a.attempts;
      req.header.transaction = nextTransaction++;
      req.body = overlay::FetchReq{out.samples[a.sample].key, kindOf(a.sample)};
      ++out.requests;
      if (!sock.send(a.to, overlay::encode(req))) {
        ++out.unanswered;
        continue;
      }
      inFlight.emplace(req.header.transaction, InFlight{a, now + o.timeout});
    }
    pollfd p{sock.fd(), POLLIN, 0};
    if (::poll(&p, 1, 20) == 1) {
      for (int i = 0; i < 256; ++i) {
        const auto n = ::recv(sock.fd(), buf.data(), buf.size(), 0);
        if (n < 0) break;
        auto m = overlay::decode(std::span<const std::uint8_t>(buf.data(), static_cast<std::size_t>(n)),
                                 overlayHash);
        if (!m) continue;
        auto it = inFlight.find(m->header.transaction);
        if (it == inFlight.end()) continue;
        const auto* ans = std::get_if<overlay::FetchAns>(&m->body);
        if (ans != nullptr && !ans->records.empty())
          out.samples[it->second.ask.sample].holders.push_back(it->second.ask.holder);
        inFlight.erase(it);  // an ErrorAns or an empty answer: no copy there
      }
    }
    now = Clock::now();
    for (auto it = inFlight.begin(); it != inFlight.end();) {
      if (it->second.deadline > now) {
        ++it;
        continue;
      }
      if (it->second.ask.attempts < o.attempts) {
        queue.push_back(it->second.ask);
      } else {
        ++out.unanswered;
      }
      it = inFlight.erase(it);
    }
  }
  return out;
}

}  // namespace p2pmon::probes
