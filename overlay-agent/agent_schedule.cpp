#include "overlay-agent/agent_schedule.hpp"

#include <algorithm>

namespace p2pmon::overlay {

namespace {

// SplitMix64 (Steele, Lea, Flood 2014): a cheap, well-mixed 64-bit hash.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::uint64_t hashOf(const core::NodeId& id, unsigned check, std::uint64_t salt) {
  return mix(mix(mix(id.hi) ^ id.lo) ^ (std::uint64_t{check} << 56) ^ salt);
}

std::int64_t floorDiv(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

bool later(const AgentTimetable::Entry& a, const AgentTimetable::Entry& b) {
  if (a.atMs != b.atMs) return a.atMs > b.atMs;
  if (a.peer != b.peer) return a.peer > b.peer;
  return a.check > b.check;
}

}  // namespace

std::int64_t schedulePhaseMs(const core::NodeId& id, unsigned check, std::int64_t intervalMs) {
  if (intervalMs <= 1) return 0;
  return static_cast<std::int64_t>(hashOf(id, check, 0) % static_cast<std::uint64_t>(intervalMs));
}

std::int64_t maxJitterMs(std::int64_t intervalMs) {
  return std::clamp<std::int64_t>(intervalMs / 20, 1, 2000);
}

std::int64_t scheduleJitterMs(const core::NodeId& id, unsigned check, std::int64_t round,
                              std::int64_t intervalMs) {
  const auto bound = static_cast<std::uint64_t>(maxJitterMs(intervalMs));
  return static_cast<std::int64_t>(
      hashOf(id, check, mix(static_cast<std::uint64_t>(round) + 1)) % bound);
}

ScheduleSlot slotOf(const core::NodeId& id, unsigned check, std::int64_t intervalMs,
                    std::int64_t round) {
  return {round * intervalMs + schedulePhaseMs(id, check, intervalMs) +
              scheduleJitterMs(id, check, round, intervalMs),
          round};
}

ScheduleSlot firstSlotAfter(const core::NodeId& id, unsigned check, std::int64_t intervalMs,
                            std::int64_t afterMs) {
  // The round whose grid point is at or before `afterMs` may still run
  // after it thanks to its jitter; the next one always does.
  std::int64_t round = floorDiv(afterMs - schedulePhaseMs(id, check, intervalMs), intervalMs);
  ScheduleSlot s = slotOf(id, check, intervalMs, round);
  while (s.atMs <= afterMs) s = slotOf(id, check, intervalMs, ++round);
  return s;
}

ScheduleSlot nextSlot(const core::NodeId& id, unsigned check, std::int64_t intervalMs,
                      const ScheduleSlot& done, std::int64_t nowMs) {
  ScheduleSlot s = slotOf(id, check, intervalMs, done.round + 1);
  if (s.atMs > nowMs) return s;
  return firstSlotAfter(id, check, intervalMs, nowMs);
}

void AgentTimetable::add(const Entry& e) {
  heap_.push_back(e);
  std::push_heap(heap_.begin(), heap_.end(), later);
}

std::optional<std::int64_t> AgentTimetable::earliest() const {
  if (heap_.empty()) return std::nullopt;
  return heap_.front().atMs;
}

void AgentTimetable::popDue(std::int64_t nowMs, std::vector<Entry>& out, std::size_t max) {
  out.clear();
  while (!heap_.empty() && heap_.front().atMs <= nowMs && out.size() < max) {
    std::pop_heap(heap_.begin(), heap_.end(), later);
    out.push_back(heap_.back());
    heap_.pop_back();
  }
}

}  // namespace p2pmon::overlay
