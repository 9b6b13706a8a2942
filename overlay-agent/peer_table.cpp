#include "overlay-agent/peer_table.hpp"

#include <algorithm>

namespace p2pmon::overlay {

PeerTable::PeerTable(PeerRef self, std::size_t successors, std::size_t predecessors,
                     std::size_t fingers)
    : self_(std::move(self)), maxSuccs_(successors), maxPreds_(predecessors), fingers_(fingers) {}

NodeId PeerTable::fingerStart(std::size_t i) const {
  return self_.id + NodeId::powerOfTwo(127 - static_cast<int>(i));
}

std::vector<PeerRef> PeerTable::distinctFingers() const {
  std::vector<PeerRef> out;
  for (const auto& f : fingers_) {
    if (f && std::none_of(out.begin(), out.end(), [&](const PeerRef& p) { return p.id == f->id; })) {
      out.push_back(*f);
    }
  }
  return out;
}

std::size_t PeerTable::size() const {
  std::vector<NodeId> ids;
  for (const auto& p : succs_) ids.push_back(p.id);
  for (const auto& p : preds_) ids.push_back(p.id);
  for (const auto& f : fingers_) {
    if (f) ids.push_back(f->id);
  }
  std::sort(ids.begin(), ids.end());
  return static_cast<std::size_t>(std::unique(ids.begin(), ids.end()) - ids.begin());
}

namespace {
// Merges `more` into `list`, ordered by `distance` from self, no duplicates,
// at most `max` entries. A newer endpoint for a known id replaces the old.
template <class Distance>
void mergeOrdered(std::vector<PeerRef>& list, const std::vector<PeerRef>& more, const PeerRef& self,
                  std::size_t max, Distance distance) {
  for (const auto& p : more) {
    if (p.id == self.id) continue;
    auto it = std::find_if(list.begin(), list.end(), [&](const PeerRef& q) { return q.id == p.id; });
    if (it != list.end()) {
      it->endpoint = p.endpoint;
      continue;
    }
    list.push_back(p);
  }
  std::sort(list.begin(), list.end(),
            [&](const PeerRef& a, const PeerRef& b) { return distance(a.id) < distance(b.id); });
  if (list.size() > max) list.resize(max);
}
}  // namespace

void PeerTable::learnSuccessors(const std::vector<PeerRef>& candidates) {
  mergeOrdered(succs_, candidates, self_, maxSuccs_,
               [&](const NodeId& id) { return id - self_.id; });
}

void PeerTable::learnPredecessors(const std::vector<PeerRef>& candidates) {
  mergeOrdered(preds_, candidates, self_, maxPreds_,
               [&](const NodeId& id) { return self_.id - id; });
}

bool PeerTable::considerSuccessor(const PeerRef& candidate) {
  if (candidate.id == self_.id) return false;
  if (!succs_.empty() && !betweenOpen(candidate.id, self_.id, succs_.front().id)) return false;
  learnSuccessors({candidate});
  return true;
}

bool PeerTable::considerPredecessor(const PeerRef& candidate) {
  if (candidate.id == self_.id) return false;
  if (!preds_.empty() && !betweenOpen(candidate.id, preds_.front().id, self_.id)) return false;
  learnPredecessors({candidate});
  return true;
}

void PeerTable::setSuccessors(std::vector<PeerRef> list) {
  succs_.clear();
  learnSuccessors(list);
}

void PeerTable::setPredecessors(std::vector<PeerRef> list) {
  preds_.clear();
  learnPredecessors(list);
}

void PeerTable::setFinger(std::size_t i, const PeerRef& peer) {
  if (i < fingers_.size()) {
    fingers_[i] = peer.id == self_.id ? std::nullopt : std::optional<PeerRef>(peer);
  }
}

bool PeerTable::remove(const NodeId& id) {
  bool known = false;
  auto drop = [&](std::vector<PeerRef>& v) {
    auto end = std::remove_if(v.begin(), v.end(), [&](const PeerRef& p) { return p.id == id; });
    known |= end != v.end();
    v.erase(end, v.end());
  };
  drop(succs_);
  drop(preds_);
  for (auto& f : fingers_) {
    if (f && f->id == id) {
      f.reset();
      known = true;
    }
  }
  return known;
}

bool PeerTable::isResponsible(const NodeId& id) const {
  if (preds_.empty()) return true;  // alone, or not yet told: everything is ours
  return betweenRightClosed(id, preds_.front().id, self_.id);
}

bool PeerTable::isWithinReplicaRange(const NodeId& id, std::size_t k) const {
  // With fewer than k predecessors known the ring is small: keep everything.
  if (preds_.size() < k) return true;
  return betweenRightClosed(id, preds_[k - 1].id, self_.id);
}

std::optional<PeerRef> PeerTable::responsibleIfNext(const NodeId& target) const {
  if (succs_.empty()) return std::nullopt;
  if (betweenRightClosed(target, self_.id, succs_.front().id)) return succs_.front();
  return std::nullopt;
}

std::optional<PeerRef> PeerTable::closestPreceding(const NodeId& target) const {
  std::optional<PeerRef> best;
  auto consider = [&](const PeerRef& p) {
    if (!betweenOpen(p.id, self_.id, target)) return;
    // Closest preceding: the largest clockwise step from self still before target.
    if (!best || betweenOpen(p.id, best->id, target)) best = p;
  };
  for (const auto& f : fingers_) {
    if (f) consider(*f);
  }
  for (const auto& s : succs_) consider(s);
  return best;
}

}  // namespace p2pmon::overlay
