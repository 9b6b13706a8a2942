#include "probes/ring_analysis.hpp"

#include "core/churn.hpp"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

namespace p2pmon::probes::ring {

namespace {

using IdSet = std::unordered_set<NodeId, core::NodeIdHash>;

// The reachable peers in Node-ID order, and who is where.
class Ring {
 public:
  explicit Ring(std::vector<NodeId> ids) : ids_(std::move(ids)) {
    std::sort(ids_.begin(), ids_.end());
    for (std::size_t i = 0; i < ids_.size(); ++i) at_[ids_[i]] = i;
  }
  std::size_t size() const { return ids_.size(); }
  const std::vector<NodeId>& ids() const { return ids_; }
  std::size_t indexOf(const NodeId& id) const { return at_.at(id); }
  const NodeId& next(std::size_t i, std::size_t steps = 1) const {
    return ids_[(i + steps) % ids_.size()];
  }
  const NodeId& prev(std::size_t i) const { return ids_[(i + ids_.size() - 1) % ids_.size()]; }
  // The first peer at or after x, clockwise (who is responsible for x).
  std::size_t successorOf(const NodeId& x) const {
    auto it = std::lower_bound(ids_.begin(), ids_.end(), x);
    return it == ids_.end() ? 0 : static_cast<std::size_t>(it - ids_.begin());
  }

 private:
  std::vector<NodeId> ids_;
  std::unordered_map<NodeId, std::size_t, core::NodeIdHash> at_;
};

template <class T>
void sample(std::vector<T>& list, T item) {
  if (list.size() < kMaxListed) list.push_back(std::move(item));
}

// Sizes of the cycles that "first reachable successor" forms.
std::vector<std::size_t> cycles(const Ring& ring, const std::vector<std::optional<std::size_t>>& next) {
  std::vector<int> state(ring.size(), 0);  // 0 new, 1 on the current walk, 2 done
  std::vector<std::size_t> out;
  for (std::size_t start = 0; start < ring.size(); ++start) {
    std::vector<std::size_t> walk;
    std::optional<std::size_t> at = start;
    while (at && state[*at] == 0) {
      state[*at] = 1;
      walk.push_back(*at);
      at = next[*at];
    }
    if (at && state[*at] == 1) {  // closed a new cycle at *at
      const auto from = std::find(walk.begin(), walk.end(), *at);
      out.push_back(static_cast<std::size_t>(walk.end() - from));
    }
    for (auto w : walk) state[w] = 2;
  }
  std::sort(out.rbegin(), out.rend());
  return out;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace

bool RingReport::consistent() const {
  return reachable > 0 && rings.size() == 1 && rings[0] == reachable &&
         successorDisagreements == 0 && predecessorDisagreements == 0 && danglingNeighbours == 0;
}

RingReport analyse(const std::vector<CrawledPeer>& input, const std::vector<ReplicaSample>& samples,
                   const std::optional<PreviousCrawl>& previous) {
  // One entry per Node-ID; a reachable observation wins over an unreachable one.
  std::unordered_map<NodeId, const CrawledPeer*, core::NodeIdHash> byId;
  for (const auto& p : input) {
    auto [it, fresh] = byId.emplace(p.id, &p);
    if (!fresh && !it->second->reachable && p.reachable) it->second = &p;
  }
  RingReport r;
  r.found = byId.size();
  std::vector<NodeId> live;
  for (const auto& [id, p] : byId)
    if (p->reachable) live.push_back(id);
  const Ring ring(std::move(live));
  r.reachable = ring.size();
  r.ring = ring.ids();
  if (ring.size() == 0) return r;

  auto isLive = [&](const NodeId& id) {
    auto it = byId.find(id);
    return it != byId.end() && it->second->reachable;
  };
  auto isDead = [&](const NodeId& id) {
    auto it = byId.find(id);
    return it != byId.end() && !it->second->reachable;
  };

  IdSet referenced;
  std::vector<std::optional<std::size_t>> firstLiveSuccessor(ring.size());
  std::vector<double> estimates;
  for (std::size_t i = 0; i < ring.size(); ++i) {
    const NodeId& n = ring.ids()[i];
    const CrawledPeer& p = *byId.at(n);

    const auto says = p.successors.empty() ? std::nullopt : std::optional(p.successors.front());
    if (says != ring.next(i)) {
      ++r.successorDisagreements;
      sample(r.successorSamples, Disagreement{n, says, ring.next(i)});
    }
    const auto pred = p.predecessors.empty() ? std::nullopt : std::optional(p.predecessors.front());
    if (pred != ring.prev(i)) {
      ++r.predecessorDisagreements;
      sample(r.predecessorSamples, Disagreement{n, pred, ring.prev(i)});
    }

    for (const auto* list : {&p.successors, &p.predecessors, &p.fingers}) {
      const char* name = list == &p.successors ? "successor"
                         : list == &p.predecessors ? "predecessor" : "finger";
      for (const auto& to : *list) {
        if (to != n) referenced.insert(to);
        if (!isDead(to)) continue;
        ++r.danglingPointers;
        if (list != &p.fingers) ++r.danglingNeighbours;
        sample(r.danglingSamples, Pointer{n, to, name});
      }
    }

    // Successor list: entry j should be the (j+1)-th next reachable peer.
    if (!p.successors.empty()) {
      ++r.successorLists;
      const std::size_t checkable = std::min(p.successors.size(), ring.size() - 1);
      for (std::size_t j = 0; j < checkable; ++j)
        if (p.successors[j] != ring.next(i, j + 1)) ++r.successorListGaps;
      const double span = core::ringFraction(n, p.successors.back());
      if (span > 0) estimates.push_back(static_cast<double>(p.successors.size()) / span);
    }
    for (const auto& s : p.successors) {
      if (isLive(s)) {
        firstLiveSuccessor[i] = ring.indexOf(s);
        break;
      }
    }

    // Fingers: accurate when the true successor of some n + 2^k.
    IdSet truth;
    for (int k = 0; k < 128; ++k) truth.insert(ring.ids()[ring.successorOf(n + NodeId::powerOfTwo(k))]);
    for (const auto& f : p.fingers) {
      ++r.fingers;
      if (truth.count(f) != 0) ++r.fingersAccurate;
    }
  }
  r.rings = cycles(ring, firstLiveSuccessor);
  for (const auto& n : ring.ids())
    if (ring.size() > 1 && referenced.count(n) == 0) r.unreferenced.push_back(n);
  r.sizeEstimate = median(std::move(estimates));
  if (r.sizeEstimate == 0) r.sizeEstimate = static_cast<double>(ring.size());

  for (const auto& s : samples) {
    ReplicaCount c;
    c.key = s.key;
    const std::size_t first = ring.successorOf(s.key);
    c.responsible = ring.ids()[first];
    c.expected = std::min(kReplicas, ring.size());
    const IdSet holders(s.holders.begin(), s.holders.end());
    for (std::size_t j = 0; j < c.expected; ++j)
      if (holders.count(ring.next(first, j)) != 0) ++c.present;
    r.replicas.push_back(c);
  }

  if (previous) {
    r.churnKnown = true;
    std::vector<core::UptimePeer> before, now;
    for (const auto& p : previous->peers) before.push_back({p.id, p.uptimeS});
    for (const auto& n : ring.ids()) now.push_back({n, byId.at(n)->uptimeS});
    auto c = core::compareCrawls(before, now, previous->ageS);
    r.joined = std::move(c.joined);
    r.left = std::move(c.left);
    r.restarted = std::move(c.restarted);
  }
  return r;
}

}  // namespace p2pmon::probes::ring
