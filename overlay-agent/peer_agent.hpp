// The embedded agent of one p2pmon-peer process (issue 6): one object
// drives the checks of every local peer, single or swarm. One timer on the
// overlay's io_context walks the schedule (agent_schedule.hpp); the cheap
// checks run right there (peer_health reads the engine, dht_lookup goes
// through the engine's async API), the blocking probes go to the
// ProbeWorkers, and every result reaches the ResultOutbox through the
// ResultBatcher. Neighbours' service ports come from their diagnostics,
// cached per Node-ID for the whole process (neighbour_cache.hpp).
#pragma once

#include <utility>  // before Boost.Asio: Boost 1.74 + C++20 needs it (toolchain.md)

#include <boost/asio.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "overlay-agent/agent_checks.hpp"
#include "overlay-agent/agent_config.hpp"
#include "overlay-agent/agent_schedule.hpp"
#include "overlay-agent/agent_workers.hpp"
#include "overlay-agent/neighbour_cache.hpp"
#include "overlay-agent/result_outbox.hpp"
#include "overlay-agent/udp_host.hpp"

namespace p2pmon::overlay {

class PeerAgent {
 public:
  // `config` must be enabled; `outbox` must outlive the agent.
  PeerAgent(boost::asio::io_context& io, UdpHost& host, AgentConfig config,
            agent::ResultOutbox& outbox);
  ~PeerAgent();  // stop()
  PeerAgent(const PeerAgent&) = delete;
  PeerAgent& operator=(const PeerAgent&) = delete;

  // Starts the batcher and the probe threads.
  void start();
  // On the io_context's thread: schedules the checks of a local peer, the
  // first rounds at their phase after now. `index` fills {index} of
  // --agent-host-name.
  void addPeer(ChordPeer& peer, std::size_t index);
  // From any thread but the io thread, while the io_context still runs or
  // after it stopped: no new rounds, queued probes dropped, running ones
  // finish, pending results handed to the outbox. Callbacks still in the
  // engines find the agent stopped; destroy it only after the io thread ended.
  void stop();
  // "agent: results peer_health=N ... dropped ...": for the exit log.
  std::string summary() const;

 private:
  struct Local;
  void arm();
  void onTimer();
  void runRound(Local& l, AgentCheck c, std::int64_t nowMs);
  void runHealth(Local& l, std::int64_t nowMs);
  void runLookup(Local& l, std::int64_t nowMs);
  void fetchCanary(Local& l);
  void finishLookup(Local& l, CanaryRun run);
  void runSip(Local& l, std::int64_t nowMs);
  void runRtp(Local& l, std::int64_t nowMs);
  void runNat(Local& l, std::int64_t nowMs);
  // The peer's successors, then its fingers, distinct, without itself; at most `max`.
  std::vector<PeerRef> neighbours(const Local& l, std::size_t max) const;
  // Asks every neighbour whose services are not cached for its
  // diagnostics (through `l`'s engine), then runs `then` once all answered
  // or failed.
  void withServices(Local& l, const std::vector<PeerRef>& peers, std::function<void()> then);
  void onDiag(const core::NodeId& id, const std::optional<DiagAns>& ans);
  void emit(AgentCheck c, const Local& l, const plugins::Outcome& o);
  std::optional<double> processRssMB(std::int64_t nowMs);

  boost::asio::io_context& io_;
  UdpHost& host_;
  AgentConfig config_;
  ResultBatcher batcher_;
  ProbeWorkers workers_;
  boost::asio::steady_timer timer_;
  std::int64_t armedFor_ = 0;  // the due time timer_ waits for; 0: idle
  AgentTimetable timetable_;
  std::vector<AgentTimetable::Entry> due_;  // reused by onTimer
  std::vector<std::unique_ptr<Local>> locals_;
  NeighbourCache services_;
  std::unordered_map<core::NodeId, std::vector<std::function<void()>>, core::NodeIdHash> waiters_;
  std::optional<double> rssMB_;
  std::int64_t rssReadMs_ = 0;
  std::atomic<bool> stopped_{false};
  // io thread only; summary() reads them after stop().
  CheckCounts skippedBusy_{};
  CheckCounts skippedJoining_{};
  std::uint64_t diagRequests_ = 0;
};

}  // namespace p2pmon::overlay
