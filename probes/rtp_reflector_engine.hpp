// What the RTP reflector does with one datagram, apart from its sockets:
// decode, keep per-source counts (bounded: a cap on sources, idle expiry,
// the least recently seen evicted when full), write the reflection
// (rtp_reflection.hpp), or drop the datagram and count why. Sans-I/O: the
// caller passes the receive time and sends what comes back.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <unordered_map>

#include "probes/rtp_reflection.hpp"

namespace p2pmon::probes {

struct RtpReflectorStats {
  std::uint64_t received = 0;   // datagrams read
  std::uint64_t reflected = 0;  // reflections written
  std::uint64_t sendErrors = 0;  // reflections the kernel refused (counted by the adapter)
  std::uint64_t sources = 0;     // sources tracked now
  std::uint64_t expired = 0;     // sources forgotten after being idle
  std::uint64_t evicted = 0;     // sources forgotten because the table was full
  // By reason: too_short, bad_version, bad_padding (rtp_codec.hpp), rtcp
  // (RFC 5761 packet types: not reflected), too_long.
  std::map<std::string, std::uint64_t> dropped;
};

// Who sent a datagram: address (IPv4 in the first 4 octets) and port.
struct RtpSourceAddress {
  int family = 4;
  std::array<std::uint8_t, 16> ip{};
  std::uint16_t port = 0;
};

struct RtpReflectorLimits {
  // 100 probe streams is the design load; ten times that leaves room for
  // every peer of a neighbourhood probing at once.
  std::size_t maxSources = 1024;
  // A source silent this long starts again from zero (a probe run is
  // seconds; RTP senders keep sending through a call).
  std::uint32_t idleSeconds = 60;
};

class RtpReflectorEngine {
 public:
  explicit RtpReflectorEngine(RtpReflectorLimits limits = {});

  // Reflects `in`, received from `from` at `receiveTime` (NTP 32.32), into
  // `out` (at least in.size() + kReflectionExtensionSize octets); returns
  // the reflection's size, 0 when the datagram is dropped (and counted).
  std::size_t handle(const RtpSourceAddress& from, Bytes in, std::uint64_t receiveTime,
                     std::span<std::uint8_t> out);

  // A datagram the adapter could not read whole (longer than its buffer).
  void countTooLong() {
    ++stats_.received;
    drop("too_long");
  }
  void countSendError() { ++stats_.sendErrors; }
  const RtpReflectorStats& stats() const { return stats_; }

 private:
  struct Key {
    std::array<std::uint8_t, 16> ip{};
    std::uint16_t port = 0;
    std::uint8_t family = 4;
    std::uint32_t ssrc = 0;
    friend bool operator==(const Key&, const Key&) = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const noexcept;
  };
  struct Source {
    std::uint32_t received = 0;
    std::uint32_t outSequence = 0;
    std::uint32_t lastSeen = 0;  // NTP seconds
  };
  void drop(const char* reason) { ++stats_.dropped[reason]; }
  void expire(std::uint32_t now);
  Source& find(const Key& key, std::uint32_t now);

  RtpReflectorLimits limits_;
  std::unordered_map<Key, Source, KeyHash> sources_;
  std::uint32_t lastSweep_ = 0;
  RtpReflectorStats stats_;
};

}  // namespace p2pmon::probes
