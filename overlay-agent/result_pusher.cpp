#include "overlay-agent/result_pusher.hpp"

#include <algorithm>
#include <exception>
#include <string>

#include "core/clock.hpp"
#include "core/log.hpp"

namespace p2pmon::agent {

namespace {
// Refusals are logged one by one up to this many per batch, then summed up.
constexpr std::size_t kLoggedRefusals = 5;

std::string describe(const core::CheckResult& r) {
  return r.service.empty() ? r.host : r.host + "/" + r.service;
}
}  // namespace

bool isUtf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if (c >= 0xC2 && c <= 0xDF) {
      n = 1;
      cp = c & 0x1Fu;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2;
      cp = c & 0x0Fu;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3;
      cp = c & 0x07u;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;  // the sequence is cut off
    for (std::size_t k = 1; k <= n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0u) != 0x80u) return false;
      cp = (cp << 6) | (cc & 0x3Fu);
    }
    // Overlong forms, surrogates and code points past U+10FFFF.
    if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

ResultPusher::ResultPusher(std::unique_ptr<ResultSpool> spool,
                           std::unique_ptr<core::ResultSink> sink, PusherOptions options)
    : spool_(std::move(spool)),
      sink_(std::move(sink)),
      options_(options),
      backoff_(options.retryMin) {
  thread_ = std::thread([this] { run(); });
}

ResultPusher::~ResultPusher() { stop(std::chrono::milliseconds(0)); }

void ResultPusher::submit(std::vector<core::CheckResult> results) {
  const double now = core::nowSeconds();
  std::vector<core::CheckResult> valid;
  valid.reserve(results.size());
  std::uint64_t refused = 0;
  for (auto& r : results) {
    std::optional<core::Error> invalid = core::validate(r, now);
    if (!invalid && options_.requireUtf8 &&
        !(isUtf8(r.host) && isUtf8(r.service) && isUtf8(r.output) && isUtf8(r.perfdata) &&
          isUtf8(r.source))) {
      invalid = core::makeError("bad_encoding", "text is not UTF-8, which JSON cannot carry");
    }
    if (invalid) {
      core::logWarning("result " + describe(r) + " dropped: " + invalid->code + ": " +
                       invalid->message);
      ++refused;
      continue;
    }
    valid.push_back(std::move(r));
  }
  {
    std::lock_guard lock(mutex_);
    stats_.submitted += results.size();
    stats_.rejected += refused;
    if (auto err = spool_->append(valid)) {
      writeLost_ += valid.size();
      core::logError("spool: " + std::to_string(valid.size()) + " results lost: " + err->message);
    }
  }
  wake_.notify_one();
}

OutboxStats ResultPusher::stats() const {
  std::lock_guard lock(mutex_);
  OutboxStats s = stats_;
  s.droppedFull = spool_->counters().droppedFull + writeLost_;
  s.queued = spool_->size();
  s.queuedBytes = spool_->bytes();
  return s;
}

void ResultPusher::stop(std::chrono::milliseconds grace) {
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    stopped_ = true;
    stopping_ = true;
    deadline_ = Clock::now() + grace;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mutex_);
  core::logInfo("results: " + std::to_string(stats_.sent) + " sent to " + sink_->describe() +
                ", " + std::to_string(spool_->size()) + " left in the spool" +
                (spool_->persistent() ? " for the next start" : " (in memory: lost)"));
}

// Waits until a batch is due: a full one, a partial one that has waited
// flushInterval, or, once stopping, whatever is queued until the deadline.
// False: stop now.
bool ResultPusher::waitForBatch(std::unique_lock<std::mutex>& lock) {
  while (true) {
    const std::uint64_t queued = spool_->size();
    if (stopping_) return queued > 0 && Clock::now() < deadline_;
    if (queued >= options_.batchSize) return true;
    if (queued == 0) {
      partialSince_.reset();
      wake_.wait(lock);
      continue;
    }
    if (!partialSince_) partialSince_ = Clock::now();
    const auto due = *partialSince_ + options_.flushInterval;
    if (Clock::now() >= due) return true;
    wake_.wait_until(lock, due);
  }
}

// Sleeps until `at`, or the stop deadline when that is sooner; submissions
// do not cut it short.
void ResultPusher::waitToRetry(std::unique_lock<std::mutex>& lock, Clock::time_point at) {
  while (true) {
    const auto until = stopping_ ? std::min(at, deadline_) : at;
    if (Clock::now() >= until) return;
    wake_.wait_until(lock, until);
  }
}

void ResultPusher::run() {
  std::unique_lock lock(mutex_);
  while (waitForBatch(lock)) {
    std::vector<core::CheckResult> batch = spool_->peek(options_.batchSize);
    if (batch.empty()) continue;
    partialSince_.reset();
    lock.unlock();
    const core::SendReport report = send(batch);
    lock.lock();
    if (!report.ok()) {
      failed(*report.failure);
      waitToRetry(lock, Clock::now() + backoff_);
      backoff_ = std::min(backoff_ * 2, options_.retryMax);
      continue;
    }
    delivered(batch, report);
    spool_->ack(batch.size());
  }
}

core::SendReport ResultPusher::send(const std::vector<core::CheckResult>& batch) {
  try {
    return sink_->send(batch);
  } catch (const std::exception& e) {
    // The sink contract says it never throws; if one does anyway, retrying
    // the same batch would block the spool forever: its results are dropped.
    core::logError("results: " + sink_->describe() + " failed on a batch of " +
                   std::to_string(batch.size()) + " results, dropped: " + e.what());
    core::SendReport report;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      report.rejected.push_back({i, core::makeError("sink_error", e.what())});
    }
    return report;
  }
}

void ResultPusher::failed(const core::Error& error) {
  ++stats_.sendFailures;
  if (!stats_.farEndUp) return;
  stats_.farEndUp = false;
  core::logWarning("collector unreachable: " + sink_->describe() + ": " + error.code + ": " +
                   error.message + "; " + std::to_string(spool_->size()) +
                   " results wait in the spool, retrying with backoff up to " +
                   (options_.retryMax.count() % 1000 == 0
                        ? std::to_string(options_.retryMax.count() / 1000) + " s"
                        : std::to_string(options_.retryMax.count()) + " ms"));
}

void ResultPusher::delivered(const std::vector<core::CheckResult>& batch,
                             const core::SendReport& report) {
  backoff_ = options_.retryMin;
  if (!stats_.farEndUp) {
    stats_.farEndUp = true;
    core::logInfo("collector back: " + sink_->describe() + "; sending " +
                  std::to_string(spool_->size()) + " queued results");
  }
  stats_.sent += report.accepted;
  stats_.rejected += report.rejected.size();
  for (std::size_t k = 0; k < report.rejected.size() && k < kLoggedRefusals; ++k) {
    const auto& rej = report.rejected[k];
    core::logWarning("result " + describe(batch[rej.index]) + " refused by " +
                     sink_->describe() + ", dropped: " + rej.error.code + ": " + rej.error.message);
  }
  if (report.rejected.size() > kLoggedRefusals) {
    core::logWarning("and " + std::to_string(report.rejected.size() - kLoggedRefusals) +
                     " more results of the batch refused by " + sink_->describe());
  }
}

}  // namespace p2pmon::agent
