#include "overlay-agent/neighbour_cache.hpp"

namespace p2pmon::overlay {

NeighbourCache::NeighbourCache(std::int64_t ttlMs, std::int64_t failedTtlMs,
                               std::int64_t pendingTtlMs, std::size_t maxEntries)
    : ttlMs_(ttlMs), failedTtlMs_(failedTtlMs), pendingTtlMs_(pendingTtlMs),
      maxEntries_(maxEntries == 0 ? 1 : maxEntries) {}

NeighbourCache::Status NeighbourCache::status(const core::NodeId& id, std::int64_t nowMs) const {
  auto it = entries_.find(id);
  if (it == entries_.end() || it->second.expiresMs <= nowMs) return Status::Missing;
  return it->second.status;
}

std::optional<NeighbourServices> NeighbourCache::services(const core::NodeId& id,
                                                          std::int64_t nowMs) const {
  auto it = entries_.find(id);
  if (it == entries_.end() || it->second.expiresMs <= nowMs || it->second.status != Status::Known) {
    return std::nullopt;
  }
  return it->second.services;
}

void NeighbourCache::setPending(const core::NodeId& id, std::int64_t nowMs) {
  put(id, {Status::Pending, {}, nowMs + pendingTtlMs_}, nowMs);
}

void NeighbourCache::store(const core::NodeId& id, const NeighbourServices& s, std::int64_t nowMs) {
  put(id, {Status::Known, s, nowMs + ttlMs_}, nowMs);
}

void NeighbourCache::fail(const core::NodeId& id, std::int64_t nowMs) {
  put(id, {Status::Failed, {}, nowMs + failedTtlMs_}, nowMs);
}

void NeighbourCache::put(const core::NodeId& id, Entry e, std::int64_t nowMs) {
  if (entries_.size() >= maxEntries_ && entries_.find(id) == entries_.end()) {
    // Full: expired entries go first; if none has, everything does (the
    // cache refills from diagnostics; a bound matters more than the hits).
    std::erase_if(entries_, [nowMs](const auto& kv) { return kv.second.expiresMs <= nowMs; });
    if (entries_.size() >= maxEntries_) entries_.clear();
  }
  entries_[id] = e;
}

}  // namespace p2pmon::overlay
