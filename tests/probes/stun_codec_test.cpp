// STUN codec against datagrams captured from real tools (tests/vectors/stun/
// README.md: Debian stun-client, stund, coturn), RFC 5769's sample
// messages, round trips, and malformed input.
#include <doctest/doctest.h>

#include "tests/support/vectors.hpp"

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "probes/stun_codec.hpp"

using namespace p2pmon::probes::stun;

namespace {
using Bytes = std::vector<std::uint8_t>;

Bytes load(const std::string& name) { return p2pmon::test::loadVector("stun/" + name); }

Bytes hex(std::string_view s) {
  Bytes out;
  int hi = -1;
  for (char c : s) {
    int v = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
    if (v < 0) continue;
    if (hi < 0) hi = v;
    else { out.push_back(static_cast<std::uint8_t>(hi * 16 + v)); hi = -1; }
  }
  return out;
}

struct Capture { std::string from, to; };

// MANIFEST.tsv: which address each captured datagram came from and went to.
std::map<std::string, Capture> manifest() {
  std::ifstream in(std::string(P2PMON_VECTORS_DIR) + "/stun/MANIFEST.tsv");
  REQUIRE(in.good());
  std::map<std::string, Capture> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream f(line);
    std::string file, frame, from, to;
    f >> file >> frame >> from >> to;
    out[file] = {from, to};
  }
  return out;
}

Message decoded(const std::string& name) {
  auto m = decode(load(name));
  REQUIRE_MESSAGE(m.ok(), name << ": " << (m.ok() ? "" : m.error().code));
  return *m;
}

std::string errorOf(const Bytes& b) {
  auto m = decode(b);
  return m.ok() ? "ok" : m.error().code;
}
}  // namespace

TEST_CASE("stun codec: message type interleaves method and class bits") {
  CHECK(messageType(kBindingMethod, MessageClass::request) == 0x0001);
  CHECK(messageType(kBindingMethod, MessageClass::indication) == 0x0011);
  CHECK(messageType(kBindingMethod, MessageClass::success) == 0x0101);
  CHECK(messageType(kBindingMethod, MessageClass::error) == 0x0111);
  CHECK(messageType(0x003, MessageClass::request) == 0x0003);  // TURN Allocate
  for (std::uint16_t method : {std::uint16_t{0x001}, std::uint16_t{0x00F}, std::uint16_t{0x010},
                                std::uint16_t{0x0FF}, std::uint16_t{0xFFF}})
    for (auto c : {MessageClass::request, MessageClass::indication, MessageClass::success,
                   MessageClass::error}) {
      const auto t = messageType(method, c);
      CHECK(methodOf(t) == method);
      CHECK(classOf(t) == c);
    }
}

TEST_CASE("stun codec: CRC-32 is zlib's") {
  const std::string s = "123456789";
  CHECK(crc32(std::span(reinterpret_cast<const std::uint8_t*>(s.data()), s.size())) == 0xCBF43926u);
}

TEST_CASE("stun codec: stun-client's RFC 3489 requests decode and re-encode byte for byte") {
  struct Case { const char* file; ChangeRequest change; };
  for (auto c : {Case{"vovida_binding_request.bin", {false, false}},
                 Case{"vovida_change_ip_request.bin", {true, false}},
                 Case{"vovida_change_port_request.bin", {false, true}}}) {
    CAPTURE(c.file);
    const auto m = decoded(c.file);
    CHECK(m.classic());
    CHECK(m.type == 0x0001);
    CHECK(unknownRequired(m).empty());
    REQUIRE(findChangeRequest(m));
    CHECK(*findChangeRequest(m) == c.change);
    CHECK(encode(m) == load(c.file));
  }
}

TEST_CASE("stun codec: coturn's and stund's RFC 3489 answers carry MAPPED, SOURCE and CHANGED addresses") {
  const auto man = manifest();
  for (auto file : {"coturn_classic_binding_response.bin", "coturn_classic_change_ip_response.bin",
                    "coturn_classic_change_port_response.bin", "stund_binding_response.bin",
                    "stund_change_ip_response.bin"}) {
    CAPTURE(file);
    const auto m = decoded(file);
    CHECK(m.classic());
    CHECK(classOf(m.type) == MessageClass::success);
    REQUIRE(findAddress(m, attr::kMappedAddress));
    CHECK(findAddress(m, attr::kMappedAddress)->str() == man.at(file).to);
    CHECK(findMapped(m)->str() == man.at(file).to);
    CHECK(findAddress(m, attr::kSourceAddress));
    CHECK(findAddress(m, attr::kChangedAddress));
    CHECK(encode(m) == load(file));
  }
  const auto coturn = decoded("coturn_classic_binding_response.bin");
  CHECK(findAddress(coturn, attr::kSourceAddress)->str() == "127.0.0.1:34780");
  CHECK(findAddress(coturn, attr::kChangedAddress)->str() == "127.0.0.2:34781");
  CHECK(findSoftware(coturn) == "Coturn-4.6.1 'Gorst'");
  // stund also sends XOR-MAPPED-ADDRESS (0x0020) in a classic message,
  // XORed with the first bytes of its 128-bit transaction id.
  const auto stund = decoded("stund_binding_response.bin");
  REQUIRE(findAddress(stund, attr::kXorMappedAddress));
  CHECK(findAddress(stund, attr::kXorMappedAddress)->str() == man.at("stund_binding_response.bin").to);
  CHECK(findAddress(stund, attr::kChangedAddress)->str() == "127.0.0.3:34791");
  CHECK(findSoftware(stund) == "Vovida.org 0.97");
}

TEST_CASE("stun codec: coturn's RFC 5389/5780 exchanges") {
  const auto man = manifest();
  const auto req = decoded("coturn_client_binding_request.bin");
  CHECK_FALSE(req.classic());
  CHECK(req.attributes.empty());
  CHECK(encode(req) == load("coturn_client_binding_request.bin"));

  for (auto file : {"coturn_binding_response.bin", "coturn_response_port_response.bin",
                    "coturn_padding_response.bin", "natdisc_change_ip_port_response.bin",
                    "coturn_fingerprint_response.bin"}) {
    CAPTURE(file);
    const auto m = decoded(file);
    CHECK(m.type == 0x0101);
    // The mapped address is where the answer went except with RESPONSE-PORT,
    // which moves only the port (the request came from the port before).
    const auto mapped = findAddress(m, attr::kXorMappedAddress);
    REQUIRE(mapped);
    CHECK(findAddress(m, attr::kMappedAddress) == mapped);
    CHECK(mapped->sameIp(*parseAddress(man.at(file).to)));
    CHECK(findAddress(m, attr::kResponseOrigin)->str() == man.at(file).from);
    CHECK(findAddress(m, attr::kOtherAddress)->str() == "127.0.0.2:34781");
    CHECK(encode(m) == load(file));
  }
  CHECK(findMapped(decoded("coturn_binding_response.bin"))->str() ==
        man.at("coturn_binding_response.bin").to);

  const auto rp = decoded("coturn_client_response_port_request.bin");
  CHECK(findResponsePort(rp) == parseAddress(man.at("coturn_response_port_response.bin").to)->port);
  CHECK(findChangeRequest(rp) == ChangeRequest{true, true});
  CHECK(encode(rp) == load("coturn_client_response_port_request.bin"));

  const auto pad = decoded("coturn_client_padding_request.bin");
  REQUIRE(has(pad, attr::kPadding));
  CHECK(encode(pad) == load("coturn_client_padding_request.bin"));

  const auto nd = decoded("natdisc_change_ip_port_request.bin");
  CHECK(findChangeRequest(nd) == ChangeRequest{true, true});
}

TEST_CASE("stun codec: FINGERPRINT is checked and made as coturn makes it") {
  const auto req = decoded("fingerprint_request.bin");  // CRC by Python's zlib
  CHECK(req.fingerprint);
  CHECK(findSoftware(req) == "p2pmon-vectors");
  CHECK(encode(req) == load("fingerprint_request.bin"));
  const auto resp = decoded("coturn_fingerprint_response.bin");
  CHECK(resp.fingerprint);
  CHECK(resp.id == req.id);
  CHECK_FALSE(has(resp, attr::kFingerprint));  // kept as the flag, not an attribute
  CHECK(encode(resp) == load("coturn_fingerprint_response.bin"));
}

TEST_CASE("stun codec: RFC 5769 sample responses (IPv4 and IPv6, with FINGERPRINT)") {
  // RFC 5769 §2.2 and §2.3; SOFTWARE is padded with spaces there, so only decode.
  const auto v4 = decode(hex(
      "0101003c2112a442b7e7a701bc34d686fa87dfae"
      "8022000b7465737420766563746f7220"
      "002000080001a147e112a643"
      "000800142b91f599fd9e90c38c7489f92af9ba53f06be7d7"
      "80280004c07d4c96"));
  REQUIRE(v4.ok());
  CHECK(v4->fingerprint);
  CHECK(findMapped(*v4)->str() == "192.0.2.1:32853");
  CHECK(findSoftware(*v4) == "test vector");
  const auto v6 = decode(hex(
      "010100482112a442b7e7a701bc34d686fa87dfae"
      "8022000b7465737420766563746f7220"
      "002000140002a1470113a9faa5d3f179bc25f4b5bed2b9d9"
      "00080014a382954e4be67bf11784c97c8292c275bfe3ed41"
      "80280004c8fb0b4c"));
  REQUIRE(v6.ok());
  CHECK(findMapped(*v6)->str() == "[2001:db8:1234:5678:11:2233:4455:6677]:32853");
}

TEST_CASE("stun codec: round trip of every attribute, IPv4 and IPv6, with and without cookie") {
  for (std::uint32_t cookie : {kMagicCookie, 0x01020304u}) {
    Message m = bindingRequest({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, {true, false}, 4242);
    m.cookie = cookie;
    m.type = messageType(kBindingMethod, MessageClass::error);
    for (auto t : {attr::kXorMappedAddress, attr::kMappedAddress, attr::kResponseOrigin,
                   attr::kOtherAddress, attr::kSourceAddress, attr::kChangedAddress,
                   attr::kXorMappedAddressOld}) {
      addAddress(m, t, *parseAddress("198.51.100.7:65535"));
      addAddress(m, t, *parseAddress("[2001:db8::ff:1]:1"));
    }
    addSoftware(m, "p2pmon 0.1 (odd length)");
    addErrorCode(m, {420, "Unknown Attribute"});
    const std::uint16_t unknown[] = {0x7777, 0x0002};
    addUnknownAttributes(m, unknown);
    m.attributes.push_back({0x8777, {1, 2, 3}});
    for (bool fp : {false, true}) {
      m.fingerprint = fp;
      const auto bytes = encode(m);
      CHECK(bytes.size() % 4 == 0);
      CHECK(looksLikeStun(bytes));
      auto back = decode(bytes);
      REQUIRE(back.ok());
      CHECK(*back == m);
      CHECK(findAddress(*back, attr::kXorMappedAddress)->str() == "198.51.100.7:65535");
      CHECK(findErrorCode(*back)->code == 420);
      CHECK(findErrorCode(*back)->reason == "Unknown Attribute");
      CHECK(findResponsePort(*back) == 4242);
      CHECK(findChangeRequest(*back) == ChangeRequest{true, false});
    }
  }
}

TEST_CASE("stun codec: addresses parse and print") {
  CHECK(parseAddress("127.0.0.1:3478")->str() == "127.0.0.1:3478");
  CHECK(parseAddress("[::1]:0")->str() == "[::1]:0");
  for (auto bad : {"", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "host:1", "[::1]", "::1:5",
                   "[::1]x5", "1.2.3.4:5x"})
    CHECK_MESSAGE(!parseAddress(bad).ok(), bad);
}

TEST_CASE("stun codec: malformed datagrams get their error code") {
  const auto good = load("coturn_fingerprint_response.bin");
  CHECK(errorOf({}) == "too_short");
  CHECK(errorOf(Bytes(good.begin(), good.begin() + 19)) == "too_short");
  auto b = good;
  b[0] |= 0x80;
  CHECK(errorOf(b) == "not_stun");
  // Every truncation: the length field no longer matches.
  for (std::size_t n = 20; n < good.size(); ++n)
    CHECK(errorOf(Bytes(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n))) == "bad_length");
  // A length field telling the truth about a cut message: the attribute is cut.
  b = Bytes(good.begin(), good.begin() + 26);
  b[2] = 0; b[3] = 6;
  CHECK(errorOf(b) == "bad_length");  // RFC 5389: not a multiple of 4
  b = Bytes(good.begin(), good.begin() + 28);
  b[2] = 0; b[3] = 8;
  CHECK(errorOf(b) == "bad_attribute");
  // Bad FINGERPRINT value, and an attribute after FINGERPRINT.
  b = good;
  b.back() ^= 1;
  CHECK(errorOf(b) == "bad_fingerprint");
  b = good;
  b[30] ^= 1;  // inside XOR-MAPPED-ADDRESS: the CRC no longer matches
  CHECK(errorOf(b) == "bad_fingerprint");
  Message m = decoded("coturn_binding_response.bin");
  m.fingerprint = true;
  b = encode(m);
  b.insert(b.end(), {0x80, 0x22, 0x00, 0x00});
  b[3] = static_cast<std::uint8_t>(b[3] + 4);
  CHECK(errorOf(b) == "bad_fingerprint");
  // Address with an unknown family, and with a wrong length.
  b = load("coturn_binding_response.bin");
  b[25] = 0x03;
  CHECK(errorOf(b) == "bad_address");
  b = load("coturn_binding_response.bin");
  b[25] = 0x02;  // IPv6 family in 8 bytes
  CHECK(errorOf(b) == "bad_address");
  // CHANGE-REQUEST of the wrong size, ERROR-CODE with a bad class.
  Message r = bindingRequest({});
  r.attributes.push_back({attr::kChangeRequest, {0, 0, 6}});
  CHECK(errorOf(encode(r)) == "bad_attribute");
  r = bindingRequest({});
  r.attributes.push_back({attr::kErrorCode, {0, 0, 7, 0}});
  CHECK(errorOf(encode(r)) == "bad_attribute");
}

TEST_CASE("stun codec: unknown comprehension-required attributes are reported, optional ones ignored") {
  Message m = bindingRequest({9});
  m.attributes.push_back({0x8777, {1}});
  m.attributes.push_back({0x7777, {1, 2}});
  m.attributes.push_back({attr::kResponseAddress, {0, 1, 0, 1, 1, 2, 3, 4}});
  m.attributes.push_back({0x7777, {}});
  auto d = decode(encode(m));
  REQUIRE(d.ok());
  CHECK(unknownRequired(*d) == std::vector<std::uint16_t>{0x7777, attr::kResponseAddress});
}

TEST_CASE("stun codec: mutated vectors never crash, and what decodes round-trips") {
  std::vector<Bytes> seeds;
  for (const auto& [file, cap] : manifest()) seeds.push_back(load(file));
  std::uint32_t x = 12345;
  auto next = [&] { x = x * 1103515245u + 12345u; return x >> 8; };
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    Bytes b = seeds[next() % seeds.size()];
    const int edits = 1 + static_cast<int>(next() % 4);
    for (int e = 0; e < edits; ++e) {
      const auto op = next() % 3;
      if (op == 0 && !b.empty()) b[next() % b.size()] = static_cast<std::uint8_t>(next());
      else if (op == 1 && !b.empty()) b.resize(next() % b.size());
      else if (b.size() > 4) b[2 + next() % 2] = static_cast<std::uint8_t>(next());
    }
    auto d = decode(b);
    if (!d.ok()) continue;
    ++accepted;
    auto again = decode(encode(*d));
    REQUIRE(again.ok());
    CHECK(*again == *d);
  }
  CHECK(accepted > 0);
}
