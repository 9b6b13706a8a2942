// A crawl snapshot as POST /api/v1/crawls takes it: the `p2pmon-crawl/1`
// JSON document (docs/crawl.md), parsed and checked strictly (docs/api.md
// lists every rule), so that nothing half-valid reaches the store. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/expected.hpp"

namespace p2pmon::collector {

struct CrawlDocLimits {
  std::size_t maxPeers = 50'000;   // peers in one document
  std::size_t maxList = 512;       // entries of one successor/predecessor/finger list
  std::size_t maxBootstrap = 64;
  std::size_t maxRingBytes = 8u << 20;  // the ring object as stored (JSON text)
};

struct CrawlPeerDoc {
  std::optional<std::string> nodeId;  // 32 lowercase hex digits; none: nobody named it
  std::string address;
  bool reachable = false;
  std::optional<std::string> error;  // stable code, when unreachable
  std::optional<double> rttMs;
  std::int64_t attempts = 0;
  std::optional<std::string> softwareVersion;
  std::optional<std::int64_t> uptimeS;
  std::vector<std::string> successors, predecessors, fingers;  // Node-IDs, nearest first
  // The peer's object without the fields above that have columns: its lists,
  // services, storage counts and whatever later crawlers add.
  nlohmann::ordered_json detail;
};

struct CrawlDoc {
  std::string overlay;
  double startedAt = 0;
  double seconds = 0;
  nlohmann::ordered_json bootstrap;  // array of strings
  nlohmann::ordered_json summary;    // as sent
  nlohmann::ordered_json ring;       // as sent, without `order` (the reachable peers by Node-ID)
  // From summary and ring, checked against the peers:
  std::size_t discovered = 0, answered = 0, failed = 0, unvisited = 0;
  bool consistent = false;
  std::vector<std::int64_t> rings;  // cycle sizes, largest first
  std::int64_t danglingPointers = 0;
  std::vector<CrawlPeerDoc> peers;  // in the document's (discovery) order
};

// Errors: code "bad_json" (not JSON) or "bad_crawl" with the first broken
// rule, naming the field ("peers[3].node_id: not 32 lowercase hex digits").
// `now` bounds started_at: the crawl may not end more than an hour ahead.
core::Expected<CrawlDoc> parseCrawlDocument(std::string_view body, double now,
                                            const CrawlDocLimits& limits = {});

}  // namespace p2pmon::collector
