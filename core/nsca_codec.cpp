#include "core/nsca_codec.hpp"

#include <algorithm>
#include <cstring>

#include <zlib.h>

namespace p2pmon::core::nsca {

namespace {
constexpr std::size_t kVersionOffset = 0;
constexpr std::size_t kCrcOffset = 4;
constexpr std::size_t kTimestampOffset = 8;
constexpr std::size_t kReturnCodeOffset = 12;
constexpr std::size_t kHostOffset = 14;
constexpr std::size_t kServiceOffset = kHostOffset + kHostFieldSize;        // 78
constexpr std::size_t kOutputOffset = kServiceOffset + kServiceFieldSize;  // 206

void put16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}
void put32(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}
std::uint16_t get16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
std::uint32_t get32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

// Reads a NUL-terminated field; like nsca, the last byte is forced to NUL.
std::string getField(const std::uint8_t* p, std::size_t size) {
  const auto* c = reinterpret_cast<const char*>(p);
  return std::string(c, strnlen(c, size - 1));
}
}  // namespace

std::uint32_t crc32(std::span<const std::uint8_t> bytes) {
  uLong crc = ::crc32(0L, Z_NULL, 0);
  crc = ::crc32(crc, bytes.data(), static_cast<uInt>(bytes.size()));
  return static_cast<std::uint32_t>(crc);
}

std::array<std::uint8_t, kInitPacketSize> encodeInit(const InitPacket& init) {
  std::array<std::uint8_t, kInitPacketSize> out{};
  std::copy(init.iv.begin(), init.iv.end(), out.begin());
  put32(out.data() + kIvSize, init.timestamp);
  return out;
}

Expected<InitPacket> decodeInit(std::span<const std::uint8_t> bytes) {
  if (bytes.size() != kInitPacketSize) {
    return makeError("bad_size", "init packet must be 132 bytes, got " +
                                     std::to_string(bytes.size()));
  }
  InitPacket init;
  std::copy_n(bytes.begin(), kIvSize, init.iv.begin());
  init.timestamp = get32(bytes.data() + kIvSize);
  return init;
}

Cipher::Cipher(Encryption method, const std::array<std::uint8_t, kIvSize>& iv,
               std::string_view password)
    : method_(method) {
  if (method_ != Encryption::Xor) return;
  // An empty password leaves only the IV (nsca XORs with password[0] = NUL).
  for (std::size_t i = 0; i < kPacketSize; ++i) {
    std::uint8_t k = iv[i % kIvSize];
    if (!password.empty()) k ^= static_cast<std::uint8_t>(password[i % password.size()]);
    stream_[i] = k;
  }
}

void Cipher::apply(std::span<std::uint8_t> buf) const {
  if (method_ != Encryption::Xor) return;
  const std::size_t n = std::min(buf.size(), stream_.size());
  for (std::size_t i = 0; i < n; ++i) buf[i] ^= stream_[i];
}

Expected<std::vector<std::uint8_t>> encodeData(const DataPacket& packet, std::size_t packetSize,
                                               const Cipher& cipher) {
  if (packetSize != kPacketSize && packetSize != kLegacyPacketSize) {
    return makeError("bad_size", "packet size must be 4304 or 720");
  }
  if (packet.host.size() >= kHostFieldSize) return makeError("name_too_long", "host name too long");
  if (packet.service.size() >= kServiceFieldSize) {
    return makeError("name_too_long", "service name too long");
  }
  const std::size_t outputField =
      packetSize == kPacketSize ? kOutputFieldSize : kLegacyOutputFieldSize;
  std::vector<std::uint8_t> buf(packetSize, 0);
  put16(buf.data() + kVersionOffset, static_cast<std::uint16_t>(kPacketVersion));
  put32(buf.data() + kTimestampOffset, packet.timestamp);
  put16(buf.data() + kReturnCodeOffset, static_cast<std::uint16_t>(packet.returnCode));
  std::memcpy(buf.data() + kHostOffset, packet.host.data(), packet.host.size());
  std::memcpy(buf.data() + kServiceOffset, packet.service.data(), packet.service.size());
  std::memcpy(buf.data() + kOutputOffset, packet.output.data(),
              std::min(packet.output.size(), outputField - 1));
  put32(buf.data() + kCrcOffset, crc32(buf));
  cipher.apply(buf);
  return buf;
}

Expected<DataPacket> decodeData(std::span<const std::uint8_t> bytes, const Cipher& cipher) {
  const std::size_t size = bytes.size();
  if (size != kPacketSize && size != kLegacyPacketSize) {
    return makeError("bad_size", "data packet must be 4304 or 720 bytes, got " +
                                     std::to_string(size));
  }
  std::array<std::uint8_t, kPacketSize> buf;
  std::copy(bytes.begin(), bytes.end(), buf.begin());
  std::span<std::uint8_t> pkt(buf.data(), size);
  cipher.apply(pkt);
  const auto version = static_cast<std::int16_t>(get16(pkt.data() + kVersionOffset));
  if (version != kPacketVersion) {
    return makeError("bad_version", "packet version " + std::to_string(version) +
                                        " (expected 3; wrong password or encryption?)");
  }
  const std::uint32_t claimed = get32(pkt.data() + kCrcOffset);
  put32(pkt.data() + kCrcOffset, 0);
  if (crc32(pkt) != claimed) return makeError("bad_crc", "CRC-32 mismatch");
  DataPacket out;
  out.timestamp = get32(pkt.data() + kTimestampOffset);
  out.returnCode = static_cast<std::int16_t>(get16(pkt.data() + kReturnCodeOffset));
  out.host = getField(pkt.data() + kHostOffset, kHostFieldSize);
  out.service = getField(pkt.data() + kServiceOffset, kServiceFieldSize);
  out.output = getField(pkt.data() + kOutputOffset,
                        size == kPacketSize ? kOutputFieldSize : kLegacyOutputFieldSize);
  return out;
}

}  // namespace p2pmon::core::nsca
