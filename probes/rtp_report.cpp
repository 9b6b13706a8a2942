#include "probes/rtp_report.hpp"

#include <cinttypes>
#include <cmath>
#include <cstdio>

namespace p2pmon::probes {

namespace {

double round3(double v) { return std::round(v * 1000.0) / 1000.0; }
double round6(double v) { return std::round(v * 1e6) / 1e6; }

std::string hex32(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08" PRIx32, v);
  return buf;
}

}  // namespace

RtpJson rtpStreamJson(const CapturedStream& c, const RtpReportOptions& o) {
  const RtpStreamStats& s = c.stats;
  const BurstMetrics& b = s.burst;
  const VoipMetrics v = voipMetrics(c.key.ssrc, s, o.codec, o.delayMs, o.gmin);
  const EModelResult e = streamEModel(s, o.codec, o.delayMs);
  const double lossPercent = s.expected > 0 ? 100.0 * double(s.lost) / double(s.expected) : 0.0;
  const double uniquePercent =
      s.expected > 0 ? 100.0 * double(s.uniqueLost) / double(s.expected) : 0.0;
  RtpJson j;
  j["src"] = endpointText(c.key.family, c.key.src, c.key.srcPort);
  j["dst"] = endpointText(c.key.family, c.key.dst, c.key.dstPort);
  j["ssrc"] = hex32(c.key.ssrc);
  j["payload_type"] = s.payloadType;
  const std::string name = staticEncodingName(s.payloadType);
  j["encoding"] = name.empty() ? RtpJson(nullptr) : RtpJson(name);
  j["clock_rate"] = s.clockRate == 0 ? RtpJson(nullptr) : RtpJson(s.clockRate);
  j["valid"] = s.valid;
  j["first_time"] = round6(c.firstTime);
  j["duration_s"] = round6(s.lastArrival - s.firstArrival);
  j["packets"] = s.packets;
  j["received"] = s.received;
  j["base_seq"] = s.baseSeq;
  j["ext_highest_seq"] = s.extHighestSeq;
  j["expected"] = s.expected;
  j["lost"] = s.lost;
  j["lost_percent"] = round3(lossPercent);
  j["fraction_lost"] = s.fractionLost;
  j["unique_lost"] = s.uniqueLost;
  j["unique_lost_percent"] = round3(uniquePercent);
  j["duplicates"] = s.duplicates;
  j["reordered"] = s.reordered;
  j["restarts"] = s.restarts;
  j["markers"] = s.markers;
  j["payload_bytes"] = s.payloadBytes;
  j["jitter"] = round3(s.jitter);
  j["jitter_ms"] = round3(s.jitterMs);
  j["jitter_max_ms"] = round3(s.jitterMaxMs);
  j["max_delta_ms"] = round3(s.maxDeltaMs);
  j["packet_interval_ms"] = round3(s.packetIntervalMs);
  j["burst"] = {{"gmin", o.gmin},
                {"tracked", s.burstTracked},
                {"bursts", b.bursts},
                {"burst_packets", b.burstPackets},
                {"burst_lost", b.burstLost},
                {"burst_density", round6(b.burstDensity)},
                {"burst_duration_ms", round3(b.burstDurationMs)},
                {"gaps", b.gaps},
                {"gap_packets", b.gapPackets},
                {"gap_lost", b.gapLost},
                {"gap_density", round6(b.gapDensity)},
                {"gap_duration_ms", round3(b.gapDurationMs)},
                {"burst_r", round6(b.burstR)}};
  j["voip_metrics"] = {{"loss_rate", v.lossRate},         {"discard_rate", v.discardRate},
                       {"burst_density", v.burstDensity}, {"gap_density", v.gapDensity},
                       {"burst_duration", v.burstDuration}, {"gap_duration", v.gapDuration},
                       {"gmin", v.gmin},                  {"r_factor", v.rFactor},
                       {"mos_lq", v.mosLq},               {"mos_cq", v.mosCq}};
  j["emodel"] = {{"codec", o.codec.name},
                 {"ie", o.codec.ie},
                 {"bpl", o.codec.bpl},
                 {"delay_ms", o.delayMs},
                 {"loss_percent", round3(uniquePercent)},
                 {"burst_r", round6(b.burstR)},
                 {"id", round3(e.id)},
                 {"ie_eff", round3(e.ieEff)},
                 {"r", round3(e.r)},
                 {"mos", round3(e.mos)}};
  return j;
}

RtpJson rtpCaptureJson(std::string_view file, int linkType, const CaptureCounters& c,
                       std::uint64_t droppedStreams, const std::vector<CapturedStream>& streams,
                       const RtpReportOptions& o) {
  RtpJson j;
  j["file"] = std::string(file);
  j["link_type"] = linkType;
  j["frames"] = c.frames;
  j["udp_datagrams"] = c.udp;
  j["rtp_packets"] = c.rtp;
  j["rtcp_packets"] = c.rtcp;
  j["not_rtp"] = c.notRtp;
  j["unvalidated_packets"] = c.unvalidated;
  j["dropped_streams"] = droppedStreams;
  j["emodel_codec"] = o.codec.name;
  j["delay_ms"] = o.delayMs;
  j["gmin"] = o.gmin;
  RtpJson list = RtpJson::array();
  for (const auto& s : streams) list.push_back(rtpStreamJson(s, o));
  j["streams"] = std::move(list);
  return j;
}

std::string rtpCaptureTable(const std::vector<CapturedStream>& streams, const RtpReportOptions& o) {
  std::string out;
  char line[512];
  std::snprintf(line, sizeof line, "%-22s %-22s %-10s %4s %9s %9s %7s %6s %6s %9s %9s %5s\n", "src",
                "dst", "ssrc", "pt", "packets", "lost", "lost%", "dup", "reord", "jit_ms",
                "jmax_ms", "mos");
  out += line;
  for (const auto& c : streams) {
    const auto& s = c.stats;
    const double lossPercent = s.expected > 0 ? 100.0 * double(s.lost) / double(s.expected) : 0.0;
    const EModelResult e = streamEModel(s, o.codec, o.delayMs);
    std::snprintf(line, sizeof line,
                  "%-22s %-22s %-10s %4u %9" PRIu64 " %9" PRId64 " %7.2f %6" PRIu64 " %6" PRIu64
                  " %9.3f %9.3f %5.2f\n",
                  endpointText(c.key.family, c.key.src, c.key.srcPort).c_str(),
                  endpointText(c.key.family, c.key.dst, c.key.dstPort).c_str(),
                  hex32(c.key.ssrc).c_str(), unsigned{s.payloadType}, s.packets, s.lost,
                  lossPercent, s.duplicates, s.reordered, s.jitterMs, s.jitterMaxMs, e.mos);
    out += line;
  }
  return out;
}

}  // namespace p2pmon::probes
