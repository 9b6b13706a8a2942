#include <doctest/doctest.h>

#include "overlay-agent/peer_table.hpp"

using namespace p2pmon::overlay;

namespace {
PeerRef peer(std::uint64_t hi) { return PeerRef{NodeId{hi, 0}, Endpoint::v4(0x7f000001, static_cast<std::uint16_t>(hi % 60000))}; }
constexpr std::uint64_t kTop = 1ULL << 63;
}  // namespace

TEST_CASE("peer table: successors ordered clockwise, predecessors counter-clockwise, bounded") {
  PeerTable t(peer(100), 3, 2, 16);
  t.learnSuccessors({peer(500), peer(200), peer(50), peer(300), peer(100)});
  REQUIRE(t.successors().size() == 3);
  CHECK(t.successors()[0].id == peer(200).id);
  CHECK(t.successors()[1].id == peer(300).id);
  CHECK(t.successors()[2].id == peer(500).id);
  t.learnPredecessors({peer(50), peer(90), peer(500)});
  REQUIRE(t.predecessors().size() == 2);
  CHECK(t.predecessors()[0].id == peer(90).id);
  CHECK(t.predecessors()[1].id == peer(50).id);
}

TEST_CASE("peer table: responsibility runs from after the predecessor up to self, wrapping around zero") {
  PeerTable t(peer(100), 4, 3, 16);
  CHECK(t.isResponsible(NodeId{12345, 0}));  // no predecessor known: everything
  t.setPredecessors({peer(kTop)});           // predecessor past the top of the ring
  CHECK(t.isResponsible(NodeId{kTop + 1, 0}));
  CHECK(t.isResponsible(NodeId{0, 5}));
  CHECK(t.isResponsible(NodeId{100, 0}));
  CHECK_FALSE(t.isResponsible(NodeId{101, 0}));
  CHECK_FALSE(t.isResponsible(NodeId{kTop, 0}));
}

TEST_CASE("peer table: closest preceding peer uses fingers and successors") {
  PeerTable t(peer(0), 4, 3, 16);
  t.learnSuccessors({peer(10), peer(20)});
  t.setFinger(0, peer(kTop));
  t.setFinger(1, peer(kTop / 2));
  auto next = t.closestPreceding(NodeId{kTop + 5, 0});
  REQUIRE(next.has_value());
  CHECK(next->id == peer(kTop).id);
  next = t.closestPreceding(NodeId{kTop - 1, 0});
  CHECK(next->id == peer(kTop / 2).id);
  REQUIRE(t.responsibleIfNext(NodeId{5, 0}).has_value());
  CHECK(t.responsibleIfNext(NodeId{5, 0})->id == peer(10).id);
  CHECK(t.responsibleIfNext(NodeId{10, 0})->id == peer(10).id);
  CHECK_FALSE(t.responsibleIfNext(NodeId{15, 0}).has_value());
  CHECK(t.fingerStart(0) == NodeId{kTop, 0});
}

TEST_CASE("peer table: gossip only takes a closer first neighbour, removal is everywhere") {
  PeerTable t(peer(100), 4, 3, 16);
  t.learnSuccessors({peer(300)});
  CHECK_FALSE(t.considerSuccessor(peer(400)));  // further than the first: ignored
  CHECK(t.considerSuccessor(peer(200)));
  CHECK(t.successors().front().id == peer(200).id);
  t.learnPredecessors({peer(50)});
  CHECK(t.considerPredecessor(peer(60)));
  CHECK_FALSE(t.considerPredecessor(peer(40)));
  t.setFinger(3, peer(200));
  CHECK(t.remove(peer(200).id));
  CHECK(t.successors().front().id == peer(300).id);
  CHECK_FALSE(t.fingers()[3].has_value());
  CHECK_FALSE(t.remove(peer(999).id));
}
