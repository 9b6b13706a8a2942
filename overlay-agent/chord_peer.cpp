#include "overlay-agent/chord_peer.hpp"

#include <algorithm>
#include <functional>
#include <limits>

#include "overlay-agent/wire_codec.hpp"

namespace p2pmon::overlay {

namespace {
std::size_t counterIndex(MessageCode code) {
  auto c = static_cast<std::size_t>(code);
  return c < static_cast<std::size_t>(kMessageCodes) ? c : 0;  // Error counts at 0
}

bool isAnswer(MessageCode code) {
  return code == MessageCode::Error || static_cast<std::uint16_t>(code) % 2 == 0;
}
}  // namespace

ChordPeer::ChordPeer(PeerConfig config, std::int64_t nowMs)
    : config_(std::move(config)),
      overlayHash_(overlay::overlayHash(config_.overlay)),
      table_({config_.id, config_.endpoint}, config_.successors, config_.predecessors,
             config_.fingers),
      startedMs_(nowMs),
      rng_(config_.id.lo ^ config_.id.hi ^ static_cast<std::uint64_t>(nowMs)) {}

void ChordPeer::start(std::vector<Endpoint> bootstrap, std::int64_t nowMs) {
  lastEventMs_ = nowMs;
  bootstrap_ = std::move(bootstrap);
  // Spread periodic work so a swarm started at once does not fire in step.
  auto jitter = [&](std::int64_t period) {
    return nowMs + static_cast<std::int64_t>(rng_() % static_cast<std::uint64_t>(period + 1));
  };
  nextStabilize_ = jitter(config_.stabilizeMs);
  nextFixFinger_ = jitter(config_.fixFingersMs);
  nextCheckPred_ = jitter(config_.checkPredecessorMs);
  nextReplicate_ = jitter(config_.replicateMs);
  if (config_.client) return;
  if (bootstrap_.empty()) {
    joined_ = true;  // the first peer of a new overlay
    return;
  }
  tryJoin(nowMs);
}

std::vector<Outgoing> ChordPeer::takeOutgoing() {
  std::vector<Outgoing> out;
  out.swap(outbox_);
  return out;
}

void ChordPeer::takeOutgoing(std::vector<Outgoing>& into) {
  into.clear();
  into.swap(outbox_);
}

void ChordPeer::emit(const Endpoint& to, const Message& m) {
  auto bytes = encode(m);
  ++stats_.sent[counterIndex(codeOf(m.body))];
  outbox_.push_back({to, std::move(bytes)});
}

void ChordPeer::sendRequest(const PeerRef& to, Body body, Continuation done, std::int64_t nowMs) {
  Message m;
  m.header.overlay = overlayHash_;
  m.header.transaction = rng_();
  m.header.sender = config_.id;
  m.header.ttl = static_cast<std::uint8_t>(std::min(config_.maxHops, 255));
  m.header.code = codeOf(body);
  m.body = std::move(body);
  ++stats_.sent[counterIndex(m.header.code)];
  outbox_.push_back({to.endpoint, encode(m)});
  const std::int64_t deadline = nowMs + config_.requestTimeoutMs;
  const std::uint64_t tx = m.header.transaction;
  pending_[tx] =
      Pending{to.endpoint, to.id, std::move(m), config_.attempts - 1, deadline, std::move(done)};
  deadlines_.emplace_back(deadline, tx);
  std::push_heap(deadlines_.begin(), deadlines_.end(), std::greater<>{});
}

void ChordPeer::reply(const Endpoint& to, std::uint64_t transaction, Body body) {
  Message m;
  m.header.overlay = overlayHash_;
  m.header.transaction = transaction;
  m.header.sender = config_.id;
  m.header.code = codeOf(body);
  m.body = std::move(body);
  emit(to, m);
}

void ChordPeer::expireRequests(std::int64_t nowMs) {
  while (!deadlines_.empty() && deadlines_.front().first <= nowMs) {
    std::pop_heap(deadlines_.begin(), deadlines_.end(), std::greater<>{});
    auto [deadline, tx] = deadlines_.back();
    deadlines_.pop_back();
    auto it = pending_.find(tx);
    if (it == pending_.end() || it->second.deadline != deadline) continue;  // answered or rearmed
    Pending& p = it->second;
    if (p.attemptsLeft > 0) {
      --p.attemptsLeft;
      p.deadline = nowMs + config_.requestTimeoutMs;
      deadlines_.emplace_back(p.deadline, tx);
      std::push_heap(deadlines_.begin(), deadlines_.end(), std::greater<>{});
      ++stats_.retransmissions;
      outbox_.push_back({p.to, encode(p.request)});
      continue;
    }
    ++stats_.timeouts;
    Continuation done = std::move(p.done);
    pending_.erase(it);
    if (done) done(nullptr);
  }
}

// Answers mostly come in the order the requests left, so the earliest
// entry is usually the one just answered: dropping it here keeps
// nextDeadline() true, where a stale entry would wake the host for nothing
// about once a millisecond under load.
void ChordPeer::dropStaleDeadlines() {
  while (!deadlines_.empty()) {
    const auto [deadline, tx] = deadlines_.front();
    auto it = pending_.find(tx);
    if (it != pending_.end() && it->second.deadline == deadline) return;
    std::pop_heap(deadlines_.begin(), deadlines_.end(), std::greater<>{});
    deadlines_.pop_back();
  }
}

std::int64_t ChordPeer::nextDeadline() const {
  std::int64_t next = std::numeric_limits<std::int64_t>::max();
  if (!deadlines_.empty()) next = deadlines_.front().first;
  if (left_) return next;
  next = std::min(next, nextStabilize_);
  if (!config_.client && joined_) {
    next = std::min({next, nextFixFinger_, nextCheckPred_, nextReplicate_});
  }
  return next;
}

void ChordPeer::tick(std::int64_t nowMs) {
  lastEventMs_ = nowMs;
  expireRequests(nowMs);
  if (left_) return;
  if (nowMs >= nextStabilize_) {
    nextStabilize_ = nowMs + config_.stabilizeMs;
    if (!config_.client) {
      if (!joined_) {
        tryJoin(nowMs);
      } else {
        stabilize(nowMs);
      }
    }
  }
  if (config_.client || !joined_) return;
  if (nowMs >= nextCheckPred_) {
    nextCheckPred_ = nowMs + config_.checkPredecessorMs;
    checkPredecessor(nowMs);
  }
  if (nowMs >= nextFixFinger_) {
    nextFixFinger_ = nowMs + config_.fixFingersMs;
    fixFinger(nextFinger_++ % table_.fingerCount(), nowMs);
  }
  if (nowMs >= nextReplicate_) {
    nextReplicate_ = nowMs + config_.replicateMs;
    store_.expire(nowMs);
    replicate(nowMs);
  }
}

void ChordPeer::receive(const Endpoint& from, std::span<const std::uint8_t> bytes,
                        std::int64_t nowMs) {
  lastEventMs_ = nowMs;
  auto decoded = decode(bytes, overlayHash_);
  if (!decoded) {
    ++stats_.dropped[decoded.error().code];
    return;
  }
  const Message& m = *decoded;
  ++stats_.received[counterIndex(m.header.code)];
  if (isAnswer(m.header.code)) {
    auto it = pending_.find(m.header.transaction);
    if (it == pending_.end()) {
      ++stats_.dropped["unexpected_answer"];
      return;
    }
    if (it->second.peer != NodeId{} && it->second.peer != m.header.sender) {
      ++stats_.dropped["wrong_sender"];
      return;
    }
    Continuation done = std::move(it->second.done);
    pending_.erase(it);
    dropStaleDeadlines();
    if (done) done(&m);
    return;
  }
  if (config_.client || left_) {
    ++stats_.dropped["not_serving"];
    return;
  }
  handleRequest(from, m, nowMs);
}

FindAns ChordPeer::findStep(const NodeId& target) const {
  const auto& succs = table_.successors();
  if (succs.empty() || table_.isResponsible(target)) {
    return FindAns{true, table_.self(), succs};
  }
  if (auto r = table_.responsibleIfNext(target)) {
    return FindAns{true, *r, std::vector<PeerRef>(succs.begin() + 1, succs.end())};
  }
  auto next = table_.closestPreceding(target);
  return FindAns{false, next ? *next : succs.front(), {}};
}

void ChordPeer::handleRequest(const Endpoint& from, const Message& m, std::int64_t nowMs) {
  const PeerRef sender{m.header.sender, from};
  const std::uint64_t tx = m.header.transaction;
  std::visit(
      [&](const auto& body) {
        using T = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<T, PingReq>) {
          reply(from, tx, PingAns{static_cast<std::uint32_t>((nowMs - startedMs_) / 1000)});
        } else if constexpr (std::is_same_v<T, FindReq>) {
          reply(from, tx, findStep(body.target));
        } else if constexpr (std::is_same_v<T, JoinReq>) {
          onJoinReq(sender, tx, nowMs);
        } else if constexpr (std::is_same_v<T, UpdateReq>) {
          onUpdateReq(sender, body, tx, nowMs);
        } else if constexpr (std::is_same_v<T, LeaveReq>) {
          onLeaveReq(sender, body, tx, nowMs);
        } else if constexpr (std::is_same_v<T, StoreReq>) {
          onStoreReq(from, body, tx, nowMs);
        } else if constexpr (std::is_same_v<T, FetchReq>) {
          FetchAns ans;
          if (auto r = store_.fetch(body.resource, body.kind, nowMs)) ans.records.push_back(*r);
          reply(from, tx, std::move(ans));
        } else if constexpr (std::is_same_v<T, DiagReq>) {
          reply(from, tx, diagnostics(body.flags, nowMs));
        } else if constexpr (std::is_same_v<T, PathTrackReq>) {
          reply(from, tx,
                PathTrackAns{findStep(body.target), diagnostics(kDiagAll & ~kDiagCounters, nowMs)});
        } else {
          ++stats_.dropped["unexpected_request"];
        }
      },
      m.body);
}

void ChordPeer::onJoinReq(const PeerRef& joiner, std::uint64_t tx, std::int64_t nowMs) {
  // Only the peer really responsible for the joiner's Node-ID admits it: a
  // lookup made while the ring is still forming can name the wrong peer, and
  // admitting there would give the joiner a successor that skips peers. The
  // joiner looks up again at its next round.
  if (joiner.id == config_.id || !joined_ || !table_.isResponsible(joiner.id)) {
    const char* why = joiner.id == config_.id ? "Node-ID in use"
                      : !joined_               ? "not joined yet"
                                               : "not responsible for this Node-ID";
    reply(joiner.endpoint, tx, ErrorAns{ErrorCode::Forbidden, why});
    return;
  }
  std::vector<PeerRef> succs{table_.self()};
  for (const auto& s : table_.successors()) succs.push_back(s);
  reply(joiner.endpoint, tx, JoinAns{table_.predecessors(), succs});
  failedUntil_.erase(joiner.id);
  auto before = table_.predecessors().empty() ? std::nullopt
                                              : std::optional<PeerRef>(table_.predecessors()[0]);
  if (table_.predecessors().empty() ||
      betweenOpen(joiner.id, table_.predecessors().front().id, config_.id)) {
    std::vector<PeerRef> preds{joiner};
    for (const auto& p : table_.predecessors()) preds.push_back(p);
    table_.setPredecessors(preds);
  }
  if (table_.successors().empty()) table_.learnSuccessors({joiner});
  onPredecessorChanged(before, nowMs);
}

void ChordPeer::onUpdateReq(const PeerRef& from, const UpdateReq& req, std::uint64_t tx,
                            std::int64_t nowMs) {
  // A peer that sends us its Update is alive, whatever we concluded before
  // (it may have restarted with the same Node-ID).
  failedUntil_.erase(from.id);
  const auto& preds = table_.predecessors();
  auto before = preds.empty() ? std::nullopt : std::optional<PeerRef>(preds.front());
  // The sender takes us for its successor: it is our predecessor when it is
  // closer than the one we have (Chord's notify), and then its own
  // predecessors follow it in our list.
  if (failedUntil_.count(from.id) == 0 &&
      (preds.empty() || preds.front().id == from.id ||
       betweenOpen(from.id, preds.front().id, config_.id))) {
    std::vector<PeerRef> list{from};
    for (const auto& p : req.predecessors) {
      if (failedUntil_.count(p.id) == 0) list.push_back(p);
    }
    table_.setPredecessors(list);
  }
  // Everyone the sender knows is a candidate for our own lists: peers from
  // another strand of a "loopy" ring (Zave; Stoica et al.) get learnt this
  // way, which plain notify/stabilize can never repair.
  std::vector<PeerRef> known{from};
  known.insert(known.end(), req.predecessors.begin(), req.predecessors.end());
  known.insert(known.end(), req.successors.begin(), req.successors.end());
  for (const auto& p : withoutFailed(std::move(known), nowMs)) {
    table_.considerSuccessor(p);
    table_.considerPredecessor(p);
  }
  reply(from.endpoint, tx, UpdateAns{table_.predecessors(), table_.successors()});
  onPredecessorChanged(before, nowMs);
}

void ChordPeer::onStoreReq(const Endpoint& from, const StoreReq& req, std::uint64_t tx,
                           std::int64_t nowMs) {
  reply(from, tx, StoreAns{storeLocally(req, nowMs)});
}

std::uint32_t ChordPeer::storeLocally(const StoreReq& req, std::int64_t nowMs) {
  std::uint32_t stored = 0;
  std::vector<Record> primary;
  for (const auto& r : req.records) {
    stored += static_cast<std::uint32_t>(store_.merge(r, nowMs) > 0 ? 1 : 0);
    if (req.replica == 0 && table_.isResponsible(resourceIdOf(r.kind, r.name))) {
      primary.push_back(r);
    }
  }
  // A write to the responsible peer goes on to its two successors at once.
  const auto& succs = table_.successors();
  for (std::size_t i = 0; i < succs.size() && i < 2 && !primary.empty(); ++i) {
    sendRecords(succs[i], static_cast<std::uint8_t>(i + 1), primary, nowMs);
  }
  return stored;
}

void ChordPeer::onLeaveReq(const PeerRef& from, const LeaveReq& req, std::uint64_t tx,
                           std::int64_t nowMs) {
  reply(from.endpoint, tx, LeaveAns{});
  const bool wasSucc =
      !table_.successors().empty() && table_.successors().front().id == from.id;
  const bool wasPred =
      !table_.predecessors().empty() && table_.predecessors().front().id == from.id;
  auto before = wasPred ? std::optional<PeerRef>(table_.predecessors().front()) : std::nullopt;
  markFailed(from.id, nowMs);
  if (wasSucc) table_.learnSuccessors(withoutFailed(req.successors, nowMs));
  if (wasPred) {
    table_.learnPredecessors(withoutFailed(req.predecessors, nowMs));
    onPredecessorChanged(before, nowMs);
  }
}

}  // namespace p2pmon::overlay
