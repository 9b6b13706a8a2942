// A small pool of read-only SQLite connections to one database file, safe
// from any thread (WAL lets them read while the writer commits): a lease
// takes an idle connection or opens one, and gives it back at the end of
// its scope; at most kIdle stay open. Used by CrawlReader and
// DashboardReader (StoreReader bounds its pool and waits instead).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "collector/sqlite_db.hpp"

namespace p2pmon::collector {

class ReadPool {
 public:
  explicit ReadPool(std::string path) : path_(std::move(path)) {}

  class Lease {
   public:
    explicit Lease(ReadPool& pool) : pool_(pool), db_(pool.take()) {}
    ~Lease() { pool_.give(std::move(db_)); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Database& operator*() { return *db_; }
    Database* operator->() { return db_.get(); }

   private:
    ReadPool& pool_;
    std::unique_ptr<Database> db_;
  };
  Lease lease() { return Lease(*this); }

 private:
  static constexpr std::size_t kIdle = 4;
  std::unique_ptr<Database> take();
  void give(std::unique_ptr<Database> db);

  std::string path_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Database>> idle_;
};

}  // namespace p2pmon::collector
