#include "overlay-agent/peer_agent.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <unistd.h>

#include "core/clock.hpp"
#include "probes/sip_target.hpp"

namespace p2pmon::overlay {

namespace asio = boost::asio;

namespace {
// Rounds run per timer callback; more due ones follow in a posted handler,
// so a burst never holds the overlay's io thread for long.
constexpr std::size_t kMaxRoundsPerTick = 128;
// A peer that has not joined yet is left alone this long after it started
// (no CRITICAL result for a peer still joining a big swarm).
constexpr std::int64_t kJoinGraceMs = 30'000;
// Neighbours' services: a peer's ports do not change while it runs.
constexpr std::int64_t kServicesTtlMs = 600'000;
constexpr std::int64_t kServicesFailedTtlMs = 60'000;
constexpr std::int64_t kServicesPendingTtlMs = 10'000;
constexpr std::size_t kMaxServices = 100'000;
constexpr const char* kCanaryKey = "p2pmon-canary";
constexpr double kLookupTimeoutMs = 10'000;  // perfdata max of the lookup latency

std::size_t at(AgentCheck c) { return static_cast<std::size_t>(c); }

// How long a probe job may wait for a worker: half its interval, at most
// 30 s. Later, its result would describe another moment than the round's,
// and a job that waits that long means the workers cannot keep up: it is
// dropped and counted (docs/operations.md sizes the workers).
std::int64_t jobDeadline(const AgentConfig& c, AgentCheck check, std::int64_t nowMs) {
  return nowMs + std::min<std::int64_t>(c.check(check).intervalMs / 2, 30'000);
}

std::string ipOf(const Endpoint& ep) { return toAsio(ep).address().to_string(); }
}  // namespace

struct PeerAgent::Local {
  ChordPeer* peer = nullptr;
  std::size_t index = 0;
  std::string host;
  std::string source;
  std::int64_t addedMs = 0;
  std::array<bool, kAgentChecks> busy{};
  std::optional<HealthSample> lastHealth;
  std::string canaryName;
  std::string canaryValue;  // what the last successful store put there
  std::uint64_t canaryStorageMs = 0;
  std::int64_t canaryRefreshMs = 0;  // store again from then on
  bool canaryStored = false;
  std::size_t rtpTurn = 0;  // rtp_quality goes round the neighbours
  std::size_t sipTurn = 0;  // and so does sip_options, beyond the first successor
};

PeerAgent::PeerAgent(asio::io_context& io, UdpHost& host, AgentConfig config,
                     agent::ResultOutbox& outbox)
    : io_(io),
      host_(host),
      config_(std::move(config)),
      batcher_(outbox, config_.push.batchSize,
               std::min(config_.push.flushInterval, std::chrono::milliseconds(1000))),
      workers_(config_, batcher_),
      timer_(io),
      services_(kServicesTtlMs, kServicesFailedTtlMs, kServicesPendingTtlMs, kMaxServices) {}

PeerAgent::~PeerAgent() { stop(); }

void PeerAgent::start() {
  batcher_.start();
  workers_.start();
}

void PeerAgent::addPeer(ChordPeer& peer, std::size_t index) {
  if (stopped_) return;
  auto l = std::make_unique<Local>();
  l->peer = &peer;
  l->index = index;
  const auto& id = peer.config().id;
  l->host = agentHostName(config_, id, index);
  l->source = "agent:" + id.hex();
  l->addedMs = agentNowMs();
  l->canaryName = canaryName(id, peer.config().overlay);
  const auto slot = static_cast<std::uint32_t>(locals_.size());
  for (auto c : kAllAgentChecks) {
    const auto& cfg = config_.check(c);
    if (!cfg.enabled) continue;
    const auto first = firstSlotAfter(id, static_cast<unsigned>(c), cfg.intervalMs, l->addedMs);
    timetable_.add({first.atMs, first.round, slot, static_cast<std::uint8_t>(c)});
  }
  locals_.push_back(std::move(l));
  arm();
}

void PeerAgent::stop() {
  if (stopped_.exchange(true)) return;
  asio::post(io_, [this] { timer_.cancel(); });  // timers belong to the io thread
  workers_.stop();
  batcher_.stop();
}

void PeerAgent::arm() {
  const auto e = timetable_.earliest();
  if (!e || stopped_) return;
  if (armedFor_ != 0 && armedFor_ <= *e) return;
  armedFor_ = *e;
  timer_.expires_after(std::chrono::milliseconds(std::max<std::int64_t>(0, *e - agentNowMs())));
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_) return;  // re-armed for an earlier round, or stopping
    armedFor_ = 0;
    onTimer();
  });
}

void PeerAgent::onTimer() {
  if (stopped_) return;
  const auto now = agentNowMs();
  timetable_.popDue(now, due_, kMaxRoundsPerTick);
  for (const auto& e : due_) {
    Local& l = *locals_[e.peer];
    const auto c = static_cast<AgentCheck>(e.check);
    runRound(l, c, now);
    const auto next =
        nextSlot(l.peer->config().id, e.check, config_.check(c).intervalMs, {e.atMs, e.round}, now);
    timetable_.add({next.atMs, next.round, e.peer, e.check});
  }
  if (auto e = timetable_.earliest(); e && *e <= now) {
    asio::post(io_, [this] { onTimer(); });
    return;
  }
  arm();
}

void PeerAgent::runRound(Local& l, AgentCheck c, std::int64_t nowMs) {
  if (l.peer->left()) return;
  if (!l.peer->joined() && nowMs - l.addedMs < kJoinGraceMs) {
    ++skippedJoining_[at(c)];
    return;
  }
  if (l.busy[at(c)]) {  // the last round has not finished: this one is skipped
    ++skippedBusy_[at(c)];
    return;
  }
  switch (c) {
    case AgentCheck::PeerHealth: return runHealth(l, nowMs);
    case AgentCheck::SipOptions: return runSip(l, nowMs);
    case AgentCheck::RtpQuality: return runRtp(l, nowMs);
    case AgentCheck::NatBehaviour: return runNat(l, nowMs);
    case AgentCheck::DhtLookup: return runLookup(l, nowMs);
  }
}

void PeerAgent::emit(AgentCheck c, const Local& l, const plugins::Outcome& o) {
  batcher_.add(c, makeResult(c, o, l.host, l.source, core::nowSeconds()));
}

std::optional<double> PeerAgent::processRssMB(std::int64_t nowMs) {
  // Once per peer_health round for the whole process, not once per peer.
  if (rssReadMs_ != 0 && nowMs - rssReadMs_ < config_.check(AgentCheck::PeerHealth).intervalMs) {
    return rssMB_;
  }
  rssReadMs_ = nowMs;
  std::ifstream in("/proc/self/statm");
  std::string line;
  std::getline(in, line);
  rssMB_ = rssMBFromStatm(line, sysconf(_SC_PAGESIZE));
  return rssMB_;
}

void PeerAgent::runHealth(Local& l, std::int64_t nowMs) {
  const ChordPeer& p = *l.peer;
  HealthSample s;
  s.joined = p.joined();
  s.successors = p.table().successors().size();
  s.predecessors = p.table().predecessors().size();
  s.fingers = p.table().distinctFingers().size();
  s.successorsMax = p.config().successors;
  s.predecessorsMax = p.config().predecessors;
  s.fingersMax = p.config().fingers;
  const auto& st = p.stats();
  s.stabilizations = st.stabilizations;
  s.timeouts = st.timeouts;
  for (const auto& [why, n] : st.dropped) s.drops += n;
  for (auto n : st.sent) s.sent += n;
  for (auto n : st.received) s.received += n;
  s.records = p.store().recordCount();
  s.bytesStored = p.store().bytes();
  s.rssMB = processRssMB(nowMs);
  emit(AgentCheck::PeerHealth, l, decidePeerHealth(config_.check(AgentCheck::PeerHealth), s,
                                                   l.lastHealth));
  l.lastHealth = s;
}

void PeerAgent::runLookup(Local& l, std::int64_t nowMs) {
  l.busy[at(AgentCheck::DhtLookup)] = true;
  if (l.canaryStored && nowMs < l.canaryRefreshMs) return fetchCanary(l);
  // The canary lives three rounds (at least five minutes) and is stored
  // again once half of that is gone: a missed refresh does not lose it.
  const auto intervalS = config_.check(AgentCheck::DhtLookup).intervalMs / 1000;
  const auto lifetimeS = static_cast<std::uint32_t>(std::max<std::int64_t>(300, 3 * intervalS));
  Record rec;
  rec.kind = RecordKind::UserLocation;
  rec.name = l.canaryName;
  Entry e;
  e.key = kCanaryKey;
  e.storageTime = static_cast<std::uint64_t>(nowMs);
  e.values = {l.peer->config().id.hex() + "/" + std::to_string(nowMs)};
  e.lifetime = lifetimeS;
  rec.entries.push_back(e);
  host_.call(*l.peer, [this, &l, rec](ChordPeer& p, std::int64_t t) {
    p.put(
        rec,
        [this, &l, rec](const OpResult& r) {
          if (stopped_) return;
          if (!r.ok) {
            CanaryRun run;
            run.name = l.canaryName;
            run.putError = r.error.empty() ? "failed" : r.error;
            return finishLookup(l, run);
          }
          const Entry& stored = rec.entries.front();
          l.canaryValue = stored.values.front();
          l.canaryStorageMs = stored.storageTime;
          l.canaryStored = true;
          l.canaryRefreshMs =
              static_cast<std::int64_t>(stored.storageTime) + std::int64_t{stored.lifetime} * 500;
          // Not from inside the engine's callback: the fetch starts afresh.
          asio::post(io_, [this, &l] {
            if (!stopped_) fetchCanary(l);
          });
        },
        t);
  });
}

void PeerAgent::fetchCanary(Local& l) {
  // Timed here, in microseconds: the engine's own clock counts whole ms,
  // and a lookup on a LAN takes less.
  const auto started = std::chrono::steady_clock::now();
  host_.call(*l.peer, [this, &l, started](ChordPeer& p, std::int64_t t) {
    p.get(
        RecordKind::UserLocation, l.canaryName,
        [this, &l, started](const OpResult& r) {
          if (stopped_) return;
          const std::chrono::duration<double, std::milli> took =
              std::chrono::steady_clock::now() - started;
          CanaryRun run;
          run.name = l.canaryName;
          run.found = r.ok && r.record.has_value();
          run.error = r.error;
          if (r.responsible.id != NodeId{}) {
            run.responsible = r.responsible.id.hex();
            run.responsibleAddress = r.responsible.endpoint.str();
          }
          run.hops = r.hops;
          run.latencyMs = took.count();
          run.timeoutMs = kLookupTimeoutMs;
          if (run.found) {
            run.contentSeen = "no canary entry";
            for (const auto& e : r.record->entries) {
              if (e.key != kCanaryKey) continue;
              run.contentSeen = e.values.empty() ? "" : e.values.front();
              run.contentOk = e.storageTime == l.canaryStorageMs && run.contentSeen == l.canaryValue;
            }
          }
          finishLookup(l, run);
        },
        t);
  });
}

void PeerAgent::finishLookup(Local& l, CanaryRun run) {
  l.busy[at(AgentCheck::DhtLookup)] = false;
  run.timeoutMs = kLookupTimeoutMs;
  emit(AgentCheck::DhtLookup, l, decideCanary(config_.check(AgentCheck::DhtLookup), run));
}

std::vector<PeerRef> PeerAgent::neighbours(const Local& l, std::size_t max) const {
  std::vector<PeerRef> out;
  const auto& self = l.peer->config().id;
  auto take = [&](const PeerRef& p) {
    if (out.size() >= max || p.id == self || p.id == NodeId{}) return;
    for (const auto& o : out) {
      if (o.id == p.id) return;
    }
    out.push_back(p);
  };
  for (const auto& s : l.peer->table().successors()) take(s);
  for (const auto& f : l.peer->table().distinctFingers()) take(f);
  return out;
}

void PeerAgent::withServices(Local& l, const std::vector<PeerRef>& peers,
                             std::function<void()> then) {
  // One count per neighbour awaited plus one for this loop, so `then` runs
  // once, after the last answer (or at once when all are cached).
  auto left = std::make_shared<std::size_t>(1);
  auto done = [left, then = std::move(then)] {
    if (--*left == 0) then();
  };
  const auto now = agentNowMs();
  for (const auto& p : peers) {
    const auto status = services_.status(p.id, now);
    if (status == NeighbourCache::Status::Known || status == NeighbourCache::Status::Failed) continue;
    ++*left;
    waiters_[p.id].push_back(done);
    if (status == NeighbourCache::Status::Pending) continue;
    services_.setPending(p.id, now);
    ++diagRequests_;
    host_.call(*l.peer, [this, p](ChordPeer& engine, std::int64_t t) {
      engine.diagnose(
          p.endpoint, kDiagServices,
          [this, id = p.id](const std::optional<DiagAns>& ans) { onDiag(id, ans); }, t);
    });
  }
  done();
}

void PeerAgent::onDiag(const core::NodeId& id, const std::optional<DiagAns>& ans) {
  if (stopped_) return;
  const auto now = agentNowMs();
  if (ans && ans->self.id == id) {
    services_.store(id, {ans->sipPort, ans->stunPort, ans->rtpPort}, now);
  } else {
    services_.fail(id, now);  // no answer, or another peer at that address now
  }
  auto it = waiters_.find(id);
  if (it == waiters_.end()) return;
  auto waiting = std::move(it->second);
  waiters_.erase(it);
  for (auto& w : waiting) w();
}

void PeerAgent::runSip(Local& l, std::int64_t) {
  l.busy[at(AgentCheck::SipOptions)] = true;
  // The first successor every round (the peer that takes over this one's
  // range), the other successors and fingers in turn: a bounded number of
  // OPTIONS per round that still reaches every neighbour over a few rounds.
  const auto all = neighbours(l, kMaxSipTargets);
  std::vector<PeerRef> targets;
  if (!all.empty()) targets.push_back(all.front());
  const std::size_t rest = all.size() > 1 ? all.size() - 1 : 0;
  for (std::size_t k = 0; k < rest && targets.size() < config_.sipTargets; ++k) {
    targets.push_back(all[1 + (l.sipTurn + k) % rest]);
  }
  if (rest > 0) l.sipTurn = (l.sipTurn + config_.sipTargets - 1) % rest;
  withServices(l, targets, [this, &l, targets] {
    l.busy[at(AgentCheck::SipOptions)] = false;
    if (stopped_) return;
    const auto now = agentNowMs();
    SipJob job{l.host, l.source, {}, 0, jobDeadline(config_, AgentCheck::SipOptions, now)};
    for (const auto& t : targets) {
      const auto s = services_.services(t.id, now);
      if (!s || s->sip == 0) {
        ++job.unknown;
        continue;
      }
      probes::SipTarget target;
      target.host = ipOf(t.endpoint);
      target.port = s->sip;
      job.targets.push_back(target.uri());
    }
    if (job.targets.empty()) {
      SipNeighbours none;
      none.unknown = job.unknown;
      return emit(AgentCheck::SipOptions, l,
                  decideSipNeighbours(config_.check(AgentCheck::SipOptions), none));
    }
    workers_.submit(std::move(job));
  });
}

void PeerAgent::runRtp(Local& l, std::int64_t) {
  l.busy[at(AgentCheck::RtpQuality)] = true;
  const auto candidates = neighbours(l, kMaxSipTargets);
  withServices(l, candidates, [this, &l, candidates] {
    l.busy[at(AgentCheck::RtpQuality)] = false;
    if (stopped_) return;
    const auto now = agentNowMs();
    for (std::size_t k = 0; k < candidates.size(); ++k) {
      const std::size_t i = (l.rtpTurn + k) % candidates.size();
      const auto s = services_.services(candidates[i].id, now);
      if (!s || s->rtp == 0) continue;
      l.rtpTurn = i + 1;
      workers_.submit(RtpJob{l.host, l.source, ipOf(candidates[i].endpoint), s->rtp,
                             candidates[i].id.shortHex(),
                             jobDeadline(config_, AgentCheck::RtpQuality, now)});
      return;
    }
    plugins::Outcome o;
    o.state = core::State::Unknown;
    o.text = "no neighbour with a known RTP reflector (" + std::to_string(candidates.size()) +
             " asked)";
    emit(AgentCheck::RtpQuality, l, o);
  });
}

void PeerAgent::runNat(Local& l, std::int64_t nowMs) {
  workers_.submit(NatJob{l.host, l.source, l.peer->config().id, ipOf(l.peer->config().endpoint),
                         jobDeadline(config_, AgentCheck::NatBehaviour, nowMs)});
}

std::string PeerAgent::summary() const {
  const auto produced = batcher_.produced();
  const auto w = workers_.stats();
  std::ostringstream s;
  auto list = [&](const CheckCounts& counts, bool zeros = false) {
    std::string out;
    for (auto c : kAllAgentChecks) {
      if (!config_.check(c).enabled || (!zeros && counts[at(c)] == 0)) continue;
      out += (out.empty() ? "" : " ") + std::string(checkName(c)) + "=" +
             std::to_string(counts[at(c)]);
    }
    return out.empty() ? std::string("none") : out;
  };
  s << "agent: " << locals_.size() << " peer(s); results " << list(produced)
    << "; dropped (queue full) " << list(w.droppedFull) << "; dropped (stale) "
    << list(w.droppedStale) << "; skipped (last round busy) " << list(skippedBusy_)
    << "; skipped (joining) " << list(skippedJoining_) << "; " << w.optionsSent
    << " OPTIONS in " << w.sweeps << " sweeps, " << diagRequests_ << " diagnostics requests";
  if (const auto late = batcher_.late(); late > 0) s << ", " << late << " results after stop";
  return s.str();
}

}  // namespace p2pmon::overlay
