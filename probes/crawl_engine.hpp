// The crawler's engine, which knows nothing of the protocol (Nebula's
// split, shared/reference/overlay.md §4): breadth first from bootstrap
// addresses, at most `concurrency` requests in flight, a timeout and a
// bounded number of attempts per peer, every address visited once, and
// bounds on what one answer may add and on the whole crawl, so a lying peer
// can neither make it loop, nor explode, nor stall. Sans-I/O: a driver
// sends what take() returns and reports answers, failures and the time.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace p2pmon::probes::crawl {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

struct CrawlLimits {
  std::size_t concurrency = 200;              // requests in flight
  int attempts = 3;                           // per peer, the first included
  std::chrono::milliseconds timeout{1000};    // per attempt
  std::size_t maxPeers = 100'000;             // distinct addresses a crawl visits
  std::size_t maxNeighbours = 512;            // addresses taken from one answer
  std::chrono::milliseconds maxDuration{600'000};  // then nothing new is sent
};

enum class VisitState { queued, inFlight, answered, failed };

struct Visit {
  std::string address;
  VisitState state = VisitState::queued;
  int attempts = 0;            // requests sent
  std::string error;           // the last failure's stable code (failed: why)
  double rttMs = 0;            // of the answered attempt
  std::size_t neighboursGiven = 0;  // addresses the answer named
  std::size_t neighboursNew = 0;    // of those, first seen here
};

struct Request {
  std::string address;
  std::uint64_t token = 0;  // hand back with the outcome
  int attempt = 1;
};

struct CrawlSummary {
  std::size_t discovered = 0;    // distinct addresses (visits)
  std::size_t answered = 0;
  std::size_t failed = 0;
  std::size_t unvisited = 0;     // discovered but never asked (a bound or the deadline came first)
  std::size_t requests = 0;      // sent, retries included
  std::size_t lateAnswers = 0;   // for attempts already timed out: ignored
  std::size_t neighboursCut = 0; // addresses dropped by maxNeighbours
  bool peerLimitHit = false;     // maxPeers: more addresses were named than visited
  bool deadlineHit = false;      // maxDuration passed
  std::map<std::string, std::size_t> errors;  // failed visits by code
};

class CrawlEngine {
 public:
  CrawlEngine(CrawlLimits limits, const std::vector<std::string>& bootstrap, TimePoint now);

  // The requests to send now: queued addresses (retries first) while fewer
  // than `concurrency` are in flight and the deadline has not passed.
  std::vector<Request> take(TimePoint now);
  // The peer behind `token` answered and named these neighbours.
  void answered(std::uint64_t token, const std::vector<std::string>& neighbours, TimePoint now);
  // It failed with a stable code; tried again while attempts are left and
  // `retry` says the failure may pass (a timeout may; a refusal will not).
  void failed(std::uint64_t token, const std::string& error, bool retry, TimePoint now);
  // Attempts older than the timeout fail with "timeout" (and are retried).
  void tick(TimePoint now);

  std::optional<TimePoint> nextDeadline() const;  // the next timeout, if any in flight
  bool done() const;
  std::size_t inFlight() const { return inFlight_.size(); }

  // In discovery order: bootstrap first, then breadth first.
  const std::vector<Visit>& visits() const { return visits_; }
  std::optional<std::size_t> indexOf(const std::string& address) const;
  // The visit a token belongs to (while it is in flight).
  std::optional<std::size_t> visitOf(std::uint64_t token) const;
  CrawlSummary summary() const;

 private:
  struct Attempt {
    std::size_t visit;
    TimePoint sent;
  };
  void discover(const std::string& address);
  void fail(std::size_t visit, const std::string& error, bool retry);
  std::optional<Attempt> settle(std::uint64_t token);

  CrawlLimits limits_;
  TimePoint deadline_;
  bool deadlineHit_ = false;
  std::vector<Visit> visits_;
  std::unordered_map<std::string, std::size_t> index_;
  std::deque<std::size_t> queue_;    // new addresses, breadth first
  std::deque<std::size_t> retries_;  // sent before new ones
  std::unordered_map<std::uint64_t, Attempt> inFlight_;
  // Send order is timeout order; settled entries are dropped lazily.
  mutable std::deque<std::pair<TimePoint, std::uint64_t>> expiry_;
  std::uint64_t nextToken_ = 1;
  std::size_t requests_ = 0;
  std::size_t late_ = 0;
  std::size_t cut_ = 0;
  bool peerLimitHit_ = false;
};

std::string_view name(VisitState s);

}  // namespace p2pmon::probes::crawl
