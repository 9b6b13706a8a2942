#include "collector/read_pool.hpp"

namespace p2pmon::collector {

std::unique_ptr<Database> ReadPool::take() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      auto db = std::move(idle_.back());
      idle_.pop_back();
      return db;
    }
  }
  return std::make_unique<Database>(path_, true);
}

void ReadPool::give(std::unique_ptr<Database> db) {
  std::lock_guard lock(mutex_);
  if (db && idle_.size() < kIdle) idle_.push_back(std::move(db));
}

}  // namespace p2pmon::collector
