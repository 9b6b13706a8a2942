#include "probes/rtp_send_plan.hpp"

#include <algorithm>

namespace p2pmon::probes {

core::Expected<RtpSendPlan> makeSendPlan(std::string_view codec, int ptimeMs) {
  RtpSendPlan p;
  p.codec = std::string(codec);
  p.ptimeMs = ptimeMs;
  const bool g711Ptime = ptimeMs == 10 || ptimeMs == 20 || ptimeMs == 30 || ptimeMs == 40 || ptimeMs == 60;
  if (codec == "pcmu" || codec == "pcma") {
    if (!g711Ptime) return core::makeError("bad_usage", "--ptime for G.711 must be 10, 20, 30, 40 or 60");
    p.payloadType = codec == "pcmu" ? 0 : 8;
    p.clockRate = 8000;
    p.filler = codec == "pcmu" ? 0xFF : 0xD5;  // the silence octet of each law
    p.payloadBytes = static_cast<std::size_t>(8 * ptimeMs);  // one octet per sample
    p.emodel = *findCodecImpairment("g711");
  } else if (codec == "opus") {
    if (ptimeMs != 10 && ptimeMs != 20 && ptimeMs != 40 && ptimeMs != 60) {
      return core::makeError("bad_usage", "--ptime for opus must be 10, 20, 40 or 60");
    }
    p.payloadType = kOpusPayloadType;
    p.clockRate = 48000;  // RFC 7587 §4.1: always 48 kHz, whatever the audio bandwidth
    p.filler = 0;
    p.payloadBytes = static_cast<std::size_t>(kOpusBitrate / 8 * ptimeMs / 1000);
    // G.113 has no Opus entry; Opus conceals loss itself, so it is judged
    // like G.711 with packet loss concealment (Ie 0, Bpl 25.1).
    p.emodel = *findCodecImpairment("g711-plc");
  } else {
    return core::makeError("bad_usage", "--codec must be pcmu, pcma or opus");
  }
  p.timestampStep = p.clockRate / 1000 * static_cast<std::uint32_t>(ptimeMs);
  return p;
}

void buildPacket(const RtpSendPlan& plan, std::uint32_t ssrc, std::uint16_t firstSeq,
                 std::uint32_t firstTs, std::uint32_t index, std::vector<std::uint8_t>& out) {
  const auto seq = static_cast<std::uint16_t>(firstSeq + index);
  const std::uint32_t ts = firstTs + index * plan.timestampStep;
  out.resize(kRtpHeaderSize + plan.payloadBytes);
  out[0] = 0x80;
  out[1] = static_cast<std::uint8_t>((index == 0 ? 0x80 : 0) | plan.payloadType);
  out[2] = static_cast<std::uint8_t>(seq >> 8);
  out[3] = static_cast<std::uint8_t>(seq);
  for (int i = 0; i < 4; ++i) out[4 + i] = static_cast<std::uint8_t>(ts >> (24 - 8 * i));
  for (int i = 0; i < 4; ++i) out[8 + i] = static_cast<std::uint8_t>(ssrc >> (24 - 8 * i));
  std::fill(out.begin() + kRtpHeaderSize, out.end(), plan.filler);
}

}  // namespace p2pmon::probes
