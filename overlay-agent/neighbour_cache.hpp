// What the embedded agent knows of its peers' neighbours' services (SIP,
// STUN and RTP ports, from their RFC 7851-style diagnostics), per Node-ID
// and shared by every local peer of the process, so a neighbour is asked
// once per expiry rather than once per peer and round. Failures are
// remembered for a shorter time, and a request in flight is marked so that
// others wait for it instead of asking again. Pure: the caller gives the time.
#pragma once

#include <cstdint>
#include <optional>
#include <unordered_map>

#include "core/node_id.hpp"

namespace p2pmon::overlay {

struct NeighbourServices {
  std::uint16_t sip = 0;  // 0: none
  std::uint16_t stun = 0;
  std::uint16_t rtp = 0;
};

class NeighbourCache {
 public:
  enum class Status { Missing, Pending, Known, Failed };

  // Known answers live `ttlMs`, failures `failedTtlMs`, requests in flight
  // `pendingTtlMs` (longer than any request's retries); at most `maxEntries`.
  NeighbourCache(std::int64_t ttlMs, std::int64_t failedTtlMs, std::int64_t pendingTtlMs,
                 std::size_t maxEntries);

  Status status(const core::NodeId& id, std::int64_t nowMs) const;
  // Known and not expired.
  std::optional<NeighbourServices> services(const core::NodeId& id, std::int64_t nowMs) const;
  void setPending(const core::NodeId& id, std::int64_t nowMs);
  void store(const core::NodeId& id, const NeighbourServices& s, std::int64_t nowMs);
  void fail(const core::NodeId& id, std::int64_t nowMs);
  std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    Status status = Status::Missing;
    NeighbourServices services;
    std::int64_t expiresMs = 0;
  };
  void put(const core::NodeId& id, Entry e, std::int64_t nowMs);

  std::int64_t ttlMs_, failedTtlMs_, pendingTtlMs_;
  std::size_t maxEntries_;
  std::unordered_map<core::NodeId, Entry, core::NodeIdHash> entries_;
};

}  // namespace p2pmon::overlay
