// What both load generators share: the results they send (the same mix of
// states, outputs and perfdata for NSCA and HTTP, so their figures compare)
// and the first error any worker thread hit.
#pragma once

#include <atomic>
#include <cstddef>
#include <mutex>
#include <string>

namespace p2pmon::bench {

// Result k: mostly OK, some WARNING and CRITICAL, as a real overlay reports.
inline int sampleState(std::size_t k) { return k % 20 == 0 ? 2 : (k % 7 == 0 ? 1 : 0); }

inline std::string sampleOutput(std::size_t k, const std::string& host) {
  const int state = sampleState(k);
  return std::string(state == 0 ? "OK" : state == 1 ? "WARNING" : "CRITICAL") +
         " - overlay lookup via " + host + " took " + std::to_string(10 + k % 90) + " ms";
}

inline std::string samplePerfdata(std::size_t k) {
  return "rtt=" + std::to_string(10 + k % 90) + "ms;100;200;0 hops=" + std::to_string(1 + k % 6) +
         ";;;0 loss=0%;5;10;0;100";
}

class FirstError {
 public:
  void fail(const std::string& what) {
    std::lock_guard lock(mutex_);
    if (first_.empty()) first_ = what;
    failed_ = true;
  }
  bool failed() const { return failed_; }
  std::string first() const {
    std::lock_guard lock(mutex_);
    return first_;
  }

 private:
  mutable std::mutex mutex_;
  std::string first_;
  std::atomic<bool> failed_{false};
};

}  // namespace p2pmon::bench
