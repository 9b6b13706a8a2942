// 128-bit Node-IDs and Resource-IDs on the Chord ring (RFC 6940 §10: 128-bit
// ids; a Resource-ID is the top 128 bits of SHA-1 of the resource name).
// Arithmetic is modulo 2^128; intervals are taken clockwise.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace p2pmon::core {

struct NodeId {
  std::uint64_t hi = 0;
  std::uint64_t lo = 0;

  static NodeId fromHash(std::string_view data);  // SHA-1, most significant 128 bits
  static std::optional<NodeId> fromHex(std::string_view hex);  // exactly 32 hex digits
  static NodeId powerOfTwo(int k);                             // 2^k, 0 <= k < 128

  std::string hex() const;        // 32 lowercase hex digits
  std::string shortHex() const;   // first 8, as in host names "peer-3fa9c2d1"

  NodeId operator+(const NodeId& o) const;
  NodeId operator-(const NodeId& o) const;
  auto operator<=>(const NodeId&) const = default;
};

// x in the open clockwise interval (a, b); when a == b, everything but a.
bool betweenOpen(const NodeId& x, const NodeId& a, const NodeId& b);
// x in (a, b]; when a == b, the whole ring.
bool betweenRightClosed(const NodeId& x, const NodeId& a, const NodeId& b);
// Clockwise distance from a to b as a double fraction of the ring [0, 1).
double ringFraction(const NodeId& a, const NodeId& b);

struct NodeIdHash {
  std::size_t operator()(const NodeId& id) const { return id.hi ^ (id.lo * 0x9e3779b97f4a7c15ULL); }
};

}  // namespace p2pmon::core
