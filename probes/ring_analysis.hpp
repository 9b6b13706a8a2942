// What a crawl snapshot says about a Chord ring (shared/reference/overlay.md
// §6.3): the ring ordered by Node-ID, successor and predecessor agreement,
// peers nobody points to, pointers to dead peers, more than one ring,
// successor-list gaps, finger accuracy, replica counts for sampled keys,
// the overlay's size and churn against the previous crawl. Pure: the
// crawler's observations in, findings out, so a lying peer changes
// findings, never the analysis' running time beyond its bounded input.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/node_id.hpp"

namespace p2pmon::probes::ring {

using core::NodeId;

// One peer as the crawl saw it. Lists are as the peer reported them
// (already bounded by the crawler); an unreachable peer has none.
struct CrawledPeer {
  NodeId id;
  std::string address;
  bool reachable = false;
  std::vector<NodeId> successors;    // nearest first
  std::vector<NodeId> predecessors;  // nearest first
  std::vector<NodeId> fingers;       // distinct finger peers, any order
  std::optional<std::uint32_t> uptimeS;
};

// Which peers answered a Fetch of a sampled key with a copy.
struct ReplicaSample {
  NodeId key;
  std::vector<NodeId> holders;
};

// The previous crawl, for churn: its peers (reachable ones) and when it ran.
struct PreviousPeer {
  NodeId id;
  std::optional<std::uint32_t> uptimeS;
};
struct PreviousCrawl {
  double ageS = 0;  // seconds between the previous crawl and this one
  std::vector<PreviousPeer> peers;
};

struct Pointer {
  NodeId from;
  NodeId to;
  std::string list;  // "successor", "predecessor", "finger"
};
struct Disagreement {
  NodeId peer;
  std::optional<NodeId> says;  // its first successor (predecessor); nullopt: none
  NodeId truth;                // the next (previous) reachable peer in Node-ID order
};
struct ReplicaCount {
  NodeId key;
  NodeId responsible;     // the first reachable peer at or after the key
  std::size_t expected = 0;  // responsible and its successors, up to kReplicas
  std::size_t present = 0;   // of those, how many hold a copy
};

inline constexpr std::size_t kReplicas = 3;  // the record and two successor copies
// Lists longer than this in one finding are cut (the counts stay exact).
inline constexpr std::size_t kMaxListed = 100;

struct RingReport {
  std::size_t found = 0;        // distinct peers in the snapshot
  std::size_t reachable = 0;
  std::vector<NodeId> ring;     // reachable peers in Node-ID order
  std::vector<std::size_t> rings;  // sizes of the cycles the first successors form, largest first
  std::size_t successorDisagreements = 0;
  std::size_t predecessorDisagreements = 0;
  std::vector<Disagreement> successorSamples;    // up to kMaxListed
  std::vector<Disagreement> predecessorSamples;  // up to kMaxListed
  std::vector<NodeId> unreferenced;  // reachable peers in no other reachable peer's lists (all)
  std::size_t danglingPointers = 0;  // to peers the crawl found unreachable, all lists
  std::size_t danglingNeighbours = 0;  // of those, in successor and predecessor lists
  std::vector<Pointer> danglingSamples;  // up to kMaxListed
  std::size_t successorLists = 0;    // lists checked
  std::size_t successorListGaps = 0; // entries that are not the true next peers, all lists
  std::size_t fingers = 0;           // finger entries checked
  std::size_t fingersAccurate = 0;   // the true successor of some n + 2^k
  std::vector<ReplicaCount> replicas;
  double sizeEstimate = 0;           // from successor-list spans (ID density)
  std::vector<NodeId> joined, left, restarted;  // against the previous crawl, when given (all)
  bool churnKnown = false;

  // One ring of every reachable peer, every first successor and
  // predecessor right, no neighbour list naming a dead peer. (Fingers heal
  // later, by design: their accuracy is reported, not required.)
  bool consistent() const;
  double fingerAccuracy() const { return fingers == 0 ? 1.0 : static_cast<double>(fingersAccurate) / static_cast<double>(fingers); }
};

RingReport analyse(const std::vector<CrawledPeer>& peers, const std::vector<ReplicaSample>& samples,
                   const std::optional<PreviousCrawl>& previous);

}  // namespace p2pmon::probes::ring
