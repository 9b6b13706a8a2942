#include "probes/rtp_reflection.hpp"

#include <cstring>

namespace p2pmon::probes {

namespace {

// Seconds from 1900 (NTP era 0) to 1970 (Unix epoch).
constexpr std::uint64_t kNtpUnixOffset = 2208988800ULL;

void put32(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}

std::uint32_t get32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

}  // namespace

std::size_t encodeReflection(Bytes in, const RtpPacket& p, const ReflectionInfo& info,
                             std::span<std::uint8_t> out) {
  const std::size_t header = kRtpHeaderSize + 4 * std::size_t{p.csrcCount};
  // What follows the sender's own extension (payload and padding) is kept.
  const std::size_t rest = p.extension ? header + 4 + p.extensionData.size() : header;
  const std::size_t size = header + kReflectionExtensionSize + (in.size() - rest);
  if (out.size() < size) return 0;
  std::uint8_t* o = out.data();
  std::memcpy(o, in.data(), header);
  o[0] |= 0x10;  // X
  std::uint8_t* e = o + header;
  e[0] = static_cast<std::uint8_t>(kOneByteExtensionProfile >> 8);
  e[1] = static_cast<std::uint8_t>(kOneByteExtensionProfile & 0xff);
  e[2] = 0;
  e[3] = (kReflectionExtensionSize - 4) / 4;  // length in 32-bit words
  e[4] = static_cast<std::uint8_t>((kReflectionElementId << 4) | (kReflectionDataSize - 1));
  put32(e + 5, static_cast<std::uint32_t>(info.receiveTime >> 32));
  put32(e + 9, static_cast<std::uint32_t>(info.receiveTime));
  put32(e + 13, info.received);
  put32(e + 17, info.outSequence);
  e[21] = e[22] = e[23] = 0;  // RFC 8285 §4.2 padding
  if (in.size() > rest) std::memcpy(e + kReflectionExtensionSize, in.data() + rest, in.size() - rest);
  return size;
}

core::Expected<ReflectionInfo> decodeReflection(const RtpPacket& p) {
  if (!p.extension || p.extensionProfile != kOneByteExtensionProfile) {
    return core::makeError("not_reflected", "no RFC 8285 one-byte header extension");
  }
  const Bytes d = p.extensionData;
  std::size_t i = 0;
  while (i < d.size()) {
    const std::uint8_t b = d[i];
    if (b == 0) {  // padding between elements
      ++i;
      continue;
    }
    const int id = b >> 4;
    const std::size_t len = std::size_t{b & 0x0fU} + 1;
    if (id == 15) break;  // RFC 8285: stop processing
    if (i + 1 + len > d.size()) return core::makeError("bad_extension", "element runs past the extension");
    if (id == kReflectionElementId) {
      if (len != kReflectionDataSize) {
        return core::makeError("bad_extension", "reflection element of " + std::to_string(len) + " octets");
      }
      const std::uint8_t* v = d.data() + i + 1;
      ReflectionInfo r;
      r.receiveTime = (std::uint64_t{get32(v)} << 32) | get32(v + 4);
      r.received = get32(v + 8);
      r.outSequence = get32(v + 12);
      return r;
    }
    i += 1 + len;
  }
  return core::makeError("not_reflected", "no reflection element");
}

std::uint64_t ntpFromUnix(std::int64_t seconds, std::uint32_t nanoseconds) {
  const auto s = static_cast<std::uint64_t>(seconds) + kNtpUnixOffset;
  const std::uint64_t frac = (std::uint64_t{nanoseconds} << 32) / 1000000000ULL;
  return (s << 32) | (frac & 0xffffffffULL);
}

double ntpToUnixSeconds(std::uint64_t ntp) {
  const double s = static_cast<double>(ntp >> 32) - static_cast<double>(kNtpUnixOffset);
  return s + static_cast<double>(ntp & 0xffffffffULL) / 4294967296.0;
}

}  // namespace p2pmon::probes
