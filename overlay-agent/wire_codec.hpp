// The overlay wire codec: Message values to UDP datagrams and back. Byte
// layout, bounds and error codes: docs/protocol.md. Pure functions, no
// sockets; network bytes never throw.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "core/expected.hpp"
#include "overlay-agent/messages.hpp"

namespace p2pmon::overlay {

inline constexpr std::size_t kHeaderSize = 48;
inline constexpr std::array<std::uint8_t, 4> kMagic = {0x50, 0x32, 0x50, 0x4D};  // "P2PM"
// DiagAns counters: one per message code today (kMessageCodes); the rest is
// head room so that a peer counting a few more kinds is not cut off.
inline constexpr std::size_t kMaxCounters = 32;

// The header's overlay field: the first 4 bytes of SHA-1(overlayName) read
// as a big-endian integer, i.e. the top 32 bits of NodeId::fromHash(name).
std::uint32_t overlayHash(std::string_view overlayName);

// The header's code is taken from codeOf(m.body) and the version is always
// kProtocolVersion; the header's other fields (authTag included) are
// written as given. A message that breaks a bound of messages.hpp encodes to
// bytes that decode() rejects; check with validate() where that may happen.
std::vector<std::uint8_t> encode(const Message& m);

// One datagram to a Message. Error codes, checked in this order and stable
// (they key the engine's drop counters): too_large, truncated, bad_magic,
// bad_version, wrong_overlay, bad_length, bad_code, bad_body. The flags and
// reserved header bytes are ignored; authTag is surfaced as received.
core::Expected<Message> decode(std::span<const std::uint8_t> bytes, std::uint32_t expectedOverlay);

// The error decode() would report for encode(m), if any (bad_body,
// too_large); for senders that build messages from untrusted sizes.
std::optional<core::Error> validate(const Message& m);

}  // namespace p2pmon::overlay
