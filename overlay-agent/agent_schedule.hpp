// When the embedded agent runs each check of each peer. A check's rounds
// sit on a grid of its interval in wall-clock time, shifted by a phase
// drawn from the peer's Node-ID and the check over the whole interval, plus
// a small jitter drawn afresh each round: a thousand peers' checks spread
// evenly over the interval instead of firing together, the spread survives
// restarts (the phase is the same), and two peers whose phases collide do
// not collide every round. Pure: times in, times out; no clock.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/node_id.hpp"

namespace p2pmon::overlay {

// Round `round` of a check runs at round * interval + phase + jitter(round)
// (ms since the epoch).
struct ScheduleSlot {
  std::int64_t atMs = 0;
  std::int64_t round = 0;
};

// In [0, intervalMs): fixed for a Node-ID and check.
std::int64_t schedulePhaseMs(const core::NodeId& id, unsigned check, std::int64_t intervalMs);
// The jitter's bound: 5% of the interval, at most 2 s.
std::int64_t maxJitterMs(std::int64_t intervalMs);
// In [0, maxJitterMs(intervalMs)): different every round.
std::int64_t scheduleJitterMs(const core::NodeId& id, unsigned check, std::int64_t round,
                              std::int64_t intervalMs);
ScheduleSlot slotOf(const core::NodeId& id, unsigned check, std::int64_t intervalMs,
                    std::int64_t round);
// The first round that runs after `afterMs`.
ScheduleSlot firstSlotAfter(const core::NodeId& id, unsigned check, std::int64_t intervalMs,
                            std::int64_t afterMs);
// The round after `done`; when that one is already past at `nowMs` (the
// agent fell behind), the first one after now: rounds are skipped, never
// run in a burst to catch up.
ScheduleSlot nextSlot(const core::NodeId& id, unsigned check, std::int64_t intervalMs,
                      const ScheduleSlot& done, std::int64_t nowMs);

// The agent's pending rounds of every local peer and check: a min-heap by
// due time.
class AgentTimetable {
 public:
  struct Entry {
    std::int64_t atMs = 0;
    std::int64_t round = 0;
    std::uint32_t peer = 0;  // the agent's index of the local peer
    std::uint8_t check = 0;
  };
  void add(const Entry& e);
  std::optional<std::int64_t> earliest() const;
  // Moves up to `max` entries due at `nowMs` or earlier into `out`
  // (cleared first), earliest first.
  void popDue(std::int64_t nowMs, std::vector<Entry>& out, std::size_t max);
  std::size_t size() const { return heap_.size(); }

 private:
  std::vector<Entry> heap_;
};

}  // namespace p2pmon::overlay
