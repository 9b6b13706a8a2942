#include "overlay-agent/messages.hpp"

#include <cstddef>

namespace p2pmon::overlay {

namespace {
constexpr char kHex[] = "0123456789abcdef";

void appendHex16(std::string& out, unsigned v) {
  bool started = false;
  for (int shift = 12; shift >= 0; shift -= 4) {
    const unsigned d = (v >> shift) & 0xfu;
    if (d == 0 && !started && shift != 0) continue;
    started = true;
    out += kHex[d];
  }
}

// RFC 5952 §4: lowercase, no leading zeros, the longest run of two or more
// zero groups (the first on a tie) shortened to "::".
std::string ipv6Text(const std::array<std::uint8_t, 16>& a) {
  std::array<unsigned, 8> g{};
  for (std::size_t i = 0; i < 8; ++i) g[i] = (unsigned{a[2 * i]} << 8) | a[2 * i + 1];
  std::size_t bestStart = 8, bestLen = 0;
  for (std::size_t i = 0; i < 8;) {
    if (g[i] != 0) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < 8 && g[j] == 0) ++j;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) bestStart = 8;
  std::string out;
  for (std::size_t i = 0; i < 8; ++i) {
    if (i == bestStart) {
      out += "::";
      i += bestLen - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':') out += ':';
    appendHex16(out, g[i]);
  }
  return out;
}
}  // namespace

Endpoint Endpoint::v4(std::uint32_t hostOrderAddr, std::uint16_t port) {
  Endpoint e;
  e.family = 4;
  e.addr[0] = static_cast<std::uint8_t>(hostOrderAddr >> 24);
  e.addr[1] = static_cast<std::uint8_t>(hostOrderAddr >> 16);
  e.addr[2] = static_cast<std::uint8_t>(hostOrderAddr >> 8);
  e.addr[3] = static_cast<std::uint8_t>(hostOrderAddr);
  e.port = port;
  return e;
}

std::string Endpoint::str() const {
  // Appended piece by piece: `"[" + std::string` trips GCC 12's -Wrestrict
  // false positive at -O3 (Release builds, `make bench`).
  std::string out;
  if (family == 6) {
    out += '[';
    out += ipv6Text(addr);
    out += ']';
  } else {
    for (int i = 0; i < 4; ++i) {
      if (i > 0) out += '.';
      out += std::to_string(addr[static_cast<std::size_t>(i)]);
    }
  }
  out += ':';
  out += std::to_string(port);
  return out;
}

NodeId resourceIdOf(RecordKind kind, const std::string& name) {
  return NodeId::fromHash(std::string(1, static_cast<char>(kind)) + name);
}

namespace {
constexpr MessageCode codeFor(const PingReq&) {
  return MessageCode::PingReq;
}
constexpr MessageCode codeFor(const PingAns&) {
  return MessageCode::PingAns;
}
constexpr MessageCode codeFor(const FindReq&) {
  return MessageCode::FindReq;
}
constexpr MessageCode codeFor(const FindAns&) {
  return MessageCode::FindAns;
}
constexpr MessageCode codeFor(const JoinReq&) {
  return MessageCode::JoinReq;
}
constexpr MessageCode codeFor(const JoinAns&) {
  return MessageCode::JoinAns;
}
constexpr MessageCode codeFor(const UpdateReq&) {
  return MessageCode::UpdateReq;
}
constexpr MessageCode codeFor(const UpdateAns&) {
  return MessageCode::UpdateAns;
}
constexpr MessageCode codeFor(const LeaveReq&) {
  return MessageCode::LeaveReq;
}
constexpr MessageCode codeFor(const LeaveAns&) {
  return MessageCode::LeaveAns;
}
constexpr MessageCode codeFor(const StoreReq&) {
  return MessageCode::StoreReq;
}
constexpr MessageCode codeFor(const StoreAns&) {
  return MessageCode::StoreAns;
}
constexpr MessageCode codeFor(const FetchReq&) {
  return MessageCode::FetchReq;
}
constexpr MessageCode codeFor(const FetchAns&) {
  return MessageCode::FetchAns;
}
constexpr MessageCode codeFor(const DiagReq&) {
  return MessageCode::DiagReq;
}
constexpr MessageCode codeFor(const DiagAns&) {
  return MessageCode::DiagAns;
}
constexpr MessageCode codeFor(const PathTrackReq&) {
  return MessageCode::PathTrackReq;
}
constexpr MessageCode codeFor(const PathTrackAns&) {
  return MessageCode::PathTrackAns;
}
constexpr MessageCode codeFor(const ErrorAns&) {
  return MessageCode::Error;
}
}  // namespace

MessageCode codeOf(const Body& body) {
  return std::visit([](const auto& b) { return codeFor(b); }, body);
}

}  // namespace p2pmon::overlay
