#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <random>
#include <vector>

#include "overlay-agent/agent_schedule.hpp"

using namespace p2pmon;
using namespace p2pmon::overlay;

namespace {
std::vector<core::NodeId> randomIds(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<core::NodeId> ids;
  for (std::size_t i = 0; i < n; ++i) ids.push_back({rng(), rng()});
  return ids;
}
constexpr std::int64_t kT0 = 1'763'683'200'123;  // an arbitrary wall-clock ms
}  // namespace

TEST_CASE("agent schedule: phase and jitter are fixed per Node-ID and check, within bounds") {
  const core::NodeId id{0x3fa9c2d1ULL, 42};
  CHECK(schedulePhaseMs(id, 0, 60'000) == schedulePhaseMs(id, 0, 60'000));
  CHECK(schedulePhaseMs(id, 0, 60'000) != schedulePhaseMs(id, 1, 60'000));
  CHECK(maxJitterMs(60'000) == 2000);
  CHECK(maxJitterMs(5'000) == 250);
  for (std::int64_t round = 0; round < 100; ++round) {
    const auto j = scheduleJitterMs(id, 2, round, 60'000);
    CHECK(j >= 0);
    CHECK(j < 2000);
  }
  for (const auto& other : randomIds(200, 1)) {
    const auto p = schedulePhaseMs(other, 3, 60'000);
    CHECK(p >= 0);
    CHECK(p < 60'000);
  }
}

TEST_CASE("agent schedule: 1,000 peers' first rounds spread evenly over a 60 s interval") {
  const auto ids = randomIds(1000, 7);
  std::map<std::int64_t, int> perSecond;
  for (const auto& id : ids) {
    const auto s = firstSlotAfter(id, 0, 60'000, kT0);
    REQUIRE(s.atMs > kT0);
    REQUIRE(s.atMs <= kT0 + 60'000 + maxJitterMs(60'000));
    ++perSecond[(s.atMs - kT0) / 1000];
  }
  const double mean = 1000.0 / 60.0;
  int busiest = 0;
  for (const auto& [second, n] : perSecond) busiest = std::max(busiest, n);
  CHECK(busiest <= 3 * mean);       // no second holds much more than its share
  CHECK(perSecond.size() >= 59);    // and (almost) every second holds some
}

TEST_CASE("agent schedule: every round of every peer and check runs, about an interval apart") {
  // 300 peers, three checks with different intervals, a fake clock stepping
  // 250 ms for 10 minutes; rounds are re-added as the agent does.
  const auto ids = randomIds(300, 11);
  const std::vector<std::int64_t> intervals{5'000, 60'000, 17'000};
  AgentTimetable t;
  for (std::uint32_t p = 0; p < ids.size(); ++p) {
    for (std::uint8_t c = 0; c < intervals.size(); ++c) {
      const auto s = firstSlotAfter(ids[p], c, intervals[c], kT0);
      t.add({s.atMs, s.round, p, c});
    }
  }
  std::map<std::pair<std::uint32_t, std::uint8_t>, std::vector<std::int64_t>> runs;
  std::vector<AgentTimetable::Entry> due;
  const std::int64_t end = kT0 + 600'000;
  for (std::int64_t now = kT0; now <= end; now += 250) {
    t.popDue(now, due, 100'000);
    for (const auto& e : due) {
      CHECK(e.atMs <= now);
      runs[{e.peer, e.check}].push_back(now);
      const auto next = nextSlot(ids[e.peer], e.check, intervals[e.check], {e.atMs, e.round}, now);
      CHECK(next.round == e.round + 1);  // never skipped when on time
      t.add({next.atMs, next.round, e.peer, e.check});
    }
  }
  CHECK(t.size() == ids.size() * intervals.size());
  for (std::uint32_t p = 0; p < ids.size(); ++p) {
    for (std::uint8_t c = 0; c < intervals.size(); ++c) {
      const auto& r = runs[{p, c}];
      const auto interval = intervals[c];
      // Nobody starves: at least every full interval of the 10 minutes saw a run.
      REQUIRE(r.size() >= static_cast<std::size_t>(600'000 / interval - 1));
      CHECK(r.front() - kT0 <= interval + maxJitterMs(interval) + 250);
      for (std::size_t i = 1; i < r.size(); ++i) {
        const auto gap = r[i] - r[i - 1];
        CHECK(gap >= interval - maxJitterMs(interval) - 250);
        CHECK(gap <= interval + maxJitterMs(interval) + 250);
      }
    }
  }
}

TEST_CASE("agent schedule: an agent that fell behind skips rounds instead of bursting") {
  const core::NodeId id{1, 2};
  const auto first = firstSlotAfter(id, 0, 10'000, kT0);
  // It ran a minute late: the next round is the first one after now.
  const auto late = first.atMs + 60'000;
  const auto next = nextSlot(id, 0, 10'000, first, late);
  CHECK(next.atMs > late);
  CHECK(next.atMs <= late + 10'000 + maxJitterMs(10'000));
  CHECK(next.round >= first.round + 6);
}

TEST_CASE("agent schedule: the timetable gives due entries earliest first, bounded") {
  AgentTimetable t;
  t.add({300, 0, 3, 0});
  t.add({100, 0, 1, 0});
  t.add({200, 0, 2, 0});
  t.add({900, 0, 9, 0});
  CHECK(*t.earliest() == 100);
  std::vector<AgentTimetable::Entry> due;
  t.popDue(250, due, 10);
  REQUIRE(due.size() == 2);
  CHECK(due[0].peer == 1);
  CHECK(due[1].peer == 2);
  t.popDue(1000, due, 1);
  REQUIRE(due.size() == 1);
  CHECK(due[0].peer == 3);
  CHECK(t.size() == 1);
}
