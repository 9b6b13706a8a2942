// libFuzzer target for the STUN codec and the server's responder: whatever
// decode() accepts must survive encode() and decode() again unchanged, and
// respond() must never crash on any datagram. Built with clang++ by
// tests/fuzz/CMakeLists.txt; seeds: tests/vectors/stun/.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>

#include "probes/stun_responder.hpp"

namespace {
[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "stun_decode_fuzz: %s\n", what);
  std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace p2pmon::probes::stun;
  const std::span<const std::uint8_t> in(data, size);
  static const ServerAddresses server{*parseAddress("192.0.2.1:3478"), *parseAddress("192.0.2.2:3479")};
  (void)respond(server, static_cast<int>(size % 4), *parseAddress("198.51.100.1:4000"), in, "fuzz");
  auto first = decode(in);
  if (!first.ok()) return 0;
  (void)unknownRequired(*first);
  (void)findMapped(*first);
  (void)findTcpCheck(*first);
  (void)findTcpResults(*first);
  auto second = decode(encode(*first));
  if (!second.ok()) fail("re-encoded message does not decode");
  if (!(*second == *first)) fail("decode(encode(m)) != m");
  return 0;
}
