// The dashboard's reads (docs/api.md "Dashboard"): only the small tables
// (`current`, `hosts`, `crawls`, `crawl_peers`) and max(id) of the history,
// so every call stays cheap on a history of millions of results. Reads the
// store's own figures through StoreReader and the rest through its own
// small pool of read-only connections (read_pool.hpp); safe from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "collector/crawl_store.hpp"
#include "collector/read_pool.hpp"
#include "collector/store_reader.hpp"
#include "collector/sqlite_db.hpp"
#include "collector/store_types.hpp"

namespace p2pmon::collector {

// What changes when anything the dashboard shows changes.
struct DataVersion {
  std::int64_t results = 0;             // the newest history id
  std::optional<std::int64_t> crawl;    // the newest crawl id
};

// Filters of GET /api/v1/services: substrings of host and service names
// (case-insensitive), a set of states, a page.
struct ServiceFilter {
  std::optional<std::string> host;
  std::optional<std::string> service;
  std::vector<int> states;  // empty: all
  std::size_t limit = 500;
  std::size_t offset = 0;
};

struct ServicePage {
  std::int64_t total = 0;  // rows matching the filter
  std::vector<ServiceStatus> rows;
};

// One crawl of the overlay history (the `crawls` row's figures only).
struct CrawlPoint {
  std::int64_t id = 0;
  std::string overlay;
  double startedAt = 0;
  std::int64_t found = 0, reachable = 0, unreachable = 0;
  bool consistent = false;
};

class DashboardReader {
 public:
  DashboardReader(StoreReader& store, std::string path)
      : store_(store), pool_(std::move(path)) {}

  DataVersion version();
  std::array<std::int64_t, 4> hostsByState();     // hosts by worst state 0..3
  // Current results that are not OK, worst first (severity), then the oldest
  // state change; at most `limit`, and how many there are.
  ServicePage problems(std::size_t limit);
  ServicePage services(const ServiceFilter& f);
  // Every host's worst state (hosts table), sorted by host.
  std::vector<std::pair<std::string, int>> worstStates();
  // One service's current output / perfdata on every host (nat_behaviour, rtp_quality).
  std::vector<ServiceStatus> currentOf(const std::string& service);
  bool hostKnown(const std::string& host);
  // The newest crawl (of `overlay`): figures only, no documents.
  std::optional<CrawlRow> latestCrawl(const std::optional<std::string>& overlay);
  // A crawl's peers for the ring: CrawlReader::peers with only the
  // successor list of each document's `detail` ({"successors": [...]}).
  std::vector<CrawlPeerRow> ringPeers(std::int64_t crawlId);
  std::vector<CrawlPoint> crawlHistory(const std::optional<std::string>& overlay,
                                       std::size_t limit);
  // The newest crawl record of the peer whose Node-ID starts with `prefix`
  // (8+ lowercase hex digits), looked for in the newest `crawls` crawls
  // that kept their peers.
  std::optional<std::pair<CrawlRow, CrawlPeerRow>> peerRecord(const std::string& prefix,
                                                              std::size_t crawls = 4);

 private:
  StoreReader& store_;
  ReadPool pool_;
};

}  // namespace p2pmon::collector
