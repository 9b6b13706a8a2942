// NSCA 2.9/2.10 wire codec: the 132-byte init packet and the v3 data packet
// in its 4304-byte and legacy 720-byte sizes, encryption 0 (none) and 1 (XOR),
// CRC-32 checked. Byte layout: shared/reference/nagios.md §1 (NagiosEnterprises
// nsca include/common.h); pure functions, no sockets.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"

namespace p2pmon::core::nsca {

inline constexpr std::size_t kIvSize = 128;
inline constexpr std::size_t kInitPacketSize = 132;
inline constexpr std::size_t kPacketSize = 4304;       // nsca 2.9+
inline constexpr std::size_t kLegacyPacketSize = 720;  // nsca 2.7 (512-byte output)
inline constexpr std::size_t kHostFieldSize = 64;
inline constexpr std::size_t kServiceFieldSize = 128;
inline constexpr std::size_t kOutputFieldSize = 4096;
inline constexpr std::size_t kLegacyOutputFieldSize = 512;
inline constexpr std::int16_t kPacketVersion = 3;

// Only methods 0 and 1 are supported; the mcrypt methods (2..26) are not,
// since XOR is what send_nsca uses by default and NSCA offers no real
// confidentiality either way (use a TLS tunnel for that).
enum class Encryption : int { None = 0, Xor = 1 };

struct InitPacket {
  std::array<std::uint8_t, kIvSize> iv{};
  std::uint32_t timestamp = 0;
};

struct DataPacket {
  std::uint32_t timestamp = 0;  // send_nsca copies the init packet's timestamp
  std::int16_t returnCode = 0;
  std::string host;
  std::string service;  // empty: host check result
  std::string output;   // plugin output, perfdata included
};

std::array<std::uint8_t, kInitPacketSize> encodeInit(const InitPacket& init);
Expected<InitPacket> decodeInit(std::span<const std::uint8_t> bytes);

// The per-connection XOR key stream: IV[i % 128] ^ password[i % len]. Built
// once per connection so that each packet costs one pass over its bytes.
class Cipher {
 public:
  Cipher(Encryption method, const std::array<std::uint8_t, kIvSize>& iv, std::string_view password);
  void apply(std::span<std::uint8_t> buf) const;  // encrypts and decrypts alike
  Encryption method() const { return method_; }

 private:
  Encryption method_;
  std::array<std::uint8_t, kPacketSize> stream_{};
};

// Fills unused bytes with zeros. Output longer than the field is cut as
// send_nsca does; a host or service that does not fit is an error, since
// cutting it would change what the result is about.
Expected<std::vector<std::uint8_t>> encodeData(const DataPacket& packet, std::size_t packetSize,
                                               const Cipher& cipher);

// `bytes` must be exactly kPacketSize or kLegacyPacketSize long. Errors:
// bad_size, bad_version, bad_crc.
Expected<DataPacket> decodeData(std::span<const std::uint8_t> bytes, const Cipher& cipher);

// zlib's CRC-32 (IEEE, reflected), the one nsca uses.
std::uint32_t crc32(std::span<const std::uint8_t> bytes);

}  // namespace p2pmon::core::nsca
