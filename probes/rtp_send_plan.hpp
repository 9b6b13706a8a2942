// What the live RTP probe sends for a codec and packet time: payload type,
// RTP clock rate (RFC 3551: 8000 Hz for G.711; RFC 7587: 48000 Hz for
// Opus), timestamp step and payload size per packet, and the E-model
// impairment it is judged with. Pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"
#include "probes/emodel.hpp"
#include "probes/rtp_codec.hpp"

namespace p2pmon::probes {

struct RtpSendPlan {
  std::string codec;  // pcmu, pcma, opus
  std::uint8_t payloadType = 0;
  std::uint32_t clockRate = 8000;
  int ptimeMs = 20;
  std::uint32_t timestampStep = 160;  // clockRate × ptime
  std::size_t payloadBytes = 160;
  std::uint8_t filler = 0xFF;  // payload octet: G.711 silence
  CodecImpairment emodel{"g711", 0, 4.3};
};

// Dynamic payload type used for Opus (there is no SDP; 111 is what most
// WebRTC stacks offer).
inline constexpr std::uint8_t kOpusPayloadType = 111;
// Opus is variable-rate; the probe sends 32 kbit/s worth of octets, a
// typical wideband voice rate.
inline constexpr int kOpusBitrate = 32000;

// Errors: bad_usage (unknown codec; ptime not 10, 20, 30, 40 or 60 ms for
// G.711, 10, 20, 40 or 60 for Opus).
core::Expected<RtpSendPlan> makeSendPlan(std::string_view codec, int ptimeMs);

// The RTP packet of send slot `index` (0-based): sequence firstSeq+index,
// timestamp firstTs + index × step, the marker on the first (RFC 3551 §4.1:
// the start of a talkspurt), `plan.payloadBytes` of filler.
void buildPacket(const RtpSendPlan& plan, std::uint32_t ssrc, std::uint16_t firstSeq,
                 std::uint32_t firstTs, std::uint32_t index, std::vector<std::uint8_t>& out);

}  // namespace p2pmon::probes
