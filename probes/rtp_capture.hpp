// RTP streams in a packet capture: link-layer frames down to UDP
// datagrams (Ethernet with VLAN tags, Linux cooked v1/v2, raw IP, BSD
// loopback; IPv4 and IPv6), and a table of streams keyed by 5-tuple and
// SSRC, each with its RtpStreamAnalyzer. Pure: frames and their capture
// times in, per-stream results out; the pcap file reading is rtp_pcap.hpp.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "probes/rtp_analyzer.hpp"
#include "probes/rtp_codec.hpp"

namespace p2pmon::probes {

struct UdpDatagram {
  int family = 4;  // 4 or 6
  std::array<std::uint8_t, 16> src{}, dst{};  // IPv4 in the first 4 bytes
  std::uint16_t srcPort = 0, dstPort = 0;
  Bytes payload;
};

// Link types as pcap files name them (LINKTYPE_*); DLT_RAW's other values
// (12, 14) are accepted as raw IP too.
inline constexpr int kLinkNull = 0, kLinkEthernet = 1, kLinkRaw = 101, kLinkLoop = 108,
                     kLinkLinuxSll = 113, kLinkLinuxSll2 = 276;
bool supportedLinkType(int linkType);

// The UDP datagram a frame carries; nullopt for anything else, for IP
// fragments (only whole datagrams are analysed) and for truncated frames.
std::optional<UdpDatagram> parseFrame(int linkType, Bytes frame);

// "10.0.0.1:40000", "[2001:db8::1]:5004"
std::string endpointText(int family, const std::array<std::uint8_t, 16>& addr, std::uint16_t port);

struct RtpStreamKey {
  int family = 4;
  std::array<std::uint8_t, 16> src{}, dst{};
  std::uint16_t srcPort = 0, dstPort = 0;
  std::uint32_t ssrc = 0;
  friend bool operator==(const RtpStreamKey&, const RtpStreamKey&) = default;
};

struct RtpStreamKeyHash {
  std::size_t operator()(const RtpStreamKey& k) const noexcept;
};

struct CaptureCounters {
  std::uint64_t frames = 0;        // frames read
  std::uint64_t udp = 0;           // whole UDP datagrams among them
  std::uint64_t rtp = 0;           // datagrams that decode as RTP v2 (and are not RTCP)
  std::uint64_t rtcp = 0;          // datagrams that decode as RTCP (RFC 5761 packet types)
  std::uint64_t notRtp = 0;        // UDP datagrams that are neither
  std::uint64_t unvalidated = 0;   // RTP packets of streams that never passed probation
};

struct CapturedStream {
  RtpStreamKey key;
  double firstTime = 0;  // capture time of the first packet, seconds since the epoch
  RtpStreamStats stats;
};

// Groups datagrams into streams and analyses them. At most `maxStreams`
// streams are tracked (UDP noise that happens to look like RTP makes new
// "streams"); datagrams of further ones are counted as RTP but dropped.
class RtpStreamTable {
 public:
  explicit RtpStreamTable(RtpAnalyzerOptions options = {}, std::size_t maxStreams = 100000);

  // A captured frame at its capture time (seconds and nanoseconds since
  // the epoch); frames that are no whole UDP datagram are only counted.
  void addFrame(int linkType, Bytes frame, std::int64_t seconds, std::uint32_t nanoseconds);
  void add(const UdpDatagram& d, std::int64_t seconds, std::uint32_t nanoseconds);

  const CaptureCounters& counters() const { return counters_; }
  std::uint64_t droppedStreams() const { return droppedStreams_; }
  // Streams in order of their first packet; with `validOnly` those that
  // passed A.1 probation (the others' packets go to counters().unvalidated).
  std::vector<CapturedStream> streams(bool validOnly);

 private:
  struct Entry {
    RtpStreamKey key;
    std::int64_t firstSec = 0;
    std::uint32_t firstNsec = 0;
    RtpStreamAnalyzer analyzer;
  };
  RtpAnalyzerOptions options_;
  std::size_t maxStreams_;
  std::vector<Entry> entries_;
  std::unordered_map<RtpStreamKey, std::size_t, RtpStreamKeyHash> index_;
  std::size_t last_ = SIZE_MAX;  // the previous packet's stream: most packets repeat it
  bool haveOrigin_ = false;
  std::int64_t originSec_ = 0;  // arrival times are fed relative to the first frame
  CaptureCounters counters_;
  std::uint64_t droppedStreams_ = 0;
};

}  // namespace p2pmon::probes
