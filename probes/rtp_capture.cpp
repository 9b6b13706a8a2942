#include "probes/rtp_capture.hpp"

#include <algorithm>
#include <cstring>

#include <arpa/inet.h>

namespace p2pmon::probes {

namespace {

std::uint16_t be16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}

constexpr std::uint16_t kEtherIpv4 = 0x0800, kEtherIpv6 = 0x86dd;

std::optional<UdpDatagram> parseUdp(Bytes udp, UdpDatagram d) {
  if (udp.size() < 8) return std::nullopt;
  const std::size_t len = be16(&udp[4]);
  if (len < 8 || len > udp.size()) return std::nullopt;  // truncated capture (snaplen)
  d.srcPort = be16(&udp[0]);
  d.dstPort = be16(&udp[2]);
  d.payload = udp.subspan(8, len - 8);
  return d;
}

std::optional<UdpDatagram> parseIpv4(Bytes ip) {
  if (ip.size() < 20 || (ip[0] >> 4) != 4) return std::nullopt;
  const std::size_t ihl = 4 * std::size_t{ip[0] & 0x0fU};
  const std::size_t total = be16(&ip[2]);
  if (ihl < 20 || total < ihl || total > ip.size()) return std::nullopt;
  if (ip[9] != 17) return std::nullopt;
  if ((be16(&ip[6]) & 0x3fffU) != 0) return std::nullopt;  // MF or an offset: a fragment
  UdpDatagram d;
  d.family = 4;
  std::memcpy(d.src.data(), &ip[12], 4);
  std::memcpy(d.dst.data(), &ip[16], 4);
  return parseUdp(ip.subspan(ihl, total - ihl), d);
}

std::optional<UdpDatagram> parseIpv6(Bytes ip) {
  if (ip.size() < 40 || (ip[0] >> 4) != 6) return std::nullopt;
  const std::size_t payloadLen = be16(&ip[4]);
  if (40 + payloadLen > ip.size()) return std::nullopt;
  UdpDatagram d;
  d.family = 6;
  std::memcpy(d.src.data(), &ip[8], 16);
  std::memcpy(d.dst.data(), &ip[24], 16);
  std::uint8_t next = ip[6];
  Bytes rest = ip.subspan(40, payloadLen);
  // Hop-by-hop, routing and destination options are skipped; a fragment
  // header means the datagram is not whole here.
  for (int i = 0; i < 8 && (next == 0 || next == 43 || next == 60); ++i) {
    if (rest.size() < 8) return std::nullopt;
    const std::size_t len = 8 * (std::size_t{rest[1]} + 1);
    if (len > rest.size()) return std::nullopt;
    next = rest[0];
    rest = rest.subspan(len);
  }
  if (next != 17) return std::nullopt;
  return parseUdp(rest, d);
}

std::optional<UdpDatagram> parseByEthertype(std::uint16_t type, Bytes ip) {
  if (type == kEtherIpv4) return parseIpv4(ip);
  if (type == kEtherIpv6) return parseIpv6(ip);
  return std::nullopt;
}

std::optional<UdpDatagram> parseRawIp(Bytes ip) {
  if (ip.empty()) return std::nullopt;
  if ((ip[0] >> 4) == 4) return parseIpv4(ip);
  if ((ip[0] >> 4) == 6) return parseIpv6(ip);
  return std::nullopt;
}

}  // namespace

bool supportedLinkType(int linkType) {
  switch (linkType) {
    case kLinkNull: case kLinkEthernet: case kLinkRaw: case 12: case 14: case kLinkLoop:
    case kLinkLinuxSll: case kLinkLinuxSll2:
      return true;
    default:
      return false;
  }
}

std::optional<UdpDatagram> parseFrame(int linkType, Bytes f) {
  switch (linkType) {
    case kLinkEthernet: {
      if (f.size() < 14) return std::nullopt;
      std::size_t pos = 12;
      std::uint16_t type = be16(&f[pos]);
      for (int tags = 0; tags < 2 && (type == 0x8100 || type == 0x88a8); ++tags) {
        if (f.size() < pos + 6) return std::nullopt;
        pos += 4;
        type = be16(&f[pos]);
      }
      return parseByEthertype(type, f.subspan(pos + 2));
    }
    case kLinkLinuxSll:
      if (f.size() < 16) return std::nullopt;
      return parseByEthertype(be16(&f[14]), f.subspan(16));
    case kLinkLinuxSll2:
      if (f.size() < 20) return std::nullopt;
      return parseByEthertype(be16(&f[0]), f.subspan(20));
    case kLinkNull:
    case kLinkLoop:
      // The address family, in the writer's byte order (NULL) or network
      // order (LOOP); the IP version nibble says the same more reliably.
      if (f.size() < 4) return std::nullopt;
      return parseRawIp(f.subspan(4));
    case kLinkRaw:
    case 12:
    case 14:
      return parseRawIp(f);
    default:
      return std::nullopt;
  }
}

std::string endpointText(int family, const std::array<std::uint8_t, 16>& addr, std::uint16_t port) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (family == 6) {
    inet_ntop(AF_INET6, addr.data(), buf, sizeof buf);
    return "[" + std::string(buf) + "]:" + std::to_string(port);
  }
  inet_ntop(AF_INET, addr.data(), buf, sizeof buf);
  return std::string(buf) + ":" + std::to_string(port);
}

std::size_t RtpStreamKeyHash::operator()(const RtpStreamKey& k) const noexcept {
  // FNV-1a over the fields that differ between streams.
  std::uint64_t h = 1469598103934665603ULL;
  auto mix = [&h](const std::uint8_t* p, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ULL;
  };
  const std::size_t n = k.family == 6 ? 16 : 4;
  mix(k.src.data(), n);
  mix(k.dst.data(), n);
  const std::uint8_t rest[] = {
      static_cast<std::uint8_t>(k.srcPort >> 8), static_cast<std::uint8_t>(k.srcPort),
      static_cast<std::uint8_t>(k.dstPort >> 8), static_cast<std::uint8_t>(k.dstPort),
      static_cast<std::uint8_t>(k.ssrc >> 24),   static_cast<std::uint8_t>(k.ssrc >> 16),
      static_cast<std::uint8_t>(k.ssrc >> 8),    static_cast<std::uint8_t>(k.ssrc)};
  mix(rest, sizeof rest);
  return static_cast<std::size_t>(h);
}

RtpStreamTable::RtpStreamTable(RtpAnalyzerOptions options, std::size_t maxStreams)
    : options_(options), maxStreams_(maxStreams) {}

void RtpStreamTable::addFrame(int linkType, Bytes frame, std::int64_t seconds,
                              std::uint32_t nanoseconds) {
  ++counters_.frames;
  if (auto d = parseFrame(linkType, frame)) add(*d, seconds, nanoseconds);
}

void RtpStreamTable::add(const UdpDatagram& d, std::int64_t seconds, std::uint32_t nanoseconds) {
  ++counters_.udp;
  if (d.payload.size() >= 2 && isRtcpPacketType(d.payload[1]) && (d.payload[0] >> 6) == 2) {
    if (decodeRtcp(d.payload).ok()) {
      ++counters_.rtcp;
    } else {
      ++counters_.notRtp;
    }
    return;
  }
  if (!looksLikeRtp(d.payload)) {
    ++counters_.notRtp;
    return;
  }
  auto p = decodeRtp(d.payload);
  if (!p) {
    ++counters_.notRtp;
    return;
  }
  ++counters_.rtp;
  RtpStreamKey key{d.family, d.src, d.dst, d.srcPort, d.dstPort, p->ssrc};
  if (!haveOrigin_) {
    haveOrigin_ = true;
    originSec_ = seconds;
  }
  std::size_t at = last_;
  if (at == SIZE_MAX || !(entries_[at].key == key)) {
    auto it = index_.find(key);
    if (it != index_.end()) {
      at = it->second;
    } else {
      if (entries_.size() >= maxStreams_) {
        ++droppedStreams_;
        return;
      }
      at = entries_.size();
      entries_.push_back(Entry{key, seconds, nanoseconds, RtpStreamAnalyzer(options_)});
      index_.emplace(key, at);
    }
    last_ = at;
  }
  const double arrival = static_cast<double>(seconds - originSec_) + nanoseconds * 1e-9;
  entries_[at].analyzer.add({p->sequence, p->timestamp, p->payloadType, p->marker, arrival,
                             p->payload.size()});
}

std::vector<CapturedStream> RtpStreamTable::streams(bool validOnly) {
  std::vector<CapturedStream> out;
  counters_.unvalidated = 0;
  for (const auto& e : entries_) {
    RtpStreamStats s = e.analyzer.stats();
    if (!s.valid) {
      counters_.unvalidated += s.packets;
      if (validOnly) continue;
    }
    out.push_back({e.key, static_cast<double>(e.firstSec) + e.firstNsec * 1e-9, std::move(s)});
  }
  return out;
}

}  // namespace p2pmon::probes
