// The Chord engine in the simulation: 1,000 peers on a fake network and
// clock, in one process, deterministically.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "overlay-agent/wire_codec.hpp"
#include "tests/support/sim_network.hpp"

using namespace p2pmon;
using namespace p2pmon::overlay;
using p2pmon::test::SimNetwork;

namespace {
constexpr std::size_t kPeers = 1000;

// Joins `n` peers through the first one, a few at a time, and runs until the
// ring is right or `maxSeconds` of simulated time pass; returns the seconds.
std::int64_t buildRing(SimNetwork& net, std::size_t n, std::int64_t maxSeconds) {
  auto& first = net.add(net.config(), {});
  const Endpoint boot = first.config().endpoint;
  for (std::size_t i = 1; i < n; ++i) {
    net.add(net.config(), {boot});
    if (i % 20 == 0) net.runFor(100);
  }
  for (std::int64_t s = 1; s <= maxSeconds; ++s) {
    net.runFor(1000);
    auto ring = test::sortedRing(net.alive());
    const auto joined = std::count_if(ring.begin(), ring.end(), [](ChordPeer* p) { return p->joined(); });
    const auto wrong = test::wrongPointers(ring);
    if (joined == static_cast<std::ptrdiff_t>(ring.size()) && wrong == 0) return s;
    if (s == maxSeconds) MESSAGE("not converged: joined ", joined, " of ", ring.size(), ", wrong pointers ", wrong);
  }
  return -1;
}

ChordPeer* responsibleFor(const std::vector<ChordPeer*>& ring, const NodeId& id) {
  for (auto* p : ring) {
    if (p->config().id >= id) return p;
  }
  return ring.front();
}

std::size_t copiesOf(const std::vector<ChordPeer*>& peers, const Record& r) {
  const NodeId id = resourceIdOf(r.kind, r.name);
  return static_cast<std::size_t>(std::count_if(peers.begin(), peers.end(), [&](ChordPeer* p) {
    return p->store().contains(id, r.kind);
  }));
}

Record userRecord(int i, std::int64_t nowMs) {
  Record r{RecordKind::UserLocation, "sip:user" + std::to_string(i) + "@example.org", {}};
  r.entries.push_back({"contact-" + std::to_string(i), {"udp:192.0.2." + std::to_string(i % 250) + ":5060"},
                       static_cast<std::uint64_t>(nowMs), 3600, true});
  return r;
}
}  // namespace

TEST_CASE("chord sim: 1,000 peers join and every successor and predecessor is right") {
  SimNetwork net(42);
  const std::int64_t seconds = buildRing(net, kPeers, 120);
  MESSAGE("ring of ", kPeers, " consistent after ", seconds, " simulated s, ", net.delivered(),
          " datagrams");
  REQUIRE(seconds > 0);
  auto ring = test::sortedRing(net.alive());
  // Successor lists are the next peers in order, predecessor lists the previous.
  net.runFor(10'000);
  for (std::size_t i = 0; i < ring.size(); ++i) {
    const auto& succs = ring[i]->table().successors();
    REQUIRE(succs.size() == 4);
    for (std::size_t k = 0; k < succs.size(); ++k) {
      CHECK(succs[k].id == ring[(i + k + 1) % ring.size()]->config().id);
    }
    const auto& preds = ring[i]->table().predecessors();
    REQUIRE(preds.size() == 3);
    for (std::size_t k = 0; k < preds.size(); ++k) {
      CHECK(preds[k].id == ring[(i + ring.size() - k - 1) % ring.size()]->config().id);
    }
  }
}

TEST_CASE("chord sim: 1,000 lookups reach the responsible peer in about half log2 N hops") {
  SimNetwork net(7);
  REQUIRE(buildRing(net, kPeers, 120) > 0);
  net.runFor(30'000);  // every finger repaired at least once
  auto ring = test::sortedRing(net.alive());
  int done = 0, right = 0, hops = 0;
  for (int i = 0; i < 1000; ++i) {
    ChordPeer* from = ring[net.rng()() % ring.size()];
    NodeId target{net.rng()(), net.rng()()};
    const NodeId expect = responsibleFor(ring, target)->config().id;
    from->lookup(target, [&, expect](const LookupResult& r) {
      ++done;
      if (r.ok && r.responsible.id == expect) ++right;
      hops += r.hops;
    }, net.now());
    net.flush(*from);
  }
  net.runFor(5000);
  CHECK(done == 1000);
  CHECK(right == 1000);
  const double mean = hops / 1000.0;
  const double expected = 0.5 * std::log2(static_cast<double>(kPeers));
  MESSAGE("mean hops ", mean, " (1/2 log2 N = ", expected, ")");
  CHECK(mean >= expected * 0.8);
  CHECK(mean <= expected * 1.2);
}

TEST_CASE("chord sim: records keep three copies when 20% of the peers fail at once") {
  SimNetwork net(99);
  REQUIRE(buildRing(net, kPeers, 120) > 0);
  auto ring = test::sortedRing(net.alive());
  std::vector<Record> records;
  int stored = 0;
  for (int i = 0; i < 200; ++i) {
    records.push_back(userRecord(i, net.now()));
    ChordPeer* from = ring[net.rng()() % ring.size()];
    from->put(records.back(), [&](const OpResult& r) { stored += r.ok ? 1 : 0; }, net.now());
    net.flush(*from);
  }
  net.runFor(10'000);
  REQUIRE(stored == 200);
  for (const auto& r : records) CHECK(copiesOf(ring, r) == 3);

  std::shuffle(ring.begin(), ring.end(), net.rng());
  for (std::size_t i = 0; i < ring.size() / 5; ++i) net.kill(*ring[i]);
  // A record whose three holders all failed is gone (about 0.2^3 of them);
  // every other one must get back to three copies.
  auto survivors = test::sortedRing(net.alive());
  std::vector<Record> lost;
  std::erase_if(records, [&](const Record& r) {
    if (copiesOf(survivors, r) > 0) return false;
    lost.push_back(r);
    return true;
  });
  MESSAGE(lost.size(), " records lost all three holders at once");
  CHECK(lost.size() <= 5);
  std::int64_t healed = -1;
  for (std::int64_t s = 1; s <= 120; ++s) {
    net.runFor(1000);
    auto live = test::sortedRing(net.alive());
    bool copies = std::all_of(records.begin(), records.end(),
                              [&](const Record& r) { return copiesOf(live, r) == 3; });
    if (test::wrongPointers(live) == 0 && copies) {
      healed = s;
      break;
    }
    if (s % 30 == 0) {
      std::size_t under = 0, over = 0;
      for (const auto& r : records) {
        auto c = copiesOf(live, r);
        under += c < 3 ? 1 : 0;
        over += c > 3 ? 1 : 0;
      }
      MESSAGE(s, " s: wrong pointers ", test::wrongPointers(live), ", records under 3 copies ",
              under, ", over ", over);
    }
  }
  MESSAGE("ring healed with three copies of every record after ", healed, " simulated s");
  REQUIRE(healed > 0);
  auto live = test::sortedRing(net.alive());
  for (const auto& r : records) {
    ChordPeer* resp = responsibleFor(live, resourceIdOf(r.kind, r.name));
    CHECK(resp->store().contains(resourceIdOf(r.kind, r.name), r.kind));
  }
  int found = 0;
  for (const auto& r : records) {
    live[net.rng()() % live.size()]->get(r.kind, r.name,
                                         [&](const OpResult& res) {
                                           found += res.ok ? 1 : 0;
                                           if (!res.ok) MESSAGE("get failed: ", res.error);
                                         },
                                         net.now());
    for (auto* p : live) net.flush(*p);
  }
  net.runFor(5000);
  CHECK(found == static_cast<int>(records.size()));
}

TEST_CASE("chord sim: a peer of another overlay cannot join") {
  SimNetwork net(5);
  auto& first = net.add(net.config("sim"), {});
  auto& second = net.add(net.config("sim"), {first.config().endpoint});
  auto& stranger = net.add(net.config("other"), {first.config().endpoint});
  net.runFor(10'000);
  CHECK(second.joined());
  CHECK_FALSE(stranger.joined());
  CHECK(first.stats().dropped.at("wrong_overlay") > 0);
  CHECK(first.table().successors().front().id == second.config().id);
}

TEST_CASE("chord sim: graceful leave hands the records to the successor") {
  SimNetwork net(11);
  REQUIRE(buildRing(net, 50, 60) > 0);
  auto ring = test::sortedRing(net.alive());
  Record r = userRecord(1, net.now());
  bool ok = false;
  ring[0]->put(r, [&](const OpResult& res) { ok = res.ok; }, net.now());
  net.flush(*ring[0]);
  net.runFor(3000);
  REQUIRE(ok);
  ChordPeer* resp = responsibleFor(ring, resourceIdOf(r.kind, r.name));
  net.leave(*resp);
  net.runFor(2000);
  auto live = test::sortedRing(net.alive());
  CHECK(test::wrongPointers(live) == 0);
  CHECK(responsibleFor(live, resourceIdOf(r.kind, r.name))->store().contains(resourceIdOf(r.kind, r.name), r.kind));
  net.runFor(10'000);
  CHECK(copiesOf(live, r) == 3);
}

TEST_CASE("chord sim: malformed datagrams are dropped and counted, the peer keeps serving") {
  SimNetwork net(3);
  REQUIRE(buildRing(net, 10, 30) > 0);
  auto ring = test::sortedRing(net.alive());
  ChordPeer& target = *ring[0];
  const Endpoint evil = Endpoint::v4(0x0b000001, 999);
  std::vector<std::vector<std::uint8_t>> bad = {
      {}, {1, 2, 3}, std::vector<std::uint8_t>(9000, 0x41), std::vector<std::uint8_t>(60, 0)};
  Message ping;
  ping.header.overlay = overlayHash("someone-else");
  ping.body = PingReq{};
  bad.push_back(encode(ping));
  Message good;
  good.header.overlay = overlayHash("sim");
  good.body = PingReq{};
  auto lying = encode(good);
  lying.push_back(0);  // length field no longer matches
  bad.push_back(lying);
  auto truncated = encode(good);
  truncated.pop_back();
  bad.push_back(truncated);
  for (auto& b : bad) net.inject(evil, target.config().endpoint, b);
  net.runFor(1000);
  std::uint64_t dropped = 0;
  for (const auto& [code, n] : target.stats().dropped) dropped += n;
  CHECK(dropped >= bad.size());
  CHECK(test::wrongPointers(test::sortedRing(net.alive())) == 0);
  bool answered = false;
  ring[5]->lookup(target.config().id, [&](const LookupResult& r) { answered = r.ok; }, net.now());
  net.flush(*ring[5]);
  net.runFor(1000);
  CHECK(answered);
}
