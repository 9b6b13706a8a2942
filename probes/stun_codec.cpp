#include "probes/stun_codec.hpp"

#include <arpa/inet.h>  // inet_pton/inet_ntop: pure conversions, no sockets

#include <algorithm>
#include <charconv>

namespace p2pmon::probes::stun {

namespace {

using core::makeError;

constexpr std::array<std::uint32_t, 256> makeCrcTable() {
  std::array<std::uint32_t, 256> t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    t[i] = c;
  }
  return t;
}
constexpr auto kCrcTable = makeCrcTable();

std::uint16_t get16(std::span<const std::uint8_t> b, std::size_t at) {
  return static_cast<std::uint16_t>((b[at] << 8) | b[at + 1]);
}
std::uint32_t get32(std::span<const std::uint8_t> b, std::size_t at) {
  return (std::uint32_t{b[at]} << 24) | (std::uint32_t{b[at + 1]} << 16) |
         (std::uint32_t{b[at + 2]} << 8) | std::uint32_t{b[at + 3]};
}
void put16(std::vector<std::uint8_t>& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}
void put32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  put16(out, static_cast<std::uint16_t>(v >> 16));
  put16(out, static_cast<std::uint16_t>(v));
}
void set16(std::vector<std::uint8_t>& out, std::size_t at, std::uint16_t v) {
  out[at] = static_cast<std::uint8_t>(v >> 8);
  out[at + 1] = static_cast<std::uint8_t>(v);
}

bool isAddressType(std::uint16_t t) {
  switch (t) {
    case attr::kMappedAddress: case attr::kSourceAddress: case attr::kChangedAddress:
    case attr::kXorMappedAddress: case attr::kXorMappedAddressOld: case attr::kAlternateServer:
    case attr::kResponseOrigin: case attr::kOtherAddress:
      return true;
    default:
      return false;
  }
}
bool isXorType(std::uint16_t t) {
  return t == attr::kXorMappedAddress || t == attr::kXorMappedAddressOld;
}

// The 16 bytes an XOR address is masked with: cookie, then transaction id.
std::array<std::uint8_t, 16> xorMask(const Message& m) {
  std::array<std::uint8_t, 16> k{};
  for (int i = 0; i < 4; ++i) k[i] = static_cast<std::uint8_t>(m.cookie >> (24 - 8 * i));
  std::copy(m.id.begin(), m.id.end(), k.begin() + 4);
  return k;
}

std::optional<Address> decodeAddress(const Message& m, const Attribute& a) {
  const auto& v = a.value;
  if (v.size() < 4) return std::nullopt;
  Address out;
  std::size_t len = 0;
  if (v[1] == 0x01) { out.family = 4; len = 4; }
  else if (v[1] == 0x02) { out.family = 6; len = 16; }
  else return std::nullopt;
  if (v.size() != 4 + len) return std::nullopt;
  out.port = get16(v, 2);
  std::copy(v.begin() + 4, v.end(), out.ip.begin());
  if (isXorType(a.type)) {
    const auto k = xorMask(m);
    out.port = static_cast<std::uint16_t>(out.port ^ (m.cookie >> 16));
    for (std::size_t i = 0; i < len; ++i) out.ip[i] ^= k[i];
  }
  return out;
}

// Checks the value of an attribute this codec knows; unknown ones pass.
bool validValue(const Message& m, const Attribute& a) {
  const std::size_t n = a.value.size();
  if (isAddressType(a.type)) return decodeAddress(m, a).has_value();
  switch (a.type) {
    case attr::kChangeRequest: return n == 4;
    case attr::kResponsePort: return n == 4 || n == 2;  // RFC 5780 says 4 (2 of padding)
    case attr::kErrorCode: {
      if (n < 4) return false;
      const int cls = a.value[2] & 0x07;
      return cls >= 3 && cls <= 6 && a.value[3] < 100;
    }
    case attr::kUnknownAttributes: return n % 2 == 0;
    case attr::kSoftware: return n <= kMaxSoftware;
    case attr::kMessageIntegrity: return n == 20;
    default: return true;
  }
}

const Attribute* findFirst(const Message& m, std::uint16_t type) {
  for (const auto& a : m.attributes)
    if (a.type == type) return &a;
  return nullptr;
}

bool knownType(std::uint16_t t) {
  if (isAddressType(t)) return true;
  switch (t) {
    case attr::kChangeRequest: case attr::kUsername: case attr::kMessageIntegrity:
    case attr::kErrorCode: case attr::kUnknownAttributes: case attr::kRealm: case attr::kNonce:
    case attr::kPadding: case attr::kResponsePort: case attr::kSoftware: case attr::kFingerprint:
      return true;
    default:
      return false;
  }
}

}  // namespace

std::uint16_t messageType(std::uint16_t method, MessageClass cls) {
  const auto c = static_cast<std::uint16_t>(cls);
  return static_cast<std::uint16_t>((method & 0x000F) | ((method & 0x0070) << 1) |
                                    ((method & 0x0F80) << 2) | ((c & 1) << 4) | ((c & 2) << 7));
}
std::uint16_t methodOf(std::uint16_t t) {
  return static_cast<std::uint16_t>((t & 0x000F) | ((t >> 1) & 0x0070) | ((t >> 2) & 0x0F80));
}
MessageClass classOf(std::uint16_t t) {
  return static_cast<MessageClass>(((t >> 4) & 1) | ((t >> 7) & 2));
}

std::string Address::str() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(family == 6 ? AF_INET6 : AF_INET, ip.data(), buf, sizeof buf);
  return family == 6 ? "[" + std::string(buf) + "]:" + std::to_string(port)
                     : std::string(buf) + ":" + std::to_string(port);
}

core::Expected<Address> parseAddress(std::string_view text) {
  Address a;
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return makeError("bad_usage", "expected [IPv6]:port, got '" + std::string(text) + "'");
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    a.family = 6;
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos)
      return makeError("bad_usage", "expected IP:port, got '" + std::string(text) + "'");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  const std::string h(host);
  if (inet_pton(a.family == 6 ? AF_INET6 : AF_INET, h.c_str(), a.ip.data()) != 1)
    return makeError("bad_usage", "not an IP" + std::string(a.family == 6 ? "v6" : "v4") +
                                      " address: '" + h + "'");
  unsigned p = 0;
  const auto r = std::from_chars(port.data(), port.data() + port.size(), p);
  if (r.ec != std::errc() || r.ptr != port.data() + port.size() || p > 65535)
    return makeError("bad_usage", "bad port in '" + std::string(text) + "'");
  a.port = static_cast<std::uint16_t>(p);
  return a;
}

std::uint32_t crc32(std::span<const std::uint8_t> bytes) {
  std::uint32_t c = 0xFFFFFFFFu;
  for (auto b : bytes) c = kCrcTable[(c ^ b) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

bool looksLikeStun(std::span<const std::uint8_t> b) {
  return b.size() >= kHeaderSize && (b[0] & 0xC0) == 0 && get16(b, 2) % 4 == 0 &&
         get16(b, 2) + kHeaderSize == b.size();
}

core::Expected<Message> decode(std::span<const std::uint8_t> b) {
  if (b.size() < kHeaderSize) return makeError("too_short", "shorter than a STUN header");
  if ((b[0] & 0xC0) != 0) return makeError("not_stun", "first two bits not zero");
  const std::size_t len = get16(b, 2);
  if (len + kHeaderSize != b.size())
    return makeError("bad_length", "length field " + std::to_string(len) + " but " +
                                       std::to_string(b.size() - kHeaderSize) + " bytes follow");
  Message m;
  m.type = get16(b, 0);
  m.cookie = get32(b, 4);
  std::copy(b.begin() + 8, b.begin() + 20, m.id.begin());
  // RFC 5389 pads every attribute to 4 bytes; an RFC 3489 peer may leave the
  // last one short, so only the classic form is let off.
  if (!m.classic() && len % 4 != 0) return makeError("bad_length", "length not a multiple of 4");
  std::size_t at = kHeaderSize;
  while (at < b.size()) {
    if (b.size() - at < 4) return makeError("bad_attribute", "truncated attribute header");
    Attribute a;
    a.type = get16(b, at);
    const std::size_t n = get16(b, at + 2);
    at += 4;
    if (n > b.size() - at) return makeError("bad_attribute", "attribute value runs past the end");
    a.value.assign(b.begin() + static_cast<std::ptrdiff_t>(at),
                   b.begin() + static_cast<std::ptrdiff_t>(at + n));
    const std::size_t pad = (4 - n % 4) % 4;
    if (pad > b.size() - at - n) {
      if (!m.classic()) return makeError("bad_attribute", "attribute padding runs past the end");
      at = b.size();
    } else {
      at += n + pad;
    }
    if (a.type == attr::kFingerprint) {
      if (n != 4) return makeError("bad_fingerprint", "FINGERPRINT of length " + std::to_string(n));
      if (at != b.size()) return makeError("bad_fingerprint", "FINGERPRINT is not the last attribute");
      const std::uint32_t want = crc32(b.first(at - 8)) ^ kFingerprintXor;
      if (get32(a.value, 0) != want) return makeError("bad_fingerprint", "FINGERPRINT does not match");
      m.fingerprint = true;
      break;
    }
    if (!validValue(m, a))
      return makeError(isAddressType(a.type) ? "bad_address" : "bad_attribute",
                       "bad value of attribute 0x" + [&] {
                         char buf[8];
                         auto r = std::to_chars(buf, buf + sizeof buf, a.type, 16);
                         return std::string(buf, r.ptr);
                       }());
    m.attributes.push_back(std::move(a));
  }
  return m;
}

std::vector<std::uint8_t> encode(const Message& m) {
  std::vector<std::uint8_t> out;
  out.reserve(kHeaderSize + 64);
  put16(out, m.type);
  put16(out, 0);  // length, set below
  put32(out, m.cookie);
  out.insert(out.end(), m.id.begin(), m.id.end());
  for (const auto& a : m.attributes) {
    put16(out, a.type);
    put16(out, static_cast<std::uint16_t>(a.value.size()));
    out.insert(out.end(), a.value.begin(), a.value.end());
    out.resize(out.size() + (4 - a.value.size() % 4) % 4, 0);
  }
  if (m.fingerprint) {
    // The length field covers FINGERPRINT when the CRC is taken (RFC 5389 §15.5).
    set16(out, 2, static_cast<std::uint16_t>(out.size() + 8 - kHeaderSize));
    const std::uint32_t crc = crc32(out) ^ kFingerprintXor;
    put16(out, attr::kFingerprint);
    put16(out, 4);
    put32(out, crc);
  }
  set16(out, 2, static_cast<std::uint16_t>(out.size() - kHeaderSize));
  return out;
}

std::vector<std::uint16_t> unknownRequired(const Message& m) {
  std::vector<std::uint16_t> out;
  for (const auto& a : m.attributes)
    if (a.type < 0x8000 && !knownType(a.type) &&
        std::find(out.begin(), out.end(), a.type) == out.end())
      out.push_back(a.type);
  return out;
}

void addAddress(Message& m, std::uint16_t type, const Address& a) {
  Attribute at{type, {}};
  const std::size_t len = a.family == 6 ? 16 : 4;
  at.value = {0, static_cast<std::uint8_t>(a.family == 6 ? 2 : 1)};
  std::uint16_t port = a.port;
  std::array<std::uint8_t, 16> ip = a.ip;
  if (isXorType(type)) {
    const auto k = xorMask(m);
    port = static_cast<std::uint16_t>(port ^ (m.cookie >> 16));
    for (std::size_t i = 0; i < len; ++i) ip[i] ^= k[i];
  }
  put16(at.value, port);
  at.value.insert(at.value.end(), ip.begin(), ip.begin() + static_cast<std::ptrdiff_t>(len));
  m.attributes.push_back(std::move(at));
}

std::optional<Address> findAddress(const Message& m, std::uint16_t type) {
  for (const auto& a : m.attributes)
    if (a.type == type)
      if (auto d = decodeAddress(m, a)) return d;
  return std::nullopt;
}

std::optional<Address> findMapped(const Message& m) {
  for (auto t : {attr::kXorMappedAddress, attr::kXorMappedAddressOld, attr::kMappedAddress})
    if (auto a = findAddress(m, t)) return a;
  return std::nullopt;
}

void addChangeRequest(Message& m, ChangeRequest cr) {
  const auto flags = static_cast<std::uint8_t>((cr.changeIp ? 0x04 : 0) | (cr.changePort ? 0x02 : 0));
  m.attributes.push_back({attr::kChangeRequest, {0, 0, 0, flags}});
}

std::optional<ChangeRequest> findChangeRequest(const Message& m) {
  const auto* a = findFirst(m, attr::kChangeRequest);
  if (!a || a->value.size() != 4) return std::nullopt;
  return ChangeRequest{(a->value[3] & 0x04) != 0, (a->value[3] & 0x02) != 0};
}

void addResponsePort(Message& m, std::uint16_t port) {
  Attribute a{attr::kResponsePort, {}};
  put16(a.value, port);
  put16(a.value, 0);
  m.attributes.push_back(std::move(a));
}

std::optional<std::uint16_t> findResponsePort(const Message& m) {
  const auto* a = findFirst(m, attr::kResponsePort);
  if (!a || a->value.size() < 2) return std::nullopt;
  return get16(a->value, 0);
}

void addSoftware(Message& m, std::string_view text) {
  text = text.substr(0, kMaxSoftware);
  m.attributes.push_back({attr::kSoftware, std::vector<std::uint8_t>(text.begin(), text.end())});
}

std::optional<std::string> findSoftware(const Message& m) {
  const auto* a = findFirst(m, attr::kSoftware);
  if (!a) return std::nullopt;
  std::string s(a->value.begin(), a->value.end());
  // RFC 3489 servers (stund) NUL-terminate and pad the SERVER string.
  while (!s.empty() && s.back() == '\0') s.pop_back();
  return s;
}

void addErrorCode(Message& m, const ErrorCode& e) {
  Attribute a{attr::kErrorCode, {0, 0, static_cast<std::uint8_t>(e.code / 100),
                                 static_cast<std::uint8_t>(e.code % 100)}};
  a.value.insert(a.value.end(), e.reason.begin(), e.reason.end());
  m.attributes.push_back(std::move(a));
}

std::optional<ErrorCode> findErrorCode(const Message& m) {
  const auto* a = findFirst(m, attr::kErrorCode);
  if (!a || a->value.size() < 4) return std::nullopt;
  return ErrorCode{(a->value[2] & 0x07) * 100 + a->value[3],
                   std::string(a->value.begin() + 4, a->value.end())};
}

void addUnknownAttributes(Message& m, std::span<const std::uint16_t> types) {
  Attribute a{attr::kUnknownAttributes, {}};
  for (auto t : types) put16(a.value, t);
  m.attributes.push_back(std::move(a));
}

bool has(const Message& m, std::uint16_t type) { return findFirst(m, type) != nullptr; }

Message bindingRequest(const TransactionId& id, ChangeRequest change,
                       std::optional<std::uint16_t> responsePort) {
  Message m;
  m.type = messageType(kBindingMethod, MessageClass::request);
  m.id = id;
  if (change.changeIp || change.changePort) addChangeRequest(m, change);
  if (responsePort) addResponsePort(m, *responsePort);
  return m;
}

}  // namespace p2pmon::probes::stun
