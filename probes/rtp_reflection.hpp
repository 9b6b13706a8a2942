// The RTP reflector's wire format (docs/protocol.md, "RTP reflector"): a
// reflected packet is the packet received, returned with an RFC 8285
// one-byte header extension that carries the reflector's receive time, its
// count of packets received from that source and its own outgoing sequence
// number, so that a sender can tell forward loss from return loss and
// compute forward jitter. Pure: bytes in, bytes out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "core/expected.hpp"
#include "probes/rtp_codec.hpp"

namespace p2pmon::probes {

// The RFC 8285 one-byte-header profile and the element ID the reflector
// uses (there is no SDP to negotiate one; the sender is our own probe).
inline constexpr std::uint16_t kOneByteExtensionProfile = 0xBEDE;
inline constexpr std::uint8_t kReflectionElementId = 1;
inline constexpr std::size_t kReflectionDataSize = 16;  // L = 15 in the element header
// Extension header (4) + element header (1) + data (16) + 3 padding octets.
inline constexpr std::size_t kReflectionExtensionSize = 24;
// Largest datagram reflected: beyond any audio packet (an Opus frame is at
// most 1275 octets), below the 64 KiB a UDP datagram could be.
inline constexpr std::size_t kMaxReflectedDatagram = 2048;

struct ReflectionInfo {
  std::uint64_t receiveTime = 0;  // NTP 32.32, seconds since 1900
  std::uint32_t received = 0;     // packets received from this source, this one included
  std::uint32_t outSequence = 0;  // the reflector's own count of reflections to it, from 0
  friend bool operator==(const ReflectionInfo&, const ReflectionInfo&) = default;
};

// Writes the reflection of `in` (already decoded as `p`) into `out`, which
// needs in.size() + kReflectionExtensionSize octets; returns the size
// written. A header extension of the sender is replaced, not returned.
std::size_t encodeReflection(Bytes in, const RtpPacket& p, const ReflectionInfo& info,
                             std::span<std::uint8_t> out);

// The reflector's element in a decoded RTP packet. Error codes:
// not_reflected (no 0xBEDE extension with element ID 1), bad_extension
// (the element list runs past its end or the element has another size).
core::Expected<ReflectionInfo> decodeReflection(const RtpPacket& p);

// NTP 32.32 from Unix time and back (seconds since 1970 as a double: 0.24
// microsecond resolution today, enough for delays and jitter).
std::uint64_t ntpFromUnix(std::int64_t seconds, std::uint32_t nanoseconds);
double ntpToUnixSeconds(std::uint64_t ntp);

}  // namespace p2pmon::probes
