// The overlay API on top of iterative lookups: lookup, put, get, diagnose.
#include <algorithm>

#include "overlay-agent/chord_peer.hpp"
#include "overlay-agent/wire_codec.hpp"

namespace p2pmon::overlay {

namespace {
LookupResult failed(const std::string& error, int hops, std::vector<PeerRef> path,
                    std::int64_t latency) {
  LookupResult r;
  r.error = error;
  r.hops = hops;
  r.path = std::move(path);
  r.latencyMs = latency;
  return r;
}
}  // namespace

void ChordPeer::lookup(const NodeId& target, std::function<void(const LookupResult&)> done,
                       std::int64_t nowMs) {
  lastEventMs_ = nowMs;
  LookupOp op;
  op.target = target;
  op.done = std::move(done);
  op.started = nowMs;
  if (config_.client) {
    // A client has no table: every lookup starts at a bootstrap peer.
    if (bootstrap_.empty()) return op.done(failed("no_route", 0, {}, 0));
    const Endpoint first = bootstrap_[nextBootstrap_++ % bootstrap_.size()];
    return lookupFrom(std::move(op), PeerRef{NodeId{}, first}, nowMs);
  }
  if (!joined_) return op.done(failed("not_joined", 0, {}, 0));
  lookupLocal(std::move(op), nowMs);
}

void ChordPeer::lookupLocal(LookupOp op, std::int64_t nowMs) {
  FindAns step = findStep(op.target);
  if (step.done) {
    LookupResult r;
    r.ok = true;
    r.responsible = step.peer;
    r.successors = step.successors;
    r.hops = op.hops;
    r.path = op.path;
    r.latencyMs = nowMs - op.started;
    return op.done(r);
  }
  lookupFrom(std::move(op), step.peer, nowMs);
}

void ChordPeer::lookupFrom(LookupOp op, const PeerRef& ask, std::int64_t nowMs) {
  if (op.hops >= config_.maxHops) {
    return op.done(failed("ttl_exceeded", op.hops, op.path, nowMs - op.started));
  }
  // Loop protection: a peer asked twice means the answers go round in circles.
  if (ask.id != NodeId{}) {
    if (std::find(op.visited.begin(), op.visited.end(), ask.id) != op.visited.end()) {
      return op.done(failed("loop", op.hops, op.path, nowMs - op.started));
    }
    op.visited.push_back(ask.id);
  }
  ++op.hops;
  op.path.push_back(ask);
  op.asking = ask;
  const FindReq req{op.target};  // before op moves into its slot
  std::uint32_t slot = 0;
  if (freeLookupSlots_.empty()) {
    slot = static_cast<std::uint32_t>(lookupSlots_.size());
    lookupSlots_.push_back(std::move(op));
  } else {
    slot = freeLookupSlots_.back();
    freeLookupSlots_.pop_back();
    lookupSlots_[slot] = std::move(op);
  }
  sendRequest(ask, req, [this, slot](const Message* m) { lookupStep(slot, m); }, nowMs);
}

void ChordPeer::lookupStep(std::uint32_t slot, const Message* m) {
  LookupOp op = std::move(lookupSlots_[slot]);
  freeLookupSlots_.push_back(slot);
  const PeerRef ask = op.asking;
  // Continuations run inside receive()/tick(); the time of the event is
  // not passed down, so latency uses the last step's clock.
  const std::int64_t now = lastEventMs_;
  if (m == nullptr) {
    if (ask.id != NodeId{} && !config_.client) markFailed(ask.id, now);
    if (!config_.client && ++op.restarts <= 2 && joined_) {
      op.visited.clear();  // a fresh walk around the failed peer, same hop budget
      return lookupLocal(std::move(op), now);
    }
    if (config_.client && bootstrap_.size() > 1 && ++op.restarts <= 2) {
      // A client cannot route around the dead hop itself: start again
      // at another entry peer, whose route may avoid it.
      op.visited.clear();
      const Endpoint next = bootstrap_[nextBootstrap_++ % bootstrap_.size()];
      return lookupFrom(std::move(op), PeerRef{NodeId{}, next}, now);
    }
    return op.done(failed("timeout", op.hops, op.path, now - op.started));
  }
  if (const auto* err = std::get_if<ErrorAns>(&m->body)) {
    return op.done(failed("refused: " + err->text, op.hops, op.path, now - op.started));
  }
  const auto* ans = std::get_if<FindAns>(&m->body);
  if (ans == nullptr) return op.done(failed("bad_response", op.hops, op.path, now - op.started));
  if (op.path.back().id == NodeId{}) op.path.back().id = m->header.sender;
  if (ans->done) {
    LookupResult r;
    r.ok = true;
    r.responsible = ans->peer;
    r.successors = ans->successors;
    r.hops = op.hops;
    r.path = std::move(op.path);
    r.latencyMs = now - op.started;
    return op.done(r);
  }
  if (std::find(op.visited.begin(), op.visited.end(), m->header.sender) == op.visited.end()) {
    op.visited.push_back(m->header.sender);
  }
  lookupFrom(std::move(op), ans->peer, now);
}

void ChordPeer::put(const Record& record, std::function<void(const OpResult&)> done,
                    std::int64_t nowMs) {
  lastEventMs_ = nowMs;
  {
    Message probe;
    probe.header.overlay = overlayHash_;
    probe.body = StoreReq{0, {record}};
    if (auto invalid = validate(probe)) {
      OpResult res;
      res.error = "bad_record: " + invalid->message;  // over a bound of messages.hpp
      return done(res);
    }
  }
  lookup(
      resourceIdOf(record.kind, record.name),
      [this, record, done](const LookupResult& route) {
        OpResult res;
        res.hops = route.hops;
        if (!route.ok) {
          res.error = route.error;
          res.latencyMs = route.latencyMs;
          return done(res);
        }
        res.responsible = route.responsible;
        const std::int64_t started = lastEventMs_ - route.latencyMs;
        if (route.responsible.id == config_.id) {  // we are responsible: store and replicate
          storeLocally(StoreReq{0, {record}}, lastEventMs_);
          res.ok = true;
          return done(res);
        }
        sendRequest(
            route.responsible, StoreReq{0, {record}},
            [this, res, done, started](const Message* m) mutable {
              res.latencyMs = lastEventMs_ - started;
              if (m != nullptr && std::holds_alternative<StoreAns>(m->body)) {
                res.ok = true;
              } else {
                res.error = m == nullptr ? "timeout" : "bad_response";
              }
              done(res);
            },
            lastEventMs_);
      },
      nowMs);
}

void ChordPeer::get(RecordKind kind, const std::string& name,
                    std::function<void(const OpResult&)> done, std::int64_t nowMs) {
  lastEventMs_ = nowMs;
  const NodeId resource = resourceIdOf(kind, name);
  lookup(
      resource,
      [this, kind, resource, done, nowMs](const LookupResult& route) {
        if (!route.ok) {
          OpResult res;
          res.error = route.error;
          res.hops = route.hops;
          res.latencyMs = route.latencyMs;
          return done(res);
        }
        // The responsible peer first, then its replicas if it does not answer.
        std::vector<PeerRef> holders{route.responsible};
        for (std::size_t i = 0; i < route.successors.size() && i < 2; ++i) {
          holders.push_back(route.successors[i]);
        }
        fetchFrom(std::move(holders), FetchReq{resource, kind}, route, done, nowMs, lastEventMs_);
      },
      nowMs);
}

void ChordPeer::fetchFrom(std::vector<PeerRef> holders, FetchReq req, LookupResult route,
                          std::function<void(const OpResult&)> done, std::int64_t started,
                          std::int64_t nowMs) {
  OpResult res;
  res.hops = route.hops;
  if (holders.empty()) {
    res.error = "timeout";
    res.latencyMs = nowMs - started;
    return done(res);
  }
  PeerRef holder = holders.front();
  holders.erase(holders.begin());
  if (holder.id == config_.id) {
    res.ok = true;
    res.responsible = holder;
    res.record = store_.fetch(req.resource, req.kind, nowMs);
    if (!res.record) {
      res.ok = false;
      res.error = "not_found";
    }
    res.latencyMs = nowMs - started;
    return done(res);
  }
  sendRequest(
      holder, req,
      [this, holders, req, route, done, started, holder](const Message* m) mutable {
        if (m == nullptr) return fetchFrom(holders, req, route, done, started, lastEventMs_);
        OpResult out;
        out.hops = route.hops;
        out.responsible = holder;
        out.latencyMs = lastEventMs_ - started;
        const auto* ans = std::get_if<FetchAns>(&m->body);
        if (ans == nullptr) {
          out.error = "bad_response";
        } else if (ans->records.empty()) {
          out.error = "not_found";
        } else {
          out.ok = true;
          out.record = ans->records.front();
        }
        done(out);
      },
      nowMs);
}

void ChordPeer::diagnose(const Endpoint& peer, std::uint64_t flags,
                         std::function<void(const std::optional<DiagAns>&)> done,
                         std::int64_t nowMs) {
  lastEventMs_ = nowMs;
  sendRequest(
      PeerRef{NodeId{}, peer}, DiagReq{flags},
      [done](const Message* m) {
        if (m == nullptr) return done(std::nullopt);
        const auto* ans = std::get_if<DiagAns>(&m->body);
        done(ans != nullptr ? std::optional<DiagAns>(*ans) : std::nullopt);
      },
      nowMs);
}

}  // namespace p2pmon::overlay
