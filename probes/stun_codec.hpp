// STUN messages, RFC 5389 (header with magic cookie, FINGERPRINT), the
// RFC 5780 NAT behaviour discovery attributes and RFC 3489's classic form
// (no magic cookie: a 128-bit transaction id) as the classic NAT flow and
// Debian's stun-client speak it. Pure: bytes in, values out, no sockets.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"

namespace p2pmon::probes::stun {

inline constexpr std::uint32_t kMagicCookie = 0x2112A442;
inline constexpr std::uint32_t kFingerprintXor = 0x5354554E;
inline constexpr std::size_t kHeaderSize = 20;
// A STUN datagram never needs more: RFC 5780's PADDING test pads to the
// path MTU (coturn sends 1,532 bytes). Receivers use this buffer size.
inline constexpr std::size_t kMaxDatagram = 2048;
inline constexpr std::size_t kMaxSoftware = 763;  // RFC 5389 §15.10: < 128 characters

inline constexpr std::uint16_t kBindingMethod = 0x001;

enum class MessageClass : std::uint8_t { request = 0, indication = 1, success = 2, error = 3 };

// Message type = method bits interleaved with the two class bits (RFC 5389 §6):
// Binding request 0x0001, success 0x0101, error 0x0111.
std::uint16_t messageType(std::uint16_t method, MessageClass cls);
std::uint16_t methodOf(std::uint16_t type);
MessageClass classOf(std::uint16_t type);

// Attribute types. Below 0x8000 a receiver must understand them
// (comprehension-required); above, it may ignore them.
namespace attr {
inline constexpr std::uint16_t kMappedAddress = 0x0001;
inline constexpr std::uint16_t kResponseAddress = 0x0002;  // RFC 3489, not supported: unknown
inline constexpr std::uint16_t kChangeRequest = 0x0003;    // RFC 3489, RFC 5780 §7.2
inline constexpr std::uint16_t kSourceAddress = 0x0004;    // RFC 3489
inline constexpr std::uint16_t kChangedAddress = 0x0005;   // RFC 3489
inline constexpr std::uint16_t kUsername = 0x0006;
inline constexpr std::uint16_t kMessageIntegrity = 0x0008;
inline constexpr std::uint16_t kErrorCode = 0x0009;
inline constexpr std::uint16_t kUnknownAttributes = 0x000A;
inline constexpr std::uint16_t kRealm = 0x0014;
inline constexpr std::uint16_t kNonce = 0x0015;
inline constexpr std::uint16_t kXorMappedAddress = 0x0020;
inline constexpr std::uint16_t kPadding = 0x0026;       // RFC 5780 §7.6
inline constexpr std::uint16_t kResponsePort = 0x0027;  // RFC 5780 §7.5
inline constexpr std::uint16_t kXorMappedAddressOld = 0x8020;  // pre-RFC 5389 drafts
inline constexpr std::uint16_t kSoftware = 0x8022;      // RFC 3489's SERVER
inline constexpr std::uint16_t kAlternateServer = 0x8023;
inline constexpr std::uint16_t kFingerprint = 0x8028;
inline constexpr std::uint16_t kResponseOrigin = 0x802B;  // RFC 5780 §7.3
inline constexpr std::uint16_t kOtherAddress = 0x802C;    // RFC 5780 §7.4
}  // namespace attr

// An IPv4 or IPv6 transport address as STUN carries it.
struct Address {
  std::uint8_t family = 4;  // 4 or 6
  std::array<std::uint8_t, 16> ip{};  // IPv4 in the first 4 bytes
  std::uint16_t port = 0;
  std::string str() const;  // "192.0.2.1:3478", "[2001:db8::1]:3478"
  bool sameIp(const Address& o) const { return family == o.family && ip == o.ip; }
  bool operator==(const Address&) const = default;
};
// "IPv4:port" or "[IPv6]:port" literals (no names).
core::Expected<Address> parseAddress(std::string_view text);

using TransactionId = std::array<std::uint8_t, 12>;

struct Attribute {
  std::uint16_t type = 0;
  std::vector<std::uint8_t> value;  // without padding
  bool operator==(const Attribute&) const = default;
};

struct Message {
  std::uint16_t type = 0;
  // RFC 5389: the magic cookie. RFC 3489: the first 4 bytes of its 128-bit
  // transaction id, echoed back unchanged; XOR addresses use it either way,
  // as stund does for the XOR-MAPPED-ADDRESS it adds to classic answers.
  std::uint32_t cookie = kMagicCookie;
  TransactionId id{};
  std::vector<Attribute> attributes;  // wire order; FINGERPRINT is not among them
  bool fingerprint = false;  // decode: one was present and valid; encode: add one
  bool classic() const { return cookie != kMagicCookie; }
  bool operator==(const Message&) const = default;
};

struct ChangeRequest {
  bool changeIp = false;    // flag 0x04
  bool changePort = false;  // flag 0x02
  bool operator==(const ChangeRequest&) const = default;
};

struct ErrorCode {
  int code = 0;  // 300..699
  std::string reason;
};

// Decoding checks the header, every attribute's bounds and the value of
// every attribute this file knows, and FINGERPRINT (which must be last).
// Unknown attributes are kept as they are. Error codes (stable, counters
// key on them): too_short, not_stun, bad_length, bad_attribute,
// bad_address, bad_fingerprint.
core::Expected<Message> decode(std::span<const std::uint8_t> bytes);
std::vector<std::uint8_t> encode(const Message& m);

// A cheap test for demultiplexing a socket shared with other protocols:
// first two bits zero, length a multiple of 4 matching the datagram.
bool looksLikeStun(std::span<const std::uint8_t> bytes);

// Comprehension-required attribute types this codec does not know: a
// server answers a request carrying any with 420 and UNKNOWN-ATTRIBUTES.
std::vector<std::uint16_t> unknownRequired(const Message& m);

// Typed access. add* append; find* return the first valid one.
// XOR-MAPPED-ADDRESS (both codes) is XORed with cookie and id on the way.
void addAddress(Message& m, std::uint16_t type, const Address& a);
std::optional<Address> findAddress(const Message& m, std::uint16_t type);
// XOR-MAPPED-ADDRESS, else the old XOR code, else MAPPED-ADDRESS.
std::optional<Address> findMapped(const Message& m);
void addChangeRequest(Message& m, ChangeRequest cr);
std::optional<ChangeRequest> findChangeRequest(const Message& m);
void addResponsePort(Message& m, std::uint16_t port);
std::optional<std::uint16_t> findResponsePort(const Message& m);
void addSoftware(Message& m, std::string_view text);  // cut to kMaxSoftware bytes
std::optional<std::string> findSoftware(const Message& m);
void addErrorCode(Message& m, const ErrorCode& e);
std::optional<ErrorCode> findErrorCode(const Message& m);
void addUnknownAttributes(Message& m, std::span<const std::uint16_t> types);
bool has(const Message& m, std::uint16_t type);

// A Binding request (RFC 5389 form) with optional CHANGE-REQUEST and
// RESPONSE-PORT; the caller supplies the random transaction id.
Message bindingRequest(const TransactionId& id, ChangeRequest change = {},
                       std::optional<std::uint16_t> responsePort = std::nullopt);

// CRC-32 (ISO-HDLC, as zlib) of `bytes`; FINGERPRINT is this xor kFingerprintXor.
std::uint32_t crc32(std::span<const std::uint8_t> bytes);

}  // namespace p2pmon::probes::stun
