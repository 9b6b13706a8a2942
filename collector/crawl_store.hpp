// Crawl snapshots in the collector's SQLite store (schema 4: tables
// `crawls` and `crawl_peers`, store_schema.cpp). CrawlStore writes: one
// crawl and its peers in one transaction, with retention, on the ingest
// writer's thread (IngestWriter::runAndWait), so the database keeps one
// writer. CrawlReader reads through its own small pool of read-only
// connections, safe from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "collector/crawl_document.hpp"
#include "collector/crawl_results.hpp"
#include "collector/read_pool.hpp"
#include "collector/sqlite_db.hpp"

namespace p2pmon::collector {

struct CrawlRetention {
  std::size_t keepPeers = 100;  // newest crawls per overlay that keep their peers; 0: all
  double days = 30;             // whole crawls older than this go; 0: never
};

struct StoredCrawl {
  std::int64_t id = 0;
  bool duplicate = false;        // the same overlay and started_at was stored before
  std::optional<Churn> churn;    // against the overlay's previous crawl, when it has its peers
};

class CrawlStore {
 public:
  // The schema must be migrated already (StoreWriter's constructor does).
  CrawlStore(const std::string& path, CrawlRetention retention);

  // Stores the crawl, its peers and their verdicts (judgePeers, by index)
  // in one transaction, then applies retention. Throws std::runtime_error
  // when the store fails (nothing is then stored). Writer thread only.
  StoredCrawl insert(const CrawlDoc& doc, const std::vector<PeerVerdict>& verdicts,
                     double received);

 private:
  std::optional<Churn> churnAgainstPrevious(const CrawlDoc& doc);
  void applyRetention(const std::string& overlay, std::int64_t keep, double now);

  Database db_;
  CrawlRetention retention_;
};

// One crawl as the API lists it (the `crawls` row).
struct CrawlRow {
  std::int64_t id = 0;
  std::string overlay;
  double startedAt = 0, seconds = 0, received = 0;
  std::int64_t found = 0, reachable = 0, unreachable = 0, unvisited = 0, dangling = 0;
  bool consistent = false;
  std::string rings;  // JSON array of cycle sizes
  std::optional<Churn> churn;
  bool peersStored = false;
  std::string bootstrap, summary, ring;  // JSON texts
};

struct CrawlPeerRow {
  std::optional<std::string> nodeId;
  std::string address;
  bool reachable = false;
  std::optional<std::string> error;
  std::optional<double> rttMs;
  std::int64_t attempts = 0;
  std::optional<std::string> softwareVersion;
  std::optional<std::int64_t> uptimeS;
  std::optional<std::string> successor, predecessor;
  std::optional<int> state;  // its overlay_neighbours state
  std::string detail;        // JSON object text
};

struct CrawlQuery {
  std::optional<std::string> overlay;
  std::optional<double> before;  // started_at < before
  std::size_t limit = 100;       // newest first
};

class CrawlReader {
 public:
  explicit CrawlReader(std::string path) : pool_(std::move(path)) {}

  std::vector<CrawlRow> list(const CrawlQuery& q);
  std::optional<CrawlRow> get(std::int64_t id);
  // The newest by started_at (of `overlay`, when given).
  std::optional<CrawlRow> latest(const std::optional<std::string>& overlay);
  std::vector<CrawlPeerRow> peers(std::int64_t crawlId);  // in the document's order

 private:
  ReadPool pool_;
};

}  // namespace p2pmon::collector
