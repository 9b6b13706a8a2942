// Ring analysis on synthetic snapshots: a perfect ring, the same ring just
// after a third of it died and after it healed, two rings bridged by a
// finger, contradictory lists, replica counts and churn.
#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <set>

#include "probes/ring_analysis.hpp"

using namespace p2pmon;
using namespace p2pmon::probes::ring;

namespace {

std::vector<NodeId> randomIds(std::size_t n, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::set<NodeId> ids;
  while (ids.size() < n) ids.insert(NodeId{rng(), rng()});
  return {ids.begin(), ids.end()};
}

// What every peer of a correct ring of `ids` (sorted) reports.
std::vector<CrawledPeer> correctRing(const std::vector<NodeId>& ids, std::size_t succ = 4,
                                     std::size_t pred = 3) {
  const auto n = ids.size();
  std::vector<CrawledPeer> out;
  for (std::size_t i = 0; i < n; ++i) {
    CrawledPeer p;
    p.id = ids[i];
    p.address = "127.0.0.1:" + std::to_string(10000 + i);
    p.reachable = true;
    p.uptimeS = 600;
    for (std::size_t j = 1; j <= std::min(succ, n - 1); ++j) p.successors.push_back(ids[(i + j) % n]);
    for (std::size_t j = 1; j <= std::min(pred, n - 1); ++j) p.predecessors.push_back(ids[(i + n - j) % n]);
    std::set<NodeId> fingers;
    for (int k = 100; k < 128; ++k) {
      const NodeId t = ids[i] + NodeId::powerOfTwo(k);
      auto it = std::lower_bound(ids.begin(), ids.end(), t);
      fingers.insert(it == ids.end() ? ids[0] : *it);
    }
    fingers.erase(ids[i]);
    p.fingers.assign(fingers.begin(), fingers.end());
    out.push_back(p);
  }
  return out;
}

}  // namespace

TEST_CASE("ring analysis: a correct ring of 500 is consistent") {
  const auto ids = randomIds(500, 1);
  const auto r = analyse(correctRing(ids), {}, std::nullopt);
  CHECK(r.found == 500);
  CHECK(r.reachable == 500);
  CHECK(r.ring == ids);
  CHECK(r.rings == std::vector<std::size_t>{500});
  CHECK(r.successorDisagreements == 0);
  CHECK(r.predecessorDisagreements == 0);
  CHECK(r.danglingPointers == 0);
  CHECK(r.successorListGaps == 0);
  CHECK(r.successorLists == 500);
  CHECK(r.unreferenced.empty());
  CHECK(r.fingerAccuracy() == 1.0);
  CHECK(r.sizeEstimate > 350);
  CHECK(r.sizeEstimate < 650);
  CHECK(r.consistent());
  CHECK_FALSE(r.churnKnown);
}

TEST_CASE("ring analysis: a third dead before the ring heals, and after") {
  const auto ids = randomIds(300, 2);
  auto peers = correctRing(ids);
  std::vector<NodeId> survivors;
  for (std::size_t i = 0; i < peers.size(); ++i) {
    if (i % 3 == 0) {
      peers[i] = CrawledPeer{peers[i].id, peers[i].address, false, {}, {}, {}, std::nullopt};
    } else {
      survivors.push_back(peers[i].id);
    }
  }
  auto r = analyse(peers, {}, std::nullopt);
  CHECK(r.found == 300);
  CHECK(r.reachable == 200);
  CHECK_FALSE(r.consistent());
  CHECK(r.danglingNeighbours > 0);
  CHECK(r.danglingPointers >= r.danglingNeighbours);
  CHECK(r.successorDisagreements == 100);  // every peer whose first successor died
  REQUIRE_FALSE(r.danglingSamples.empty());
  CHECK(std::find(survivors.begin(), survivors.end(), r.danglingSamples[0].to) == survivors.end());
  CHECK(r.rings == std::vector<std::size_t>{200});  // the next live successor closes the ring

  auto healed = correctRing(survivors);
  for (std::size_t i = 0; i < peers.size(); i += 3) healed.push_back(peers[i]);  // still unreachable
  r = analyse(healed, {}, std::nullopt);
  CHECK(r.reachable == 200);
  CHECK(r.consistent());
  CHECK(r.danglingPointers == 0);
}

TEST_CASE("ring analysis: two rings bridged by one finger are two rings") {
  const auto all = randomIds(200, 3);
  std::vector<NodeId> a, b;
  for (std::size_t i = 0; i < all.size(); ++i) (i % 2 == 0 ? a : b).push_back(all[i]);
  auto peers = correctRing(a);
  auto other = correctRing(b);
  peers[0].fingers.push_back(b[5]);  // the bridge
  peers.insert(peers.end(), other.begin(), other.end());
  const auto r = analyse(peers, {}, std::nullopt);
  CHECK(r.reachable == 200);
  CHECK(r.rings == std::vector<std::size_t>{100, 100});
  CHECK_FALSE(r.consistent());
  CHECK(r.successorDisagreements == 200);  // every successor skips the other ring's peers
  CHECK(r.danglingPointers == 0);
}

TEST_CASE("ring analysis: contradictory and foreign lists are findings, not failures") {
  const auto ids = randomIds(50, 4);
  auto peers = correctRing(ids);
  peers[7].successors = {ids[20], NodeId{1, 2}, ids[7]};  // a stranger and itself
  peers[8].predecessors.clear();
  peers[9].fingers = {NodeId{3, 4}};
  const auto r = analyse(peers, {}, std::nullopt);
  CHECK(r.successorDisagreements == 1);
  CHECK(r.predecessorDisagreements == 1);
  CHECK(r.successorListGaps == 3);
  CHECK(r.fingers > 0);
  CHECK(r.fingerAccuracy() < 1.0);
  CHECK(r.danglingPointers == 0);  // a stranger is not known dead
  CHECK_FALSE(r.consistent());
  REQUIRE(r.successorSamples.size() == 1);
  CHECK(r.successorSamples[0].peer == ids[7]);
  CHECK(r.successorSamples[0].truth == ids[8]);
}

TEST_CASE("ring analysis: replica counts for sampled keys") {
  const auto ids = randomIds(20, 5);
  const NodeId key = ids[3] + NodeId{0, 1};  // ids[4] is responsible
  const auto r = analyse(correctRing(ids), {{key, {ids[4], ids[6], ids[10]}}}, std::nullopt);
  REQUIRE(r.replicas.size() == 1);
  CHECK(r.replicas[0].responsible == ids[4]);
  CHECK(r.replicas[0].expected == 3);
  CHECK(r.replicas[0].present == 2);  // ids[4] and ids[6]; ids[5] lacks it, ids[10] is not a replica
}

TEST_CASE("ring analysis: churn against the previous crawl") {
  const auto ids = randomIds(10, 6);
  auto peers = correctRing(ids);
  peers[2].uptimeS = 30;  // restarted since the last crawl, 300 s ago
  PreviousCrawl prev;
  prev.ageS = 300;
  for (std::size_t i = 1; i < ids.size(); ++i) prev.peers.push_back({ids[i], 300});
  prev.peers.push_back({NodeId{9, 9}, 100});  // gone now
  const auto r = analyse(peers, {}, prev);
  CHECK(r.churnKnown);
  CHECK(r.joined == std::vector<NodeId>{ids[0]});
  CHECK(r.left == std::vector<NodeId>{NodeId{9, 9}});
  CHECK(r.restarted == std::vector<NodeId>{ids[2]});
}

TEST_CASE("ring analysis: empty and single-peer snapshots") {
  CHECK_FALSE(analyse({}, {}, std::nullopt).consistent());
  CrawledPeer alone{NodeId{1, 1}, "127.0.0.1:1", true, {NodeId{1, 1}}, {NodeId{1, 1}}, {}, 5};
  const auto r = analyse({alone}, {}, std::nullopt);
  CHECK(r.rings == std::vector<std::size_t>{1});
  CHECK(r.consistent());
}
