// The collector's own health counters: results accepted per transport,
// rejected per transport and reason, commits, NSCA connections, forwarding.
// Rendered as /api/v1/status JSON and Prometheus text (p2pmon watching itself).
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace p2pmon::collector {

enum class Transport { Nsca = 0, Http = 1, Nrdp = 2 };
inline constexpr int kTransports = 3;
const char* transportName(Transport t);

class Stats {
 public:
  Stats();

  void accepted(Transport t, std::uint64_t n) { accepted_[static_cast<int>(t)] += n; }
  void rejected(Transport t, const std::string& reason, std::uint64_t n = 1);

  std::uint64_t acceptedCount(Transport t) const { return accepted_[static_cast<int>(t)].load(); }
  std::map<std::pair<std::string, std::string>, std::uint64_t> rejectedCounts() const;
  std::uint64_t rejectedTotal() const;
  double uptimeSeconds() const;

  std::atomic<std::uint64_t> commits{0};
  std::atomic<std::uint64_t> commitFailures{0};
  std::atomic<std::int64_t> queuedResults{0};
  std::atomic<std::uint64_t> nscaConnections{0};
  std::atomic<std::int64_t> nscaActiveConnections{0};
  std::atomic<std::uint64_t> forwarded{0};
  std::atomic<std::uint64_t> forwardWaits{0};  // times the command file had no reader
  std::atomic<std::int64_t> forwardLag{0};     // results committed but not yet forwarded
  std::atomic<std::uint64_t> prunedResults{0};
  std::atomic<std::int64_t> rollupLag{0};  // history rows not rolled up yet (metric_rollup.hpp)
  // Accepted but not stored again: an identical result was stored already
  // (an agent resending a batch whose reply it did not get).
  std::atomic<std::uint64_t> duplicates{0};

 private:
  std::atomic<std::uint64_t> accepted_[kTransports];
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, std::string>, std::uint64_t> rejected_;
  double started_;
};

}  // namespace p2pmon::collector
