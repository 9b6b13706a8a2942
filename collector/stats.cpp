#include "collector/stats.hpp"

#include "core/clock.hpp"

namespace p2pmon::collector {

const char* transportName(Transport t) {
  switch (t) {
    case Transport::Nsca: return "nsca";
    case Transport::Http: return "http";
    case Transport::Nrdp: return "nrdp";
  }
  return "unknown";
}

Stats::Stats() : started_(core::nowSeconds()) {
  for (auto& a : accepted_) a = 0;
}

void Stats::rejected(Transport t, const std::string& reason, std::uint64_t n) {
  std::lock_guard lock(mutex_);
  rejected_[{transportName(t), reason}] += n;
}

std::map<std::pair<std::string, std::string>, std::uint64_t> Stats::rejectedCounts() const {
  std::lock_guard lock(mutex_);
  return rejected_;
}

std::uint64_t Stats::rejectedTotal() const {
  std::lock_guard lock(mutex_);
  std::uint64_t total = 0;
  for (const auto& [key, n] : rejected_) total += n;
  return total;
}

double Stats::uptimeSeconds() const { return core::nowSeconds() - started_; }

}  // namespace p2pmon::collector
