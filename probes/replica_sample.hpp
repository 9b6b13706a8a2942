// Replica sampling after a crawl: from the record keys the peers reported
// (DiagAns stored keys, each peer's own responsibility), pick a sample,
// ask the peers that should hold each key (the responsible peer and its
// successors in the crawled ring) for it with a FetchReq, and note who
// has a copy. ring_analysis counts expected against present. The pick and
// the expected holders are pure; sampleReplicas is the socket loop.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "probes/chord_crawl.hpp"

namespace p2pmon::probes {

struct ReplicaSampleOptions {
  std::string overlay = "p2pmon";
  std::size_t keys = 16;                   // keys sampled at most
  std::size_t concurrency = 200;           // FetchReqs in flight
  std::chrono::milliseconds timeout{1000};  // per attempt
  int attempts = 3;
  std::uint64_t seed = 0;                  // the sample's order
};

// Up to `max` distinct keys, taken round robin over the peers that
// reported any (in a seeded order), so one peer's records do not fill it.
std::vector<overlay::StoredKey> pickSampleKeys(const std::vector<ChordPeerVisit>& visits,
                                               std::size_t max, std::uint64_t seed);

// The reachable peers by Node-ID (id, index into the visits).
std::vector<std::pair<core::NodeId, std::size_t>> ringOrder(const std::vector<ChordPeerVisit>& visits);
// Indices (into the visits) of the peers that should hold `key`: the first
// at or after it on the ring and its next ones, ring::kReplicas in all.
std::vector<std::size_t> expectedHolders(const std::vector<std::pair<core::NodeId, std::size_t>>& ring,
                                         const core::NodeId& key);

struct ReplicaSampling {
  std::vector<ring::ReplicaSample> samples;
  std::size_t requests = 0;    // FetchReqs sent, retries included
  std::size_t unanswered = 0;  // holders that never answered (counted as not holding)
};

// Throws std::runtime_error only when the socket cannot be opened.
ReplicaSampling sampleReplicas(const ReplicaSampleOptions& o, const std::vector<ChordPeerVisit>& visits);

}  // namespace p2pmon::probes
