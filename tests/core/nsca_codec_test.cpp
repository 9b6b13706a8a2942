#include <doctest/doctest.h>

#include "tests/support/vectors.hpp"

#include <fstream>
#include <iterator>
#include <random>

#include "core/nsca_codec.hpp"

using namespace p2pmon::core;
using namespace p2pmon::core::nsca;

namespace {
std::vector<std::uint8_t> load(const std::string& name) {
  return p2pmon::test::loadVector("nsca/" + name);
}

InitPacket init(const std::string& name) {
  auto bytes = load(name);
  auto parsed = decodeInit(bytes);
  REQUIRE(parsed.ok());
  return parsed.value();
}

DataPacket decodeOne(const std::string& set, Encryption method, const std::string& password,
                     std::size_t index = 0, std::size_t size = kPacketSize) {
  auto iv = init(set + "_init.bin");
  auto data = load(set + "_data.bin");
  REQUIRE(data.size() >= (index + 1) * size);
  Cipher cipher(method, iv.iv, password);
  auto p = decodeData(std::span(data).subspan(index * size, size), cipher);
  REQUIRE_MESSAGE(p.ok(), set, ": ", (p.ok() ? "" : p.error().message));
  return p.value();
}

const char* kRingWarn =
    "WARNING - ring successor unreachable | succ_rtt=0.250s;0.2;0.5;0;";
const char* kRingOk = "OK - ring consistent | succ_rtt=0.012s;0.2;0.5;0;";
}  // namespace

TEST_CASE("nsca: init packets carry the IV and the big-endian timestamp") {
  CHECK(init("xor_svc_init.bin").timestamp == 1795216230u);
  auto fixed = init("fixediv_xor_init.bin");
  CHECK(fixed.timestamp == 1700000000u);
  for (std::size_t i = 0; i < kIvSize; ++i) CHECK(fixed.iv[i] == i);
  auto bytes = load("fixediv_xor_init.bin");
  auto encoded = encodeInit(fixed);
  CHECK(std::vector<std::uint8_t>(encoded.begin(), encoded.end()) == bytes);
  CHECK(decodeInit(std::span(bytes).first(131)).error().code == "bad_size");
}

TEST_CASE("nsca: send_nsca XOR packet decodes with the password") {
  auto p = decodeOne("xor_svc", Encryption::Xor, "secret");
  CHECK(p.host == "peer-node-1");
  CHECK(p.service == "P2P Overlay Ring");
  CHECK(p.returnCode == 1);
  CHECK(p.timestamp == 1795216230u);
  CHECK(p.output == kRingWarn);
}

TEST_CASE("nsca: send_nsca method-0 packets decode, several per connection") {
  auto p = decodeOne("none_svc", Encryption::None, "");
  CHECK(p.output == kRingOk);
  CHECK(p.returnCode == 0);
  auto host = decodeOne("none_multi", Encryption::None, "", 0);
  CHECK(host.host == "peer-node-2");
  CHECK(host.service.empty());
  CHECK(host.output == "UP - overlay peer alive");
  auto svc = decodeOne("none_multi", Encryption::None, "", 1);
  CHECK(svc.service == "P2P DHT Store");
  CHECK(svc.returnCode == 2);
  CHECK(svc.output ==
        "CRITICAL - 3 of 5 replicas lost\nreplica k1 missing\nreplica k2 missing | replicas=2;4;3;0;5");
}

TEST_CASE("nsca: the legacy 720-byte packet decodes with a 512-byte output") {
  auto p = decodeOne("none_legacy", Encryption::None, "", 0, kLegacyPacketSize);
  CHECK(p.host == "legacy");
  CHECK(p.service == "svc");
  CHECK(p.output == "OK legacy");
}

TEST_CASE("nsca: fixed-IV and reference-client sets decode") {
  auto x = decodeOne("fixediv_xor", Encryption::Xor, "secret");
  CHECK(x.output == kRingWarn);
  CHECK(x.timestamp == 1700000000u);
  auto n = decodeOne("fixediv_none", Encryption::None, "");
  CHECK(n.output == kRingOk);
  auto py = decodeOne("pyclient_xor_secret", Encryption::Xor, "secret");
  CHECK(py.host == "h-xor-py");
  CHECK(py.service == "s");
  CHECK(py.output == "python xor client");
}

TEST_CASE("nsca: zero-padded sets are encoded byte for byte") {
  struct Case {
    const char* init;
    const char* data;
    Encryption method;
    DataPacket packet;
  };
  auto fixedInit = init("synthetic_init_fixediv.bin");
  auto pyInit = init("pyclient_xor_secret_init.bin");
  std::vector<Case> cases = {
      {"pyclient_xor_secret_init.bin", "pyclient_xor_secret_data.bin", Encryption::Xor,
       {pyInit.timestamp, 0, "h-xor-py", "s", "python xor client"}},
      {"synthetic_init_fixediv.bin", "synthetic_zeropad_xor_secret_data.bin", Encryption::Xor,
       {fixedInit.timestamp, 1, "peer-node-1", "P2P Overlay Ring", kRingWarn}},
      {"synthetic_init_fixediv.bin", "synthetic_zeropad_none_data.bin", Encryption::None,
       {fixedInit.timestamp, 0, "peer-node-1", "P2P Overlay Ring", kRingOk}},
  };
  for (const auto& c : cases) {
    auto iv = init(c.init);
    Cipher cipher(c.method, iv.iv, c.method == Encryption::Xor ? "secret" : "");
    auto bytes = encodeData(c.packet, kPacketSize, cipher);
    REQUIRE(bytes.ok());
    CHECK_MESSAGE(*bytes == load(c.data), c.data);
  }
}

TEST_CASE("nsca: encode and decode round trip in both sizes, output cut to the field") {
  std::array<std::uint8_t, kIvSize> iv{};
  for (std::size_t i = 0; i < iv.size(); ++i) iv[i] = static_cast<std::uint8_t>(i * 7 + 3);
  Cipher cipher(Encryption::Xor, iv, "pw");
  DataPacket p{42, 3, "host", "service", std::string(5000, 'o')};
  for (std::size_t size : {kPacketSize, kLegacyPacketSize}) {
    auto bytes = encodeData(p, size, cipher);
    REQUIRE(bytes.ok());
    CHECK(bytes->size() == size);
    auto back = decodeData(*bytes, cipher);
    REQUIRE(back.ok());
    CHECK(back->host == "host");
    CHECK(back->returnCode == 3);
    CHECK(back->output.size() == (size == kPacketSize ? 4095u : 511u));
  }
  DataPacket longHost{1, 0, std::string(64, 'h'), "s", "o"};
  CHECK(encodeData(longHost, kPacketSize, cipher).error().code == "name_too_long");
}

TEST_CASE("nsca: wrong password, flipped bits and wrong sizes are refused") {
  auto iv = init("xor_svc_init.bin");
  auto data = load("xor_svc_data.bin");
  CHECK(decodeData(data, Cipher(Encryption::Xor, iv.iv, "wrong")).error().code != "");
  CHECK_FALSE(decodeData(data, Cipher(Encryption::Xor, iv.iv, "wrong")).ok());
  CHECK_FALSE(decodeData(data, Cipher(Encryption::None, iv.iv, "")).ok());
  auto flipped = data;
  flipped[1000] ^= 0x01;
  CHECK(decodeData(flipped, Cipher(Encryption::Xor, iv.iv, "secret")).error().code == "bad_crc");
  CHECK(decodeData(std::span(data).first(4303), Cipher(Encryption::Xor, iv.iv, "secret"))
            .error()
            .code == "bad_size");
}

TEST_CASE("nsca: random bytes never decode and never crash") {
  std::mt19937 rng(1234);
  std::array<std::uint8_t, kIvSize> iv{};
  Cipher cipher(Encryption::None, iv, "");
  std::vector<std::uint8_t> buf(kPacketSize);
  int accepted = 0;
  for (int i = 0; i < 2000; ++i) {
    for (auto& b : buf) b = static_cast<std::uint8_t>(rng());
    if (i % 2 == 0) {  // a valid version makes the CRC the only guard
      buf[0] = 0;
      buf[1] = 3;
    }
    accepted += decodeData(buf, cipher).ok() ? 1 : 0;
  }
  CHECK(accepted == 0);
}
