#include "probes/rtp_reflector_engine.hpp"

#include <algorithm>

namespace p2pmon::probes {

std::size_t RtpReflectorEngine::KeyHash::operator()(const Key& k) const noexcept {
  // FNV-1a over the fields: cheap, and the SSRC (random) spreads it well.
  std::uint64_t h = 1469598103934665603ULL;
  auto mix = [&h](std::uint64_t v) { h = (h ^ v) * 1099511628211ULL; };
  for (std::size_t i = 0; i < (k.family == 6 ? 16U : 4U); ++i) mix(k.ip[i]);
  mix(k.port);
  mix(k.ssrc);
  return static_cast<std::size_t>(h ^ (h >> 32));
}

RtpReflectorEngine::RtpReflectorEngine(RtpReflectorLimits limits) : limits_(limits) {
  if (limits_.maxSources == 0) limits_.maxSources = 1;
  // Room for the cap up front: no rehash, one allocation per new source only.
  sources_.reserve(limits_.maxSources);
}

void RtpReflectorEngine::expire(std::uint32_t now) {
  std::erase_if(sources_, [&](const auto& kv) {
    const bool idle = now - kv.second.lastSeen >= limits_.idleSeconds;
    if (idle) ++stats_.expired;
    return idle;
  });
  lastSweep_ = now;
  stats_.sources = sources_.size();
}

RtpReflectorEngine::Source& RtpReflectorEngine::find(const Key& key, std::uint32_t now) {
  if (auto it = sources_.find(key); it != sources_.end()) return it->second;
  if (sources_.size() >= limits_.maxSources) {
    expire(now);
    if (sources_.size() >= limits_.maxSources) {
      // Least recently seen goes: a live stream sends every 20 ms, so it
      // is never the one, whatever a flood of new SSRCs does.
      auto oldest = std::min_element(sources_.begin(), sources_.end(), [](const auto& a, const auto& b) {
        return a.second.lastSeen < b.second.lastSeen;
      });
      sources_.erase(oldest);
      ++stats_.evicted;
    }
  }
  return sources_[key];
}

std::size_t RtpReflectorEngine::handle(const RtpSourceAddress& from, Bytes in,
                                       std::uint64_t receiveTime, std::span<std::uint8_t> out) {
  ++stats_.received;
  if (in.size() > kMaxReflectedDatagram) {
    drop("too_long");
    return 0;
  }
  if (in.size() >= 2 && (in[0] >> 6) == 2 && isRtcpPacketType(in[1])) {
    drop("rtcp");
    return 0;
  }
  const auto p = decodeRtp(in);
  if (!p) {
    ++stats_.dropped[p.error().code];
    return 0;
  }
  const auto now = static_cast<std::uint32_t>(receiveTime >> 32);
  // Idle sources are swept once a second at most, so the cost stays off
  // the per-packet path.
  if (now - lastSweep_ >= 1) expire(now);
  Key key;
  key.family = static_cast<std::uint8_t>(from.family);
  key.ip = from.ip;
  key.port = from.port;
  key.ssrc = p->ssrc;
  Source& s = find(key, now);
  ++s.received;
  s.lastSeen = now;
  const ReflectionInfo info{receiveTime, s.received, s.outSequence};
  const std::size_t n = encodeReflection(in, *p, info, out);
  if (n == 0) {
    drop("too_long");  // the caller's buffer is short: cannot happen with the documented size
    return 0;
  }
  ++s.outSequence;
  ++stats_.reflected;
  stats_.sources = sources_.size();
  return n;
}

}  // namespace p2pmon::probes
