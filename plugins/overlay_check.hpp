// The decision of check_p2p_overlay apart from its I/O: given a crawl's
// figures (a live crawl's p2pmon-crawl/1 document, or the collector's
// latest crawl, which carries the same summary and ring objects) and the
// thresholds, what to report. Pure, so every case is unit-tested.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/expected.hpp"
#include "core/range.hpp"
#include "plugins/plugin.hpp"

namespace p2pmon::plugins {

struct OverlayFacts {
  std::string overlay;
  std::vector<std::string> bootstrap;
  double startedAt = 0;  // Unix time
  double seconds = 0;
  std::optional<std::int64_t> crawlId;  // from the collector
  // By address (summary): found = discovered; unreachable = did not answer.
  std::size_t found = 0, reachable = 0, unreachable = 0, unvisited = 0;
  std::map<std::string, std::size_t> errors;  // unreachable peers by stable code
  bool deadlineHit = false, peerLimitHit = false;
  // The ring (by Node-ID).
  bool consistent = false;
  std::vector<std::size_t> rings;  // cycle sizes, largest first; more than one: partition
  std::size_t successorDisagreements = 0, predecessorDisagreements = 0;
  std::size_t danglingPointers = 0, danglingNeighbours = 0;
  double fingerAccuracy = 1;
};

// Reads the figures of a p2pmon-crawl/1 document or of GET
// /api/v1/crawls/latest. Errors: code "bad_reply", naming the field.
core::Expected<OverlayFacts> overlayFactsFromJson(const nlohmann::json& doc);

struct OverlayCheckOptions {
  std::optional<core::Range> peersWarning, peersCritical;  // on peers found
  std::optional<core::Range> unreachableWarning, unreachableCritical;  // on the unreachable %
  core::State inconsistentState = core::State::Warning;  // one ring, but pointers disagree
  core::State partitionState = core::State::Critical;    // more than one ring
  bool fromCollector = false;
  double maxAge = 1800;  // collector mode: seconds after the crawl's end; 0: never stale
  core::State staleState = core::State::Critical;
  int verbose = 0;
};

struct OverlayAnswer {
  // Crawled: the facts hold a crawl (live, or the collector's latest).
  // NoCrawl: the collector has none (of that overlay). Unreachable,
  // BadReply: the collector could not be asked or answered nonsense.
  enum class Kind { Crawled, NoCrawl, Unreachable, BadReply } kind = Kind::Unreachable;
  OverlayFacts facts;
  std::string detail;  // for NoCrawl, Unreachable and BadReply
};

Outcome decideOverlayCheck(const OverlayCheckOptions& o, const OverlayAnswer& a, double now);

}  // namespace p2pmon::plugins
