#include "overlay-agent/agent_workers.hpp"

#include <unordered_map>

#include "core/clock.hpp"
#include "core/log.hpp"
#include "core/version.hpp"
#include "overlay-agent/agent_checks.hpp"
#include "plugins/nat_check.hpp"
#include "plugins/rtp_check.hpp"
#include "probes/nat_probe.hpp"
#include "probes/rtp_live.hpp"
#include "probes/sip_prober.hpp"

namespace p2pmon::overlay {

namespace {
constexpr std::size_t kMaxSweepJobs = 256;  // sip_options rounds swept together
constexpr std::chrono::milliseconds kSipTimeout{2000};
constexpr std::size_t kSipInFlight = 32;

std::size_t at(AgentCheck c) { return static_cast<std::size_t>(c); }
}  // namespace

std::int64_t agentNowMs() { return static_cast<std::int64_t>(core::nowSeconds() * 1000.0); }

// ---- ResultBatcher ---------------------------------------------------------

ResultBatcher::ResultBatcher(agent::ResultOutbox& outbox, std::size_t batchSize,
                             std::chrono::milliseconds flushInterval)
    : outbox_(outbox), batchSize_(batchSize == 0 ? 1 : batchSize), flushInterval_(flushInterval) {}

ResultBatcher::~ResultBatcher() { stop(); }

void ResultBatcher::start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { loop(); });
}

void ResultBatcher::add(AgentCheck c, core::CheckResult r) {
  std::lock_guard lock(mu_);
  if (stopping_) {
    ++late_;
    return;
  }
  ++produced_[at(c)];
  pending_.push_back(std::move(r));
  if (pending_.size() >= batchSize_) cv_.notify_one();
}

void ResultBatcher::loop() {
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait_for(lock, flushInterval_,
                 [this] { return stopping_ || pending_.size() >= batchSize_; });
    if (!pending_.empty()) {
      std::vector<core::CheckResult> batch;
      batch.swap(pending_);
      lock.unlock();
      outbox_.submit(std::move(batch));  // a spool write: outside the lock
      lock.lock();
    }
    if (stopping_ && pending_.empty()) return;
  }
}

void ResultBatcher::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::vector<core::CheckResult> rest;
  {
    std::lock_guard lock(mu_);
    rest.swap(pending_);
  }
  if (!rest.empty()) outbox_.submit(std::move(rest));  // never started
}

CheckCounts ResultBatcher::produced() const {
  std::lock_guard lock(mu_);
  return produced_;
}

std::uint64_t ResultBatcher::late() const {
  std::lock_guard lock(mu_);
  return late_;
}

// ---- ProbeWorkers ----------------------------------------------------------

ProbeWorkers::ProbeWorkers(const AgentConfig& config, ResultBatcher& results)
    : config_(config), results_(results) {}

ProbeWorkers::~ProbeWorkers() { stop(); }

void ProbeWorkers::start() {
  std::lock_guard lock(mu_);
  if (!threads_.empty() || stopping_) return;
  if (config_.check(AgentCheck::SipOptions).enabled) {
    threads_.emplace_back([this] { sipLoop(); });
  }
  if (config_.check(AgentCheck::RtpQuality).enabled ||
      config_.check(AgentCheck::NatBehaviour).enabled) {
    for (std::size_t i = 0; i < config_.rtpConcurrency; ++i) {
      threads_.emplace_back([this] { mediaLoop(); });
    }
  }
}

template <class Queue, class Job>
bool ProbeWorkers::enqueue(Queue& queue, std::condition_variable& cv, AgentCheck check, Job job) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || queue.size() >= config_.queueMax) {
      ++stats_.droppedFull[at(check)];
      return false;
    }
    queue.push_back(std::move(job));
  }
  cv.notify_one();
  return true;
}

bool ProbeWorkers::submit(SipJob job) {
  return enqueue(sipQueue_, sipCv_, AgentCheck::SipOptions, std::move(job));
}
bool ProbeWorkers::submit(RtpJob job) {
  return enqueue(mediaQueue_, mediaCv_, AgentCheck::RtpQuality, std::move(job));
}
bool ProbeWorkers::submit(NatJob job) {
  return enqueue(mediaQueue_, mediaCv_, AgentCheck::NatBehaviour, std::move(job));
}

void ProbeWorkers::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
    for (const auto& j : sipQueue_) {
      (void)j;
      ++stats_.droppedStale[at(AgentCheck::SipOptions)];
    }
    for (const auto& j : mediaQueue_) {
      ++stats_.droppedStale[at(std::holds_alternative<RtpJob>(j) ? AgentCheck::RtpQuality
                                                                 : AgentCheck::NatBehaviour)];
    }
    sipQueue_.clear();
    mediaQueue_.clear();
  }
  halt_ = true;
  sipCv_.notify_all();
  mediaCv_.notify_all();
  for (auto& t : threads_) t.join();
  std::lock_guard lock(mu_);
  threads_.clear();
}

WorkerStats ProbeWorkers::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

bool ProbeWorkers::stale(std::int64_t deadlineMs, AgentCheck c) {
  if (deadlineMs == 0 || agentNowMs() <= deadlineMs) return false;
  std::lock_guard lock(mu_);
  ++stats_.droppedStale[at(c)];
  return true;
}

void ProbeWorkers::sipLoop() {
  probes::SipProberOptions o;
  o.timeout = kSipTimeout;
  o.maxInFlight = kSipInFlight;
  o.fromUri = "sip:p2pmon-agent@invalid";
  o.userAgent = std::string("p2pmon-agent/") + kVersion;
  std::optional<probes::SipProber> prober;
  try {
    prober.emplace(o);
  } catch (const std::exception& e) {
    core::logError(std::string("agent: no SIP prober, sip_options stays silent: ") + e.what());
  }
  const auto& cfg = config_.check(AgentCheck::SipOptions);
  while (true) {
    std::vector<SipJob> batch;
    {
      std::unique_lock lock(mu_);
      sipCv_.wait(lock, [this] { return stopping_ || !sipQueue_.empty(); });
      if (stopping_) return;
      while (!sipQueue_.empty() && batch.size() < kMaxSweepJobs) {
        batch.push_back(std::move(sipQueue_.front()));
        sipQueue_.pop_front();
      }
    }
    std::erase_if(batch, [this](const SipJob& j) { return stale(j.deadlineMs, AgentCheck::SipOptions); });
    if (batch.empty() || !prober) continue;
    // A neighbour several local peers share is asked once per sweep; its
    // answer counts for each of them.
    std::unordered_map<std::string, std::vector<std::size_t>> waiting;
    std::vector<std::string> order;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      for (const auto& t : batch[i].targets) {
        auto& w = waiting[t];
        if (w.empty()) order.push_back(t);
        w.push_back(i);
      }
    }
    std::vector<SipNeighbours> answers(batch.size());
    std::size_t next = 0;
    prober->sweep(
        [&]() -> std::optional<probes::SipSweepItem> {
          if (next == order.size() || halt_) return std::nullopt;
          return probes::SipSweepItem{order[next++], {}};
        },
        [&](probes::SipProbeResult r) {
          auto it = waiting.find(r.target);
          if (it == waiting.end()) return;
          for (std::size_t i : it->second) answers[i].results.push_back(r);
        });
    {
      std::lock_guard lock(mu_);
      ++stats_.sweeps;
      stats_.optionsSent += next;
    }
    if (halt_) return;
    const double now = core::nowSeconds();
    for (std::size_t i = 0; i < batch.size(); ++i) {
      answers[i].unknown = batch[i].unknown;
      answers[i].timeoutMs = static_cast<double>(kSipTimeout.count());
      const auto outcome = decideSipNeighbours(cfg, answers[i]);
      results_.add(AgentCheck::SipOptions, makeResult(AgentCheck::SipOptions, outcome,
                                                      batch[i].host, batch[i].source, now));
    }
  }
}

void ProbeWorkers::mediaLoop() {
  while (true) {
    MediaJob job;
    {
      std::unique_lock lock(mu_);
      mediaCv_.wait(lock, [this] { return stopping_ || !mediaQueue_.empty(); });
      if (stopping_) return;
      job = std::move(mediaQueue_.front());
      mediaQueue_.pop_front();
    }
    if (auto* rtp = std::get_if<RtpJob>(&job)) {
      if (!stale(rtp->deadlineMs, AgentCheck::RtpQuality)) runRtp(*rtp);
    } else {
      auto& nat = std::get<NatJob>(job);
      if (!stale(nat.deadlineMs, AgentCheck::NatBehaviour)) runNat(nat);
    }
  }
}

void ProbeWorkers::runRtp(const RtpJob& job) {
  probes::RtpTargetOptions o;
  o.host = job.address;
  o.port = job.port;
  o.plan = *probes::makeSendPlan(config_.rtpCodec, 20);  // the codec was checked at start-up
  o.durationS = config_.rtpDurationS;
  o.waitS = 0.5;  // a neighbour on the same network answers well within it
  const auto run = probes::runRtpTarget(o);
  const std::string target = job.address + ":" + std::to_string(job.port) + " (peer " +
                             job.neighbour + ")";
  const auto outcome =
      plugins::decideRtpCheck(rtpCheckOptions(config_.check(AgentCheck::RtpQuality), target), run);
  results_.add(AgentCheck::RtpQuality, makeResult(AgentCheck::RtpQuality, outcome, job.host,
                                                  job.source, core::nowSeconds()));
}

void ProbeWorkers::runNat(const NatJob& job) {
  plugins::Outcome outcome;
  const auto& server = *config_.stunServer;
  auto resolved = probes::nat::resolveStunServer(server.host, server.port, job.bind);
  if (!resolved) {
    outcome.state = core::State::Unknown;
    outcome.text = "cannot use the STUN server " + server.str() + ": " + resolved.error().message;
  } else {
    probes::nat::NatProbeOptions o;
    o.server = *resolved;
    o.bind = job.bind;
    o.transmissions = 3;  // 0.7 s per unanswered test: a stop waits for at most a few
    const auto report = probes::nat::probeNat(o);
    std::optional<probes::nat::NatType> previous;
    {
      std::lock_guard lock(mu_);
      if (auto it = natSeen_.find(job.peer); it != natSeen_.end()) previous = it->second;
      if (auto t = plugins::typeToRemember(report)) natSeen_[job.peer] = *t;
    }
    outcome = decideNatBehaviour(report, previous);
  }
  results_.add(AgentCheck::NatBehaviour, makeResult(AgentCheck::NatBehaviour, outcome, job.host,
                                                    job.source, core::nowSeconds()));
}

}  // namespace p2pmon::overlay
