// RTP and RTCP on the wire: the RTP fixed header (RFC 3550 §5.1), RTCP
// sender and receiver reports (§6.4) and the RTCP XR VoIP Metrics report
// block (RFC 3611 §4.7). Pure: bytes in, values out; decoders never read
// out of bounds and report malformed input with a stable error code.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/expected.hpp"

namespace p2pmon::probes {

using Bytes = std::span<const std::uint8_t>;

inline constexpr std::size_t kRtpHeaderSize = 12;
inline constexpr std::size_t kRtpMaxCsrc = 15;

// A decoded RTP packet. The extension and payload are views into the bytes
// decoded, so a packet lives no longer than its buffer.
struct RtpPacket {
  bool padding = false;    // P: the packet ends in paddingSize padding octets
  bool extension = false;  // X: a header extension follows the CSRC list
  bool marker = false;
  std::uint8_t payloadType = 0;  // 0..127
  std::uint16_t sequence = 0;
  std::uint32_t timestamp = 0;
  std::uint32_t ssrc = 0;
  std::uint8_t csrcCount = 0;  // CC, entries used in csrc
  std::array<std::uint32_t, kRtpMaxCsrc> csrc{};
  std::uint16_t extensionProfile = 0;  // "defined by profile" (RFC 8285: 0xBEDE, 0x100x)
  Bytes extensionData;                 // the extension's words, without its 4-byte header
  Bytes payload;                       // without padding
  std::uint8_t paddingSize = 0;        // the last octet when padding (counts itself)
};

// Error codes: too_short (under 12 bytes, or shorter than CC and the
// extension say), bad_version (V != 2), bad_padding (padding count 0 or
// larger than what follows the header).
core::Expected<RtpPacket> decodeRtp(Bytes in);

// Quick test for "could be RTP": at least 12 bytes and version 2 (the
// first filter a capture scanner applies before decodeRtp).
inline bool looksLikeRtp(Bytes in) { return in.size() >= kRtpHeaderSize && (in[0] >> 6) == 2; }

// Encodes `p` (csrcCount entries of csrc, extensionData padded by the
// caller to whole words, paddingSize octets of padding when p.padding).
std::vector<std::uint8_t> encodeRtp(const RtpPacket& p);

// ---- RTCP (RFC 3550 §6.4) ----

inline constexpr std::uint8_t kRtcpSr = 200;
inline constexpr std::uint8_t kRtcpRr = 201;
inline constexpr std::uint8_t kRtcpXr = 207;

// A reception report block (§6.4.1).
struct ReportBlock {
  std::uint32_t ssrc = 0;
  std::uint8_t fractionLost = 0;    // lost/expected in the interval, × 256
  std::int32_t cumulativeLost = 0;  // 24-bit signed on the wire (duplicates can make it negative)
  std::uint32_t extHighestSeq = 0;  // cycles << 16 | highest sequence number
  std::uint32_t jitter = 0;         // interarrival jitter, RTP timestamp units
  std::uint32_t lsr = 0;            // middle 32 bits of the last SR's NTP time
  std::uint32_t dlsr = 0;           // delay since that SR, 1/65536 s
  friend bool operator==(const ReportBlock&, const ReportBlock&) = default;
};

struct SenderInfo {
  std::uint64_t ntpTimestamp = 0;  // 32.32 fixed point seconds since 1900
  std::uint32_t rtpTimestamp = 0;
  std::uint32_t packetCount = 0;
  std::uint32_t octetCount = 0;
  friend bool operator==(const SenderInfo&, const SenderInfo&) = default;
};

// SR (sender set) or RR; at most 31 report blocks.
struct RtcpReport {
  bool isSender = false;
  std::uint32_t ssrc = 0;
  SenderInfo sender;  // SR only
  std::vector<ReportBlock> blocks;
  friend bool operator==(const RtcpReport&, const RtcpReport&) = default;
};

// RFC 3611 §4.7 VoIP Metrics report block (BT 7, 36 octets). Rates and
// densities are fractions × 256, durations and delays in ms; 127 means
// "unavailable" for the levels, RERL, R factors and MOS values.
struct VoipMetrics {
  std::uint32_t ssrc = 0;
  std::uint8_t lossRate = 0, discardRate = 0, burstDensity = 0, gapDensity = 0;
  std::uint16_t burstDuration = 0, gapDuration = 0;
  std::uint16_t roundTripDelay = 0, endSystemDelay = 0;
  std::int8_t signalLevel = 127, noiseLevel = 127;  // dBm0
  std::uint8_t rerl = 127;
  std::uint8_t gmin = 16;
  std::uint8_t rFactor = 127, extRFactor = 127;
  std::uint8_t mosLq = 127, mosCq = 127;  // MOS × 10
  std::uint8_t rxConfig = 0;              // PLC (2 bits), JBA (2 bits), JB rate (4 bits)
  std::uint16_t jbNominal = 0, jbMaximum = 0, jbAbsMax = 0;
  friend bool operator==(const VoipMetrics&, const VoipMetrics&) = default;
};

struct RtcpXr {
  std::uint32_t ssrc = 0;
  std::vector<VoipMetrics> voip;  // the VoIP Metrics blocks
  std::size_t otherBlocks = 0;    // report blocks of other types, skipped
  friend bool operator==(const RtcpXr&, const RtcpXr&) = default;
};

// A compound RTCP packet (§6.1): its SR/RR and XR packets; SDES, BYE, APP
// and other types are counted and skipped.
struct RtcpCompound {
  std::vector<RtcpReport> reports;
  std::vector<RtcpXr> xrs;
  std::size_t otherPackets = 0;
};

// Error codes: too_short, bad_version, truncated (a length field runs past
// the end), bad_length (a count that does not fit its length, XR blocks
// that overrun their packet, a VoIP block whose length is not 8),
// bad_padding (padding on a packet other than the last, or larger than it).
core::Expected<RtcpCompound> decodeRtcp(Bytes in);

std::vector<std::uint8_t> encodeRtcpReport(const RtcpReport& r);  // SR or RR
std::vector<std::uint8_t> encodeRtcpXr(const RtcpXr& xr);          // VoIP Metrics blocks only

// RTP and RTCP on one port (RFC 5761 §4): RTCP packet types 192..223 in the
// second octet are RTCP, everything else RTP.
inline bool isRtcpPacketType(std::uint8_t secondOctet) {
  return secondOctet >= 192 && secondOctet <= 223;
}

}  // namespace p2pmon::probes
