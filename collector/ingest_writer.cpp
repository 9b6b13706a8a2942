#include "collector/ingest_writer.hpp"

#include <iterator>

#include "core/clock.hpp"
#include "core/log.hpp"

namespace p2pmon::collector {

IngestWriter::IngestWriter(StoreWriter& store, Stats& stats, WriterOptions options)
    : store_(store), stats_(stats), options_(options) {}

IngestWriter::~IngestWriter() { stop(); }

void IngestWriter::start() {
  nextPrune_ = std::chrono::steady_clock::now();
  thread_ = std::thread([this] { run(); });
}

void IngestWriter::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void IngestWriter::onCommit(std::function<void(std::int64_t)> listener) {
  listener_ = std::move(listener);
}

bool IngestWriter::enqueue(Batch batch) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || queued_ + batch.results.size() > options_.maxQueuedResults) return false;
    queued_ += batch.results.size();
    stats_.queuedResults = static_cast<std::int64_t>(queued_);
    queue_.push_back(std::move(batch));
  }
  wake_.notify_one();
  return true;
}

bool IngestWriter::submitAndWait(std::vector<core::CheckResult> results, Transport t,
                                 std::string& error) {
  if (results.empty()) return true;
  Batch b{std::move(results), t, {}, true};
  auto done = b.done.get_future();
  if (!enqueue(std::move(b))) {
    error = "queue_full";
    return false;
  }
  error = done.get();
  return error.empty();
}

bool IngestWriter::trySubmit(std::vector<core::CheckResult> results, Transport t) {
  if (results.empty()) return true;
  return enqueue(Batch{std::move(results), t, {}, false});
}

bool IngestWriter::runAndWait(std::function<void()> job, std::string& error) {
  Job j{std::move(job), {}};
  auto done = j.done.get_future();
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      error = "stopping";
      return false;
    }
    jobs_.push_back(std::move(j));
  }
  wake_.notify_one();
  error = done.get();
  return error.empty();
}

void IngestWriter::runJobs(std::deque<Job>& jobs) {
  for (auto& j : jobs) {
    try {
      j.run();
      j.done.set_value("");
    } catch (const std::exception& e) {
      core::logError(std::string("store job failed: ") + e.what());
      j.done.set_value(e.what());
    }
  }
  jobs.clear();
}

void IngestWriter::run() {
  std::vector<Batch> group;
  std::deque<Job> jobs;
  while (true) {
    bool done = false;
    {
      std::unique_lock lock(mutex_);
      // With roll-up backlog, only look for work and go on with it.
      wake_.wait_for(lock, backlog_ ? std::chrono::seconds(0) : std::chrono::seconds(1),
                     [&] { return stopping_ || !queue_.empty() || !jobs_.empty(); });
      // Everything pending goes into one transaction.
      while (!queue_.empty()) {
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      jobs.swap(jobs_);
      done = group.empty() && jobs.empty() && stopping_;
    }
    if (done) {
      maybeRollUp(true);  // writes the gathered roll-up cells
      return;
    }
    if (!group.empty()) commit(group);
    runJobs(jobs);
    maybePrune();
    maybeRollUp(false);
  }
}

void IngestWriter::commit(std::vector<Batch>& group) {
  // The results move into one array for the store and back afterwards (a
  // failed batch may be retried; the sizes are what the counters need).
  std::vector<core::CheckResult> all;
  std::size_t total = 0;
  for (const auto& b : group) total += b.results.size();
  all.reserve(total);
  for (auto& b : group) std::move(b.results.begin(), b.results.end(), std::back_inserter(all));
  std::string error;
  std::int64_t lastId = 0;
  try {
    lastId = store_.append(all, core::nowSeconds());
  } catch (const std::exception& e) {
    error = e.what();
  }
  {
    auto from = all.begin();
    for (auto& b : group) {
      std::move(from, from + static_cast<std::ptrdiff_t>(b.results.size()), b.results.begin());
      from += static_cast<std::ptrdiff_t>(b.results.size());
    }
  }
  std::vector<Batch> retry;
  if (error.empty()) {
    ++stats_.commits;
    stats_.duplicates += store_.lastDuplicates();
    for (auto& b : group) {
      stats_.accepted(b.transport, b.results.size());
      if (b.acknowledged) b.done.set_value("");
    }
  } else {
    ++stats_.commitFailures;
    core::logError("commit of " + std::to_string(total) + " results failed: " + error);
    for (auto& b : group) {
      if (b.acknowledged) {
        b.done.set_value("store_failed");  // the client was told nothing; it retries
      } else if (++b.attempts < options_.maxAttempts) {
        retry.push_back(std::move(b));
      } else {
        stats_.rejected(b.transport, "store_failed", b.results.size());
      }
    }
  }
  {
    std::lock_guard lock(mutex_);
    queued_ -= total;
    for (auto& b : retry) {
      queued_ += b.results.size();
      queue_.push_front(std::move(b));
    }
    stats_.queuedResults = static_cast<std::int64_t>(queued_);
  }
  group.clear();
  if (!retry.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  if (error.empty() && listener_) listener_(lastId);
}

void IngestWriter::maybePrune() {
  if (options_.retentionDays <= 0) return;
  auto now = std::chrono::steady_clock::now();
  if (now < nextPrune_) return;
  nextPrune_ = now + options_.retentionInterval;
  const double before = core::nowSeconds() - options_.retentionDays * 86400.0;
  try {
    // Chunks keep each transaction short so ingest waits at most one chunk;
    // the bound on rounds keeps one pass from starving ingest.
    std::size_t removed = 0;
    for (int round = 0; round < 100; ++round) {
      std::size_t n = store_.pruneHistory(before, 10'000);
      removed += n;
      if (n == 0) break;
    }
    // Far behind: come back soon rather than in a full interval.
    if (removed >= 100 * 10'000) nextPrune_ = now + std::chrono::seconds(1);
    stats_.prunedResults += removed;
    if (removed > 0) core::logInfo("retention removed " + std::to_string(removed) + " results");
    store_.rollups().prune(before);
  } catch (const std::exception& e) {
    core::logError(std::string("retention failed: ") + e.what());
  }
}

void IngestWriter::maybeRollUp(bool stopping) {
  // About once a second the new history rows are read into memory (their
  // pages are still cached); a backlog (a history from before schema 5) is
  // read in chunks for at most ~100 ms per wake-up, so ingest waits at most
  // that long behind it. Cells are written every 30 s, when many have
  // gathered, and at stop.
  auto now = std::chrono::steady_clock::now();
  if (now < nextRollUp_ && !stopping) return;
  constexpr std::size_t kChunk = 20'000;
  constexpr std::size_t kMaxPendingCells = 200'000;
  auto& rollups = store_.rollups();
  const auto budget = now + std::chrono::milliseconds(100);
  try {
    std::size_t rows = 0;
    do {
      rows = rollups.read(kChunk);
    } while (rows == kChunk && rollups.pending() < kMaxPendingCells &&
             std::chrono::steady_clock::now() < budget);
    if (stopping || rollups.pending() >= kMaxPendingCells || now >= nextRollUpFlush_ ||
        (rows < kChunk && backlog_)) {
      rollups.flush();
      nextRollUpFlush_ = now + std::chrono::seconds(30);
    }
    backlog_ = rows == kChunk;
    nextRollUp_ = backlog_ ? now : now + std::chrono::seconds(1);
    stats_.rollupLag = rollups.lag();
  } catch (const std::exception& e) {
    core::logError(std::string("metric roll-up failed: ") + e.what());
    nextRollUp_ = now + std::chrono::seconds(10);
  }
}

}  // namespace p2pmon::collector
