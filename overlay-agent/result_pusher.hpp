// ResultPusher: the ResultOutbox of the embedded agent. submit() appends to
// a ResultSpool; one thread drains the spool into a core::ResultSink (the
// collector's HTTP API or an NSCA server) in batches, oldest first, and
// acknowledges a batch in the spool only once the sink reports it delivered.
// While the far end is away it retries with exponential backoff, logging the
// "unreachable" and "back" transitions once each.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "core/result_sink.hpp"
#include "overlay-agent/result_outbox.hpp"
#include "overlay-agent/result_spool.hpp"

namespace p2pmon::agent {

struct PusherOptions {
  std::size_t batchSize = 500;
  std::chrono::milliseconds flushInterval{1000};  // a partial batch waits at most this long
  std::chrono::milliseconds retryMin{1000};       // first wait after a transport failure
  std::chrono::milliseconds retryMax{30000};      // doubling up to this
  bool requireUtf8 = false;  // the sink speaks JSON: text that is not UTF-8 is refused at submit
};

class ResultPusher final : public ResultOutbox {
 public:
  // Starts the thread at once.
  ResultPusher(std::unique_ptr<ResultSpool> spool, std::unique_ptr<core::ResultSink> sink,
               PusherOptions options);
  ~ResultPusher() override;  // stop() with no grace unless stopped already

  void submit(std::vector<core::CheckResult> results) override;
  OutboxStats stats() const override;
  // A send in progress is waited for (bounded by the sink's timeout).
  void stop(std::chrono::milliseconds grace) override;

 private:
  using Clock = std::chrono::steady_clock;
  void run();
  bool waitForBatch(std::unique_lock<std::mutex>& lock);
  void waitToRetry(std::unique_lock<std::mutex>& lock, Clock::time_point at);
  core::SendReport send(const std::vector<core::CheckResult>& batch);
  void delivered(const std::vector<core::CheckResult>& batch, const core::SendReport& report);
  void failed(const core::Error& error);

  std::unique_ptr<ResultSpool> spool_;
  std::unique_ptr<core::ResultSink> sink_;
  const PusherOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  OutboxStats stats_;
  std::uint64_t writeLost_ = 0;  // results the spool could not write (counted as droppedFull)
  std::optional<Clock::time_point> partialSince_;
  std::chrono::milliseconds backoff_;
  bool stopping_ = false;
  bool stopped_ = false;
  Clock::time_point deadline_{};
  std::thread thread_;
};

// True when `s` is well-formed UTF-8 (what a JSON sink can carry).
bool isUtf8(std::string_view s);

// The agent's outbox for `config`: its sink (HTTP when httpUrl is set, else
// NSCA), its spool (config.spoolDir, or memory) and a running pusher.
// Errors: "bad_config", and the spool's "spool_locked" and "spool_io".
core::Expected<std::unique_ptr<ResultOutbox>> makeOutbox(const PushConfig& config);

}  // namespace p2pmon::agent
