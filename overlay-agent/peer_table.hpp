// The Chord routing state of one peer (RFC 6940 §10.3: neighbour table =
// successor and predecessor lists, plus the finger table). Pure: no I/O,
// no clock; the engine feeds it what it learns and asks it for next hops.
#pragma once

#include <optional>
#include <vector>

#include "overlay-agent/messages.hpp"

namespace p2pmon::overlay {

class PeerTable {
 public:
  PeerTable(PeerRef self, std::size_t successors, std::size_t predecessors, std::size_t fingers);

  const PeerRef& self() const { return self_; }
  const std::vector<PeerRef>& successors() const { return succs_; }
  const std::vector<PeerRef>& predecessors() const { return preds_; }
  const std::vector<std::optional<PeerRef>>& fingers() const { return fingers_; }
  std::size_t fingerCount() const { return fingers_.size(); }
  // Where finger i points: self + 2^(127 - i) (finger 0 is half the ring away).
  NodeId fingerStart(std::size_t i) const;
  std::vector<PeerRef> distinctFingers() const;
  std::size_t size() const;  // distinct peers known (routing table size)

  // Merges candidates into the successor list (nearest clockwise first) and
  // the predecessor list (nearest counter-clockwise first). Self is ignored.
  void learnSuccessors(const std::vector<PeerRef>& candidates);
  void learnPredecessors(const std::vector<PeerRef>& candidates);
  // Gossip: a candidate enters only as the new first successor (or
  // predecessor), i.e. only when it is closer than the current one. Such a
  // peer is contacted in the next round, so a dead one is found out at once
  // instead of lingering deeper in the list. Returns true when taken.
  bool considerSuccessor(const PeerRef& candidate);
  bool considerPredecessor(const PeerRef& candidate);
  // Replaces the lists outright (join: the admitting peer's view).
  void setSuccessors(std::vector<PeerRef> list);
  void setPredecessors(std::vector<PeerRef> list);
  void setFinger(std::size_t i, const PeerRef& peer);
  // Drops a peer everywhere (failed or left). Returns true when it was known.
  bool remove(const NodeId& id);

  // Responsibility: this peer stores ids in (predecessor, self].
  bool isResponsible(const NodeId& id) const;
  // True when id is in (predecessors[k-1], self]: this peer is the
  // responsible peer or one of the next `k-1` peers after it.
  bool isWithinReplicaRange(const NodeId& id, std::size_t k) const;
  // The known peer that most closely precedes `target` (Chord's
  // closest_preceding_node over fingers and successors); nullopt: none, the
  // target falls to our successor.
  std::optional<PeerRef> closestPreceding(const NodeId& target) const;
  // When target is in (self, successor]: the successor (responsible peer).
  std::optional<PeerRef> responsibleIfNext(const NodeId& target) const;

 private:
  PeerRef self_;
  std::size_t maxSuccs_;
  std::size_t maxPreds_;
  std::vector<PeerRef> succs_;
  std::vector<PeerRef> preds_;
  std::vector<std::optional<PeerRef>> fingers_;
};

}  // namespace p2pmon::overlay
