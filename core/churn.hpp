// Churn between two crawls of an overlay: who joined, who left, who
// restarted in between. One rule for p2pmon-crawl --previous
// (probes/ring_analysis) and the collector's stored crawls
// (collector/crawl_results). Pure.
#pragma once

#include <optional>
#include <vector>

#include "core/node_id.hpp"

namespace p2pmon::core {

struct UptimePeer {
  NodeId id;
  std::optional<double> uptimeS;  // as the peer reported it
};

struct ChurnSets {
  std::vector<NodeId> joined;     // reachable now, not before; in the order of `now`
  std::vector<NodeId> left;       // reachable before, not now; in the order of `before`
  std::vector<NodeId> restarted;  // in both, but up for less than the time between the
                                  // crawls or less than it was then (1 s for rounding)
};

// `before` and `now`: the reachable peers of the earlier crawl and of this
// one (a Node-ID named twice counts once); ageS: seconds between them.
ChurnSets compareCrawls(const std::vector<UptimePeer>& before, const std::vector<UptimePeer>& now,
                        double ageS);

}  // namespace p2pmon::core
