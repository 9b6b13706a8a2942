// Keeping the ring: join, stabilisation, predecessor checks, finger repair,
// replication and hand-off, failure handling, graceful leave, diagnostics.
#include <algorithm>
#include <memory>

#include "overlay-agent/chord_peer.hpp"
#include "overlay-agent/wire_codec.hpp"

namespace p2pmon::overlay {

namespace {
// Records per Store message: small enough that a message of ordinary
// records stays well inside kMaxMessageSize.
constexpr std::size_t kRecordsPerStore = 8;
}  // namespace

void ChordPeer::tryJoin(std::int64_t nowMs) {
  if (joining_ || joined_ || bootstrap_.empty()) return;
  joining_ = true;
  const Endpoint boot = bootstrap_[nextBootstrap_++ % bootstrap_.size()];
  // Find the admitting peer (the one now responsible for our Node-ID)
  // through the bootstrap, then ask it to let us in.
  LookupOp op;
  op.target = config_.id;
  op.started = nowMs;
  op.done = [this](const LookupResult& route) {
    if (!route.ok || route.responsible.id == config_.id) {
      joining_ = false;  // retried at the next stabilisation tick
      return;
    }
    sendRequest(
        route.responsible, JoinReq{},
        [this, admitting = route.responsible](const Message* m) {
          joining_ = false;
          const auto* ans = m != nullptr ? std::get_if<JoinAns>(&m->body) : nullptr;
          if (ans == nullptr) return;  // refused or timed out: retried later
          table_.setSuccessors(ans->successors);
          table_.setPredecessors(ans->predecessors);
          if (table_.predecessors().empty()) table_.learnPredecessors({admitting});
          joined_ = true;
          // Tell the predecessor at once instead of waiting for its round,
          // then fill the fingers.
          if (!table_.predecessors().empty()) {
            sendRequest(table_.predecessors().front(),
                        UpdateReq{table_.predecessors(), table_.successors()}, nullptr,
                        lastEventMs_);
          }
          for (std::size_t i = 0; i < table_.fingerCount(); ++i) fixFinger(i, lastEventMs_);
        },
        lastEventMs_);
  };
  lookupFrom(std::move(op), PeerRef{NodeId{}, boot}, nowMs);
}

void ChordPeer::stabilize(std::int64_t nowMs) {
  ++stats_.stabilizations;
  for (auto it = failedUntil_.begin(); it != failedUntil_.end();) {
    it = it->second <= nowMs ? failedUntil_.erase(it) : std::next(it);
  }
  // A finger or predecessor closer than our successor is a better one: this
  // refills a successor list that failures emptied, and mends rings that
  // loop more than once around the identifier space.
  auto known = table_.distinctFingers();
  known.insert(known.end(), table_.predecessors().begin(), table_.predecessors().end());
  for (const auto& p : withoutFailed(std::move(known), nowMs)) table_.considerSuccessor(p);
  if (table_.successors().empty()) return;  // alone in the overlay
  const PeerRef succ = table_.successors().front();
  sendRequest(
      succ, UpdateReq{table_.predecessors(), table_.successors()},
      [this, succ](const Message* m) {
        const std::int64_t now = lastEventMs_;
        const auto* ans = m != nullptr ? std::get_if<UpdateAns>(&m->body) : nullptr;
        if (ans == nullptr) {
          markFailed(succ.id, now);
          return;
        }
        // Chord: the successor's predecessor may be a closer successor; the
        // list is then the successor and the successor's own list.
        std::vector<PeerRef> list{succ};
        for (const auto& p : ans->predecessors) {
          if (betweenOpen(p.id, config_.id, succ.id)) list.push_back(p);
        }
        for (const auto& s : ans->successors) list.push_back(s);
        const auto oldSuccs = table_.successors();
        table_.setSuccessors(withoutFailed(list, now));
        for (const auto& p : withoutFailed(ans->predecessors, now)) table_.considerPredecessor(p);
        auto firstTwo = [](const std::vector<PeerRef>& v) {
          std::vector<NodeId> ids;
          for (std::size_t i = 0; i < v.size() && i < 2; ++i) ids.push_back(v[i].id);
          return ids;
        };
        // New replica holders get our records without waiting for the round.
        if (firstTwo(oldSuccs) != firstTwo(table_.successors())) nextReplicate_ = now;
      },
      nowMs);
}

void ChordPeer::checkPredecessor(std::int64_t nowMs) {
  if (table_.predecessors().empty()) return;
  const PeerRef pred = table_.predecessors().front();
  sendRequest(
      pred, PingReq{},
      [this, pred](const Message* m) {
        if (m == nullptr) {
          auto before = std::optional<PeerRef>(pred);
          markFailed(pred.id, lastEventMs_);
          onPredecessorChanged(before, lastEventMs_);
        }
      },
      nowMs);
}

void ChordPeer::fixFinger(std::size_t i, std::int64_t nowMs) {
  lookup(
      table_.fingerStart(i),
      [this, i](const LookupResult& r) {
        if (r.ok) table_.setFinger(i, r.responsible);
      },
      nowMs);
}

void ChordPeer::sendRecords(const PeerRef& to, std::uint8_t replica,
                            const std::vector<Record>& records, std::int64_t nowMs,
                            std::function<void(bool)> done) {
  if (to.id == config_.id || records.empty()) {
    if (done) done(true);
    return;
  }
  auto remaining = std::make_shared<std::size_t>(0);
  auto allOk = std::make_shared<bool>(true);
  auto finish = [remaining, allOk, done](const Message* m) {
    if (m == nullptr || !std::holds_alternative<StoreAns>(m->body)) *allOk = false;
    if (--*remaining == 0 && done) done(*allOk);
  };
  // Packs records into Store messages that stay within one datagram; a
  // record too large to travel alone is left behind and counted.
  auto fits = [&](const StoreReq& req) {
    Message m;
    m.header.overlay = overlayHash_;
    m.body = req;
    return !validate(m).has_value();
  };
  std::vector<StoreReq> batches;
  StoreReq req{replica, {}};
  for (const auto& r : records) {
    req.records.push_back(r);
    if (req.records.size() <= kRecordsPerStore && fits(req)) continue;
    req.records.pop_back();
    if (!req.records.empty()) batches.push_back(std::move(req));
    req = StoreReq{replica, {r}};
    if (!fits(req)) {
      ++stats_.dropped["record_too_large"];
      req.records.clear();
    }
  }
  if (!req.records.empty()) batches.push_back(std::move(req));
  *remaining = batches.size();
  if (batches.empty() && done) done(false);
  for (auto& b : batches) sendRequest(to, std::move(b), finish, nowMs);
}

void ChordPeer::replicate(std::int64_t nowMs) {
  // Our own range goes to the next two successors (replicas 1 and 2), when
  // something changed since the last send to that successor or a refresh
  // is due: an unchanged store is not sent again every round (a thousand
  // agents' canary records made that a steady stream of Store messages).
  const auto& succs = table_.successors();
  const auto& preds = table_.predecessors();
  const NodeId pred = preds.empty() ? NodeId{} : preds.front().id;
  std::optional<std::vector<Record>> primary;
  for (std::size_t i = 0; i < succs.size() && i < replicaSent_.size(); ++i) {
    ReplicaSent& last = replicaSent_[i];
    const bool fresh = last.atMs >= 0 && last.to == succs[i].id && last.predecessor == pred &&
                       last.generation == store_.generation() &&
                       nowMs - last.atMs < kReplicaRefreshRounds * config_.replicateMs;
    if (fresh) continue;
    if (!primary) primary = store_.select([&](const NodeId& id) { return table_.isResponsible(id); });
    last = {succs[i].id, pred, store_.generation(), nowMs};
    sendRecords(succs[i], static_cast<std::uint8_t>(i + 1), *primary, nowMs,
                [this, i, to = succs[i].id, at = nowMs](bool ok) {
                  if (!ok && replicaSent_[i].to == to && replicaSent_[i].atMs == at) replicaSent_[i].atMs = -1;
                });
  }
  // Records we are neither responsible for nor a replica of go to their
  // responsible peer and leave this store once it has them.
  auto foreign = store_.select([&](const NodeId& id) { return !table_.isWithinReplicaRange(id, 3); });
  for (const auto& r : foreign) {
    put(r,
        [this, kind = r.kind, id = resourceIdOf(r.kind, r.name)](const OpResult& res) {
          if (res.ok && !table_.isWithinReplicaRange(id, 3)) store_.erase(id, kind);
        },
        nowMs);
  }
}

void ChordPeer::onPredecessorChanged(const std::optional<PeerRef>& before, std::int64_t nowMs) {
  const auto& preds = table_.predecessors();
  if (preds.empty() || (before && before->id == preds.front().id)) return;
  // A new predecessor (a joiner, or the ring healing around a failure) gets
  // what we hold outside our own range: its range and the ones it replicates.
  auto theirs = store_.select([&](const NodeId& id) { return !table_.isResponsible(id); });
  sendRecords(preds.front(), 1, theirs, nowMs);
}

void ChordPeer::markFailed(const NodeId& id, std::int64_t nowMs) {
  if (id == NodeId{} || id == config_.id) return;
  failedUntil_[id] = nowMs + config_.failedMemoryMs;
  if (table_.remove(id) && table_.successors().empty()) {
    auto known = table_.distinctFingers();
    for (const auto& p : table_.predecessors()) known.push_back(p);
    table_.learnSuccessors(known);
  }
}

std::vector<PeerRef> ChordPeer::withoutFailed(std::vector<PeerRef> peers, std::int64_t nowMs) const {
  peers.erase(std::remove_if(peers.begin(), peers.end(),
                             [&](const PeerRef& p) {
                               auto it = failedUntil_.find(p.id);
                               return it != failedUntil_.end() && it->second > nowMs;
                             }),
              peers.end());
  return peers;
}

void ChordPeer::leave(std::int64_t nowMs) {
  lastEventMs_ = nowMs;
  if (left_ || !joined_) {
    left_ = true;
    return;
  }
  const auto succs = table_.successors();
  const auto preds = table_.predecessors();
  if (!succs.empty()) {
    // Hand everything we hold to the successor, which becomes responsible.
    sendRecords(succs.front(), 0, store_.select([](const NodeId&) { return true; }), nowMs);
  }
  LeaveReq req{preds, succs};
  if (!succs.empty()) sendRequest(succs.front(), req, nullptr, nowMs);
  if (!preds.empty() && (succs.empty() || preds.front().id != succs.front().id)) {
    sendRequest(preds.front(), req, nullptr, nowMs);
  }
  left_ = true;
}

DiagAns ChordPeer::diagnostics(std::uint64_t flags, std::int64_t nowMs) const {
  DiagAns d;
  d.self = table_.self();
  d.uptime = static_cast<std::uint32_t>(std::max<std::int64_t>(0, nowMs - startedMs_) / 1000);
  d.softwareVersion = config_.softwareVersion;
  d.routingTableSize = static_cast<std::uint32_t>(table_.size());
  if ((flags & kDiagNeighbours) != 0) {
    d.successors = table_.successors();
    d.predecessors = table_.predecessors();
  }
  if ((flags & kDiagFingers) != 0) {
    d.fingers = table_.distinctFingers();
    if (d.fingers.size() > kMaxPeerList) d.fingers.resize(kMaxPeerList);
  }
  if ((flags & kDiagStorage) != 0) {
    d.recordsStored = static_cast<std::uint32_t>(store_.recordCount());
    d.bytesStored = store_.bytes();
  }
  if ((flags & kDiagCounters) != 0) {
    for (std::size_t c = 0; c < static_cast<std::size_t>(kMessageCodes); ++c) {
      if (stats_.sent[c] == 0 && stats_.received[c] == 0) continue;
      d.counters.push_back({static_cast<std::uint16_t>(c == 0 ? 0xFFFF : c), stats_.sent[c],
                            stats_.received[c]});
    }
  }
  if ((flags & kDiagServices) != 0) {
    d.sipPort = config_.sipPort;
    d.stunPort = config_.stunPort;
    d.rtpPort = config_.rtpPort;
  }
  if ((flags & kDiagStoredKeys) != 0) {
    d.storedKeys = store_.liveKeys(
        kMaxStoredKeys, [this](const NodeId& id) { return table_.isResponsible(id); }, nowMs);
  }
  return d;
}

}  // namespace p2pmon::overlay
