#include "overlay-agent/record_store.hpp"

#include <algorithm>

namespace p2pmon::overlay {

bool isExpired(const Entry& e, std::int64_t nowMs) {
  return static_cast<std::int64_t>(e.storageTime) + std::int64_t{e.lifetime} * 1000 <= nowMs;
}

std::size_t RecordStore::merge(const Record& record, std::int64_t nowMs) {
  const auto key = std::make_pair(resourceIdOf(record.kind, record.name), record.kind);
  auto it = records_.find(key);
  if (it == records_.end()) {
    if (records_.size() >= kMaxStoredRecords) return 0;
    Record empty{record.kind, record.name, {}};
    it = records_.emplace(key, std::move(empty)).first;
  }
  std::size_t changed = 0;
  auto& entries = it->second.entries;
  for (const auto& e : record.entries) {
    if (isExpired(e, nowMs)) continue;
    auto same = std::find_if(entries.begin(), entries.end(),
                             [&](const Entry& x) { return x.key == e.key; });
    if (same == entries.end()) {
      if (entries.size() >= kMaxEntries) continue;
      entries.push_back(e);
      ++changed;
    } else if (e.storageTime > same->storageTime) {
      *same = e;
      ++changed;
    }
  }
  if (entries.empty()) records_.erase(it);
  if (changed != 0) ++generation_;
  return changed;
}

std::optional<Record> RecordStore::fetch(const NodeId& resource, RecordKind kind,
                                         std::int64_t nowMs) const {
  auto it = records_.find({resource, kind});
  if (it == records_.end()) return std::nullopt;
  Record out{it->second.kind, it->second.name, {}};
  for (const auto& e : it->second.entries) {
    if (e.exists && !isExpired(e, nowMs)) out.entries.push_back(e);
  }
  if (out.entries.empty()) return std::nullopt;
  return out;
}

std::size_t RecordStore::expire(std::int64_t nowMs) {
  std::size_t dropped = 0;
  for (auto it = records_.begin(); it != records_.end();) {
    auto& entries = it->second.entries;
    auto end = std::remove_if(entries.begin(), entries.end(),
                              [&](const Entry& e) { return isExpired(e, nowMs); });
    dropped += static_cast<std::size_t>(entries.end() - end);
    entries.erase(end, entries.end());
    it = entries.empty() ? records_.erase(it) : std::next(it);
  }
  if (dropped != 0) ++generation_;
  return dropped;
}

std::vector<Record> RecordStore::select(const std::function<bool(const NodeId&)>& pick) const {
  std::vector<Record> out;
  for (const auto& [key, record] : records_) {
    if (pick(key.first)) out.push_back(record);
  }
  return out;
}

void RecordStore::erase(const NodeId& resource, RecordKind kind) {
  if (records_.erase({resource, kind}) != 0) ++generation_;
}

bool RecordStore::contains(const NodeId& resource, RecordKind kind) const {
  return records_.count({resource, kind}) != 0;
}

std::uint64_t RecordStore::bytes() const {
  std::uint64_t total = 0;
  for (const auto& [key, record] : records_) {
    total += record.name.size();
    for (const auto& e : record.entries) {
      total += e.key.size() + 13;
      for (const auto& v : e.values) total += v.size();
    }
  }
  return total;
}

std::vector<StoredKey> RecordStore::liveKeys(std::size_t max,
                                              const std::function<bool(const NodeId&)>& pick,
                                              std::int64_t nowMs) const {
  std::vector<StoredKey> keys;
  for (const auto& [key, record] : records_) {
    if (keys.size() >= max) break;
    if (!pick(key.first)) continue;
    const bool live = std::any_of(record.entries.begin(), record.entries.end(),
                                  [&](const Entry& e) { return e.exists && !isExpired(e, nowMs); });
    if (live) keys.push_back({key.first, key.second});
  }
  return keys;
}

}  // namespace p2pmon::overlay
