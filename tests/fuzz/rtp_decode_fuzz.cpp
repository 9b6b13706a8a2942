// libFuzzer target for the RTP/RTCP codec: decoders must never read out of
// bounds; an accepted RTP packet survives encode() and decode() with the
// same fields, and accepted RTCP reports and XR blocks re-encode to
// packets that decode to the same values. Built with clang++ by
// tests/fuzz/CMakeLists.txt.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <vector>

#include "probes/rtp_codec.hpp"

namespace {
[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "rtp_decode_fuzz: %s\n", what);
  std::abort();
}

bool sameRtp(const p2pmon::probes::RtpPacket& a, const p2pmon::probes::RtpPacket& b) {
  return a.padding == b.padding && a.extension == b.extension && a.marker == b.marker &&
         a.payloadType == b.payloadType && a.sequence == b.sequence && a.timestamp == b.timestamp &&
         a.ssrc == b.ssrc && a.csrcCount == b.csrcCount && a.csrc == b.csrc &&
         a.extensionProfile == b.extensionProfile &&
         std::equal(a.extensionData.begin(), a.extensionData.end(), b.extensionData.begin(),
                    b.extensionData.end()) &&
         std::equal(a.payload.begin(), a.payload.end(), b.payload.begin(), b.payload.end()) &&
         a.paddingSize == b.paddingSize;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace p2pmon::probes;
  const std::span<const std::uint8_t> in(data, size);
  if (auto p = decodeRtp(in); p.ok()) {
    const std::vector<std::uint8_t> again = encodeRtp(*p);
    auto q = decodeRtp(again);
    if (!q.ok() || !sameRtp(*p, *q)) fail("decodeRtp(encodeRtp(p)) != p");
  }
  if (auto c = decodeRtcp(in); c.ok()) {
    for (const auto& r : c->reports) {
      auto d = decodeRtcp(encodeRtcpReport(r));
      if (!d.ok() || d->reports.size() != 1 || !(d->reports[0] == r)) fail("report round trip");
    }
    for (const auto& xr : c->xrs) {
      RtcpXr voipOnly = xr;
      voipOnly.otherBlocks = 0;
      auto d = decodeRtcp(encodeRtcpXr(voipOnly));
      if (!d.ok() || d->xrs.size() != 1 || !(d->xrs[0] == voipOnly)) fail("XR round trip");
    }
  }
  return 0;
}
