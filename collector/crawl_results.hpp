// What a stored crawl says about each peer, as the passive check result
// `overlay_neighbours` of host `peer-XXXXXXXX` (docs/api.md), and the churn
// against the overlay's previous crawl. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "collector/crawl_document.hpp"
#include "core/check_result.hpp"

namespace p2pmon::collector {

inline constexpr const char* kNeighboursService = "overlay_neighbours";

// "peer-" and the first 8 hex digits of the Node-ID (DESIGN.md).
std::string peerHostName(const std::string& nodeId);

struct PeerVerdict {
  std::size_t index = 0;  // into CrawlDoc::peers
  core::CheckResult result;
};

// One verdict per Node-ID (a reachable sighting wins over an unreachable one,
// then the first): OK when the peer answered and its first successor and
// predecessor are the next and previous reachable peers in Node-ID order
// and its successor and predecessor lists name no unreachable peer;
// WARNING when not; CRITICAL when it did not answer. Peers nobody named
// (no Node-ID) get none. `source` is e.g. "crawl:12".
std::vector<PeerVerdict> judgePeers(const CrawlDoc& doc, const std::string& source);

struct ChurnPeer {
  std::string nodeId;
  std::optional<std::int64_t> uptimeS;
};
struct Churn {
  std::int64_t joined = 0, left = 0, restarted = 0;
};
// Reachable peers against those of the previous crawl (ageS seconds
// before): joined, left, and restarted (up for less than the time between
// the crawls, or less than it was then; 1 s for rounding): the rule of
// core/churn.hpp, which p2pmon-crawl --previous uses too.
Churn computeChurn(const std::vector<ChurnPeer>& previous, double ageS, const CrawlDoc& now);

}  // namespace p2pmon::collector
