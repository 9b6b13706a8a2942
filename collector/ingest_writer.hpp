// The ingest pipeline's single writer thread. Transports hand it batches of
// validated results; it commits everything pending in one transaction (group
// commit), so a burst of small submissions costs one fsync-free WAL commit.
//  - submitAndWait(): for HTTP; returns once the batch is committed (or not).
//  - trySubmit(): for NSCA, which has no acknowledgement; committed within
//    the next commit cycle (well under 100 ms), false when the queue is full
//    so the caller can push back on its peer.
// It also runs retention, keeps the hourly metric roll-ups up to date
// (metric_rollup.hpp) and notifies listeners (the forwarder) on commit.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "collector/stats.hpp"
#include "collector/store_writer.hpp"

namespace p2pmon::collector {

struct WriterOptions {
  std::size_t maxQueuedResults = 200'000;  // bound on results waiting for commit
  double retentionDays = 30;               // 0 keeps history forever
  std::chrono::seconds retentionInterval{600};
  int maxAttempts = 5;  // commits tried for unacknowledged (NSCA) results
};

class IngestWriter {
 public:
  IngestWriter(StoreWriter& store, Stats& stats, WriterOptions options);
  ~IngestWriter();

  void start();
  // Commits what is queued, then stops the thread.
  void stop();

  // True when committed; false with `error` set when the store failed or the
  // queue is full (error "queue_full").
  bool submitAndWait(std::vector<core::CheckResult> results, Transport t, std::string& error);
  bool trySubmit(std::vector<core::CheckResult> results, Transport t);

  // Called on the writer thread after each successful commit with the last id.
  void onCommit(std::function<void(std::int64_t)> listener);

  // Runs `job` on the writer thread after the pending results' commit, so
  // other writes to the database (crawl snapshots, crawl_store.hpp) never
  // compete with the result commits for SQLite's one write lock. Waits for
  // it; false with `error` set when it threw or the writer is stopping.
  bool runAndWait(std::function<void()> job, std::string& error);

 private:
  struct Batch {
    std::vector<core::CheckResult> results;
    Transport transport;
    std::promise<std::string> done;  // empty string: committed
    bool acknowledged;               // someone waits on `done`
    int attempts = 0;
  };
  bool enqueue(Batch batch);
  void run();
  void commit(std::vector<Batch>& group);
  void maybePrune();
  void maybeRollUp(bool stopping);

  StoreWriter& store_;
  Stats& stats_;
  WriterOptions options_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Batch> queue_;
  struct Job {
    std::function<void()> run;
    std::promise<std::string> done;  // empty string: ran
  };
  std::deque<Job> jobs_;
  void runJobs(std::deque<Job>& jobs);
  std::size_t queued_ = 0;
  bool stopping_ = false;
  std::thread thread_;
  std::function<void(std::int64_t)> listener_;
  std::chrono::steady_clock::time_point nextPrune_{};
  std::chrono::steady_clock::time_point nextRollUp_{};
  std::chrono::steady_clock::time_point nextRollUpFlush_{};
  bool backlog_ = false;
};

}  // namespace p2pmon::collector
