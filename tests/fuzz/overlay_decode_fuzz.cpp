// libFuzzer target for the overlay wire codec: whatever decode() accepts
// must survive encode() and decode() again unchanged, and its encoding must
// be the input itself (flags and reserved header bytes aside, which are
// ignored on receipt and sent as zero). Built with clang++ by
// tests/fuzz/CMakeLists.txt; seeds: tests/vectors/overlay/.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <vector>

#include "overlay-agent/wire_codec.hpp"
#include "tests/support/overlay_samples.hpp"

namespace {
[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "overlay_decode_fuzz: %s\n", what);
  std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace p2pmon::overlay;
  const std::span<const std::uint8_t> in(data, size);
  // The seed corpus is sent on the samples' overlay; any other is rejected early.
  auto first = decode(in, samples::kOverlay);
  if (!first.ok()) return 0;
  const std::vector<std::uint8_t> again = encode(*first);
  auto second = decode(again, samples::kOverlay);
  if (!second.ok()) fail("re-encoded message does not decode");
  if (!(*second == *first)) fail("decode(encode(m)) != m");
  std::vector<std::uint8_t> canonical(in.begin(), in.end());
  canonical[6] = 0;
  canonical[7] = 0;
  if (again != canonical) fail("encoding differs from the accepted input");
  return 0;
}
