// The records of the agent's result spool (result_spool.hpp): one check
// result per frame, `magic "\xFFPS1" | u32le length | u32le CRC-32 | payload`,
// the payload a fixed binary layout that keeps every text byte for byte (JSON
// could not carry output that is not UTF-8, which NSCA allows). Pure
// functions over bytes; the spool does the file I/O.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "core/check_result.hpp"
#include "core/expected.hpp"

namespace p2pmon::agent::spool {

inline constexpr std::array<std::uint8_t, 4> kMagic{0xFF, 'P', 'S', '1'};
inline constexpr std::size_t kFrameHeaderSize = 12;
// A result is at most ~8 KiB of text (core::kMaxOutputLength, names); the
// bound only keeps a corrupt length from making the reader load megabytes.
inline constexpr std::uint32_t kMaxPayloadSize = 64 * 1024;

// Appends the frame of `r`; returns the frame's size.
std::size_t appendFrame(const core::CheckResult& r, std::vector<std::uint8_t>& out);

enum class FrameStatus {
  Ok,         // a whole frame with a matching CRC
  Truncated,  // a plausible header whose frame runs past the end of the bytes
  Bad,        // wrong magic, a length over the bound, or a CRC mismatch
};

struct Frame {
  FrameStatus status = FrameStatus::Bad;
  std::size_t size = 0;  // Ok: the frame's size; Truncated: the size the header announces
  std::span<const std::uint8_t> payload;  // Ok only
};

// The frame at the start of `bytes`.
Frame readFrame(std::span<const std::uint8_t> bytes);

// Offset of the first Ok frame at or after `from`, or bytes.size() when
// there is none: how a reader finds its way again after a corrupt stretch.
std::size_t findFrame(std::span<const std::uint8_t> bytes, std::size_t from);

// The result of an Ok frame's payload; error "bad_record" when the layout
// does not hold (a frame written by another version, or a CRC collision).
core::Expected<core::CheckResult> decodePayload(std::span<const std::uint8_t> payload);

}  // namespace p2pmon::agent::spool
