#include "probes/rtp_codec.hpp"

#include <algorithm>

namespace p2pmon::probes {

namespace {

std::uint16_t be16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
std::uint32_t be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}
void put16(std::vector<std::uint8_t>& out, std::uint32_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}
void put32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  put16(out, v >> 16);
  put16(out, v & 0xffffU);
}

core::Error err(const char* code, const char* message) { return core::makeError(code, message); }

}  // namespace

core::Expected<RtpPacket> decodeRtp(Bytes in) {
  if (in.size() < kRtpHeaderSize) return err("too_short", "shorter than the RTP fixed header");
  if ((in[0] >> 6) != 2) return err("bad_version", "RTP version is not 2");
  RtpPacket p;
  p.padding = (in[0] & 0x20) != 0;
  p.extension = (in[0] & 0x10) != 0;
  p.csrcCount = in[0] & 0x0f;
  p.marker = (in[1] & 0x80) != 0;
  p.payloadType = in[1] & 0x7f;
  p.sequence = be16(&in[2]);
  p.timestamp = be32(&in[4]);
  p.ssrc = be32(&in[8]);
  std::size_t pos = kRtpHeaderSize + 4 * std::size_t{p.csrcCount};
  if (in.size() < pos) return err("too_short", "CSRC list runs past the end");
  for (std::size_t i = 0; i < p.csrcCount; ++i) p.csrc[i] = be32(&in[kRtpHeaderSize + 4 * i]);
  if (p.extension) {
    if (in.size() < pos + 4) return err("too_short", "extension header runs past the end");
    p.extensionProfile = be16(&in[pos]);
    const std::size_t words = be16(&in[pos + 2]);
    pos += 4;
    if (in.size() - pos < 4 * words) return err("too_short", "extension runs past the end");
    p.extensionData = in.subspan(pos, 4 * words);
    pos += 4 * words;
  }
  std::size_t end = in.size();
  if (p.padding) {
    p.paddingSize = in[in.size() - 1];
    if (p.paddingSize == 0 || p.paddingSize > end - pos) {
      return err("bad_padding", "padding count is 0 or longer than the payload");
    }
    end -= p.paddingSize;
  }
  p.payload = in.subspan(pos, end - pos);
  return p;
}

std::vector<std::uint8_t> encodeRtp(const RtpPacket& p) {
  const std::uint8_t cc = std::min<std::uint8_t>(p.csrcCount, kRtpMaxCsrc);
  const std::size_t extWords = p.extension ? p.extensionData.size() / 4 : 0;
  const std::uint8_t pad = p.padding ? std::max<std::uint8_t>(p.paddingSize, 1) : 0;
  std::vector<std::uint8_t> out;
  out.reserve(kRtpHeaderSize + 4 * cc + 4 + 4 * extWords + p.payload.size() + pad);
  out.push_back(static_cast<std::uint8_t>(0x80 | (p.padding ? 0x20 : 0) |
                                          (p.extension ? 0x10 : 0) | cc));
  out.push_back(static_cast<std::uint8_t>((p.marker ? 0x80 : 0) | (p.payloadType & 0x7f)));
  put16(out, p.sequence);
  put32(out, p.timestamp);
  put32(out, p.ssrc);
  for (std::size_t i = 0; i < cc; ++i) put32(out, p.csrc[i]);
  if (p.extension) {
    put16(out, p.extensionProfile);
    put16(out, static_cast<std::uint32_t>(extWords));
    out.insert(out.end(), p.extensionData.begin(), p.extensionData.begin() + 4 * extWords);
  }
  out.insert(out.end(), p.payload.begin(), p.payload.end());
  if (pad > 0) {
    out.insert(out.end(), pad - 1, 0);
    out.push_back(pad);
  }
  return out;
}

// ---- RTCP ----

namespace {

constexpr std::size_t kReportBlockSize = 24;
constexpr std::size_t kSenderInfoSize = 20;
constexpr std::size_t kVoipBlockSize = 36;
constexpr std::uint8_t kXrVoipBlockType = 7;

ReportBlock readBlock(const std::uint8_t* p) {
  ReportBlock b;
  b.ssrc = be32(p);
  b.fractionLost = p[4];
  // 24-bit two's complement: sign-extend through the top byte.
  const std::uint32_t raw = (std::uint32_t{p[5]} << 16) | (std::uint32_t{p[6]} << 8) | p[7];
  b.cumulativeLost = static_cast<std::int32_t>(raw ^ 0x800000U) - 0x800000;
  b.extHighestSeq = be32(p + 8);
  b.jitter = be32(p + 12);
  b.lsr = be32(p + 16);
  b.dlsr = be32(p + 20);
  return b;
}

VoipMetrics readVoip(const std::uint8_t* p) {  // p at the block's SSRC (after BT/len)
  VoipMetrics v;
  v.ssrc = be32(p);
  v.lossRate = p[4];
  v.discardRate = p[5];
  v.burstDensity = p[6];
  v.gapDensity = p[7];
  v.burstDuration = be16(p + 8);
  v.gapDuration = be16(p + 10);
  v.roundTripDelay = be16(p + 12);
  v.endSystemDelay = be16(p + 14);
  v.signalLevel = static_cast<std::int8_t>(p[16]);
  v.noiseLevel = static_cast<std::int8_t>(p[17]);
  v.rerl = p[18];
  v.gmin = p[19];
  v.rFactor = p[20];
  v.extRFactor = p[21];
  v.mosLq = p[22];
  v.mosCq = p[23];
  v.rxConfig = p[24];
  // p[25] reserved
  v.jbNominal = be16(p + 26);
  v.jbMaximum = be16(p + 28);
  v.jbAbsMax = be16(p + 30);
  return v;
}

// One RTCP packet's body (after its 4-byte header), `count` from the header.
core::Expected<bool> readReport(std::uint8_t type, std::size_t count, Bytes body,
                                RtcpCompound& out) {
  RtcpReport r;
  r.isSender = type == kRtcpSr;
  const std::size_t fixed = 4 + (r.isSender ? kSenderInfoSize : 0);
  if (body.size() < fixed + count * kReportBlockSize) {
    return err("bad_length", "report count does not fit the packet length");
  }
  r.ssrc = be32(body.data());
  if (r.isSender) {
    const std::uint8_t* s = body.data() + 4;
    r.sender.ntpTimestamp = (std::uint64_t{be32(s)} << 32) | be32(s + 4);
    r.sender.rtpTimestamp = be32(s + 8);
    r.sender.packetCount = be32(s + 12);
    r.sender.octetCount = be32(s + 16);
  }
  for (std::size_t i = 0; i < count; ++i) {
    r.blocks.push_back(readBlock(body.data() + fixed + i * kReportBlockSize));
  }
  out.reports.push_back(std::move(r));
  return true;
}

core::Expected<bool> readXr(Bytes body, RtcpCompound& out) {
  if (body.size() < 4) return err("bad_length", "XR packet without its SSRC");
  RtcpXr xr;
  xr.ssrc = be32(body.data());
  std::size_t pos = 4;
  while (pos < body.size()) {
    if (body.size() - pos < 4) return err("bad_length", "XR block header runs past the packet");
    const std::uint8_t bt = body[pos];
    const std::size_t len = be16(&body[pos + 2]);
    if (body.size() - pos - 4 < 4 * len) return err("bad_length", "XR block runs past the packet");
    if (bt == kXrVoipBlockType) {
      if (len != 8) return err("bad_length", "VoIP Metrics block length is not 8");
      xr.voip.push_back(readVoip(&body[pos + 4]));
    } else {
      ++xr.otherBlocks;
    }
    pos += 4 + 4 * len;
  }
  out.xrs.push_back(std::move(xr));
  return true;
}

}  // namespace

core::Expected<RtcpCompound> decodeRtcp(Bytes in) {
  if (in.size() < 4) return err("too_short", "shorter than an RTCP header");
  RtcpCompound out;
  std::size_t pos = 0;
  while (pos < in.size()) {
    if (in.size() - pos < 4) return err("truncated", "RTCP header runs past the end");
    const std::uint8_t* h = &in[pos];
    if ((h[0] >> 6) != 2) return err("bad_version", "RTCP version is not 2");
    const std::size_t size = 4 * (std::size_t{be16(h + 2)} + 1);
    if (in.size() - pos < size) return err("truncated", "RTCP length runs past the end");
    std::size_t bodySize = size - 4;
    if ((h[0] & 0x20) != 0) {
      // Only the last packet of a compound may be padded (RFC 3550 A.2).
      const std::uint8_t pad = in[pos + size - 1];
      if (pos + size != in.size() || pad == 0 || pad > bodySize) {
        return err("bad_padding", "RTCP padding not on the last packet or too long");
      }
      bodySize -= pad;
    }
    const Bytes body = in.subspan(pos + 4, bodySize);
    const std::uint8_t type = h[1];
    const std::size_t count = h[0] & 0x1f;
    core::Expected<bool> step = true;
    if (type == kRtcpSr || type == kRtcpRr) {
      step = readReport(type, count, body, out);
    } else if (type == kRtcpXr) {
      step = readXr(body, out);
    } else {
      ++out.otherPackets;
    }
    if (!step) return step.error();
    pos += size;
  }
  return out;
}

std::vector<std::uint8_t> encodeRtcpReport(const RtcpReport& r) {
  const std::size_t count = std::min<std::size_t>(r.blocks.size(), 31);
  const std::size_t size =
      8 + (r.isSender ? kSenderInfoSize : 0) + count * kReportBlockSize;
  std::vector<std::uint8_t> out;
  out.reserve(size);
  out.push_back(static_cast<std::uint8_t>(0x80 | count));
  out.push_back(r.isSender ? kRtcpSr : kRtcpRr);
  put16(out, static_cast<std::uint32_t>(size / 4 - 1));
  put32(out, r.ssrc);
  if (r.isSender) {
    put32(out, static_cast<std::uint32_t>(r.sender.ntpTimestamp >> 32));
    put32(out, static_cast<std::uint32_t>(r.sender.ntpTimestamp));
    put32(out, r.sender.rtpTimestamp);
    put32(out, r.sender.packetCount);
    put32(out, r.sender.octetCount);
  }
  for (std::size_t i = 0; i < count; ++i) {
    const auto& b = r.blocks[i];
    put32(out, b.ssrc);
    const std::int32_t lost = std::clamp<std::int32_t>(b.cumulativeLost, -0x800000, 0x7fffff);
    const auto raw = static_cast<std::uint32_t>(lost) & 0xffffffU;
    out.push_back(b.fractionLost);
    out.push_back(static_cast<std::uint8_t>(raw >> 16));
    put16(out, raw & 0xffffU);
    put32(out, b.extHighestSeq);
    put32(out, b.jitter);
    put32(out, b.lsr);
    put32(out, b.dlsr);
  }
  return out;
}

std::vector<std::uint8_t> encodeRtcpXr(const RtcpXr& xr) {
  const std::size_t size = 8 + xr.voip.size() * kVoipBlockSize;
  std::vector<std::uint8_t> out;
  out.reserve(size);
  out.push_back(0x80);
  out.push_back(kRtcpXr);
  put16(out, static_cast<std::uint32_t>(size / 4 - 1));
  put32(out, xr.ssrc);
  for (const auto& v : xr.voip) {
    out.push_back(kXrVoipBlockType);
    out.push_back(0);  // type-specific, reserved
    put16(out, 8);
    put32(out, v.ssrc);
    for (std::uint8_t b : {v.lossRate, v.discardRate, v.burstDensity, v.gapDensity}) {
      out.push_back(b);
    }
    for (std::uint16_t w : {v.burstDuration, v.gapDuration, v.roundTripDelay, v.endSystemDelay}) {
      put16(out, w);
    }
    out.push_back(static_cast<std::uint8_t>(v.signalLevel));
    out.push_back(static_cast<std::uint8_t>(v.noiseLevel));
    for (std::uint8_t b : {v.rerl, v.gmin, v.rFactor, v.extRFactor, v.mosLq, v.mosCq, v.rxConfig,
                           std::uint8_t{0}}) {
      out.push_back(b);
    }
    for (std::uint16_t w : {v.jbNominal, v.jbMaximum, v.jbAbsMax}) put16(out, w);
  }
  return out;
}

}  // namespace p2pmon::probes
