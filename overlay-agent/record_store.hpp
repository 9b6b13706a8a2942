// The records a peer holds, as the responsible peer or as a replica. Each
// record is a dictionary of entries (RFC 6940 §7 dictionary model); an entry
// with a newer storage time replaces an older one, removals are entries with
// exists=false that win until they expire, and expired entries vanish. Pure.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "overlay-agent/messages.hpp"

namespace p2pmon::overlay {

inline constexpr std::size_t kMaxStoredRecords = 1'000'000;

class RecordStore {
 public:
  // Returns how many entries were new or newer; entries beyond the bounds
  // and expired ones are ignored. A new record is refused when the store is full.
  std::size_t merge(const Record& record, std::int64_t nowMs);
  // Live entries only (exists, not expired); nullopt when none.
  std::optional<Record> fetch(const NodeId& resource, RecordKind kind, std::int64_t nowMs) const;
  // Drops expired entries and records left empty; returns entries dropped.
  std::size_t expire(std::int64_t nowMs);
  // Records (with removals, for replication) whose Resource-ID matches.
  std::vector<Record> select(const std::function<bool(const NodeId&)>& pick) const;
  void erase(const NodeId& resource, RecordKind kind);
  // Up to `max` keys of records with live entries whose Resource-ID
  // matches, in key order (the diagnostics' stored-keys sample).
  std::vector<StoredKey> liveKeys(std::size_t max, const std::function<bool(const NodeId&)>& pick,
                                  std::int64_t nowMs) const;

  std::size_t recordCount() const { return records_.size(); }
  // Changes whenever the stored data does (an entry merged, a record
  // erased, entries expired): replication skips an unchanged store.
  std::uint64_t generation() const { return generation_; }
  std::uint64_t bytes() const;
  bool contains(const NodeId& resource, RecordKind kind) const;

 private:
  std::map<std::pair<NodeId, RecordKind>, Record> records_;
  std::uint64_t generation_ = 0;
};

bool isExpired(const Entry& e, std::int64_t nowMs);

}  // namespace p2pmon::overlay
