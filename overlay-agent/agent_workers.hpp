// The embedded agent's threads besides the overlay's io thread: the
// ResultBatcher, which hands results to the ResultOutbox in batches (a
// spool write never runs on the io thread), and the ProbeWorkers, which run
// the blocking probes: one thread with the process's one SipProber (one
// su_root) sweeping the OPTIONS of every queued sip_options job at once,
// and a few media threads for RTP streams and NAT probes, bounding how many
// run at once. Queues are bounded: a job that does not fit, or that waited
// past its deadline (the next round would replace it), is dropped and
// counted rather than run late.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "core/address.hpp"
#include "core/check_result.hpp"
#include "core/node_id.hpp"
#include "overlay-agent/agent_config.hpp"
#include "overlay-agent/result_outbox.hpp"
#include "probes/nat_verdict.hpp"

namespace p2pmon::overlay {

using CheckCounts = std::array<std::uint64_t, kAgentChecks>;

class ResultBatcher {
 public:
  ResultBatcher(agent::ResultOutbox& outbox, std::size_t batchSize,
                std::chrono::milliseconds flushInterval);
  ~ResultBatcher();  // stop()
  ResultBatcher(const ResultBatcher&) = delete;
  ResultBatcher& operator=(const ResultBatcher&) = delete;

  void start();
  // Thread-safe. After stop() results are dropped (counted as late).
  void add(AgentCheck c, core::CheckResult r);
  // Hands what is pending to the outbox and joins the thread; idempotent.
  void stop();
  CheckCounts produced() const;
  std::uint64_t late() const;

 private:
  void loop();
  agent::ResultOutbox& outbox_;
  std::size_t batchSize_;
  std::chrono::milliseconds flushInterval_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<core::CheckResult> pending_;
  CheckCounts produced_{};
  std::uint64_t late_ = 0;
  bool stopping_ = false;
  std::thread thread_;
};

// One peer's sip_options round: the OPTIONS targets (sip:IP:PORT URIs).
struct SipJob {
  std::string host, source;
  std::vector<std::string> targets;
  std::size_t unknown = 0;  // neighbours without a known SIP port
  std::int64_t deadlineMs = 0;
};
// One peer's rtp_quality round: a stream to a neighbour's reflector.
struct RtpJob {
  std::string host, source;
  std::string address;  // IP
  std::uint16_t port = 0;
  std::string neighbour;  // its Node-ID, short, for the text
  std::int64_t deadlineMs = 0;
};
// One peer's nat_behaviour round.
struct NatJob {
  std::string host, source;
  core::NodeId peer;  // the type seen last time is kept per peer
  std::string bind;   // the peer's own address
  std::int64_t deadlineMs = 0;
};

struct WorkerStats {
  CheckCounts droppedFull{};   // the queue was full
  CheckCounts droppedStale{};  // waited past their deadline
  std::uint64_t sweeps = 0;
  std::uint64_t optionsSent = 0;  // distinct targets asked, over all sweeps
};

class ProbeWorkers {
 public:
  ProbeWorkers(const AgentConfig& config, ResultBatcher& results);
  ~ProbeWorkers();  // stop()
  ProbeWorkers(const ProbeWorkers&) = delete;
  ProbeWorkers& operator=(const ProbeWorkers&) = delete;

  void start();
  // Thread-safe; false when the job was dropped (queue full or stopped).
  bool submit(SipJob job);
  bool submit(RtpJob job);
  bool submit(NatJob job);
  // Queued jobs are dropped, running probes finish (each is bounded by its
  // own timeouts), threads are joined; idempotent.
  void stop();
  WorkerStats stats() const;

 private:
  // Appends under the lock unless stopping or full (counted as dropped).
  template <class Queue, class Job>
  bool enqueue(Queue& queue, std::condition_variable& cv, AgentCheck check, Job job);
  using MediaJob = std::variant<RtpJob, NatJob>;
  void sipLoop();
  void mediaLoop();
  void runRtp(const RtpJob& job);
  void runNat(const NatJob& job);
  bool stale(std::int64_t deadlineMs, AgentCheck c);

  const AgentConfig& config_;
  ResultBatcher& results_;
  mutable std::mutex mu_;
  std::condition_variable sipCv_, mediaCv_;
  std::deque<SipJob> sipQueue_;
  std::deque<MediaJob> mediaQueue_;
  bool stopping_ = false;
  std::atomic<bool> halt_{false};  // read by a sweep in progress
  WorkerStats stats_;
  std::map<core::NodeId, probes::nat::NatType> natSeen_;  // under mu_
  std::vector<std::thread> threads_;
};

// Wall-clock ms (the jobs' deadlines).
std::int64_t agentNowMs();

}  // namespace p2pmon::overlay
