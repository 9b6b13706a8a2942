#include "core/node_id.hpp"

#include <array>

#include <openssl/evp.h>

namespace p2pmon::core {

NodeId NodeId::fromHash(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md.data(), &len, EVP_sha1(), nullptr);
  NodeId id;
  for (int i = 0; i < 8; ++i) id.hi = (id.hi << 8) | md[static_cast<std::size_t>(i)];
  for (int i = 8; i < 16; ++i) id.lo = (id.lo << 8) | md[static_cast<std::size_t>(i)];
  return id;
}

std::optional<NodeId> NodeId::fromHex(std::string_view hex) {
  if (hex.size() != 32) return std::nullopt;
  NodeId id;
  for (std::size_t i = 0; i < 32; ++i) {
    char c = hex[i];
    std::uint64_t v = 0;
    if (c >= '0' && c <= '9') {
      v = static_cast<std::uint64_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      v = static_cast<std::uint64_t>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      v = static_cast<std::uint64_t>(c - 'A' + 10);
    } else {
      return std::nullopt;
    }
    std::uint64_t& half = i < 16 ? id.hi : id.lo;
    half = (half << 4) | v;
  }
  return id;
}

NodeId NodeId::powerOfTwo(int k) {
  NodeId id;
  if (k >= 64) {
    id.hi = std::uint64_t{1} << (k - 64);
  } else {
    id.lo = std::uint64_t{1} << k;
  }
  return id;
}

std::string NodeId::hex() const {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(32, '0');
  for (int i = 0; i < 16; ++i) {
    out[static_cast<std::size_t>(15 - i)] = kDigits[(hi >> (4 * i)) & 0xf];
    out[static_cast<std::size_t>(31 - i)] = kDigits[(lo >> (4 * i)) & 0xf];
  }
  return out;
}

std::string NodeId::shortHex() const { return hex().substr(0, 8); }

NodeId NodeId::operator+(const NodeId& o) const {
  NodeId r;
  r.lo = lo + o.lo;
  r.hi = hi + o.hi + (r.lo < lo ? 1 : 0);
  return r;
}

NodeId NodeId::operator-(const NodeId& o) const {
  NodeId r;
  r.lo = lo - o.lo;
  r.hi = hi - o.hi - (lo < o.lo ? 1 : 0);
  return r;
}

bool betweenOpen(const NodeId& x, const NodeId& a, const NodeId& b) {
  if (a == b) return x != a;
  // Measured clockwise from a: 0 < (x - a) < (b - a).
  NodeId dx = x - a;
  NodeId db = b - a;
  return dx != NodeId{} && dx < db;
}

bool betweenRightClosed(const NodeId& x, const NodeId& a, const NodeId& b) {
  if (a == b) return true;
  NodeId dx = x - a;
  NodeId db = b - a;
  return dx != NodeId{} && dx <= db;
}

double ringFraction(const NodeId& a, const NodeId& b) {
  NodeId d = b - a;
  return (static_cast<double>(d.hi) + static_cast<double>(d.lo) / 18446744073709551616.0) /
         18446744073709551616.0;
}

}  // namespace p2pmon::core
