#include "probes/rtp_live_report.hpp"

#include <cinttypes>
#include <cmath>
#include <cstdio>

namespace p2pmon::probes {

namespace {

double round3(double v) { return std::round(v * 1000.0) / 1000.0; }

RtpJson emodelJson(const EModelResult& e, const RtpDirectionStats& d) {
  return {{"loss_percent", round3(std::max(0.0, d.lostPercent))},
          {"burst_r", round3(d.burstR)},
          {"id", round3(e.id)},
          {"ie_eff", round3(e.ieEff)},
          {"r", round3(e.r)},
          {"mos", round3(e.mos)}};
}

RtpJson directionJson(const RtpDirectionStats& d) {
  return {{"expected", d.expected},           {"received", d.received},
          {"lost", d.lost},                   {"lost_percent", round3(d.lostPercent)},
          {"duplicates", d.duplicates},       {"reordered", d.reordered},
          {"jitter_ms", round3(d.jitterMs)},  {"jitter_max_ms", round3(d.jitterMaxMs)}};
}

}  // namespace

RtpJson rtpTargetJson(const RtpTargetOptions& o, const RtpTargetRun& run) {
  const RtpRoundTripResult& r = run.result;
  char ssrc[16];
  std::snprintf(ssrc, sizeof ssrc, "0x%08" PRIx32, run.ssrc);
  RtpJson j;
  j["target"] = o.host + ":" + std::to_string(o.port);
  j["address"] = run.address;
  j["codec"] = o.plan.codec;
  j["payload_type"] = o.plan.payloadType;
  j["clock_rate"] = o.plan.clockRate;
  j["ptime_ms"] = o.plan.ptimeMs;
  j["payload_bytes"] = o.plan.payloadBytes;
  j["ssrc"] = ssrc;
  j["first_seq"] = run.firstSeq;
  j["duration_s"] = round3(run.elapsedS);
  j["drop_every"] = o.dropEvery;
  j["sent"] = r.sent;
  j["skipped"] = r.skipped;
  j["reflections"] = r.reflections;
  j["foreign"] = r.foreign;
  j["rtt"] = {{"samples", r.rtt.samples},
              {"min_ms", round3(r.rtt.minMs)},
              {"median_ms", round3(r.rtt.medianMs)},
              {"mean_ms", round3(r.rtt.meanMs)},
              {"max_ms", round3(r.rtt.maxMs)}};
  j["forward"] = directionJson(r.forward);
  j["return"] = directionJson(r.back);
  j["emodel"] = {{"codec", o.plan.emodel.name},
                 {"ie", o.plan.emodel.ie},
                 {"bpl", o.plan.emodel.bpl},
                 {"delay_ms", round3(r.delayMs)},
                 {"forward", emodelJson(r.forward.emodel, r.forward)},
                 {"return", emodelJson(r.back.emodel, r.back)}};
  j["r_factor"] = round3(r.r);
  j["mos"] = round3(r.mos);
  j["loss_percent"] = round3(r.lossPercent);
  j["jitter_ms"] = round3(r.jitterMs);
  j["error"] = run.error ? RtpJson(run.error->code) : RtpJson(nullptr);
  j["detail"] = run.error ? RtpJson(run.error->message) : RtpJson(nullptr);
  return j;
}

std::string rtpTargetText(const RtpTargetOptions& o, const RtpTargetRun& run) {
  const RtpRoundTripResult& r = run.result;
  char line[512];
  std::snprintf(line, sizeof line,
                "rtp %s to %s: %" PRIu64 " sent, rtt median %.3f ms (max %.3f), forward loss %.2f%% "
                "jitter %.3f ms, return loss %.2f%% jitter %.3f ms, R %.1f, MOS %.2f\n",
                o.plan.codec.c_str(), run.address.c_str(), r.sent, r.rtt.medianMs, r.rtt.maxMs,
                r.forward.lostPercent, r.forward.jitterMs, r.back.lostPercent, r.back.jitterMs, r.r,
                r.mos);
  return line;
}

RtpJson rtpListenJson(const std::string& listen, double durationS, const CaptureCounters& c,
                      std::uint64_t droppedStreams, std::uint64_t truncated,
                      const std::vector<CapturedStream>& streams, const RtpReportOptions& o) {
  RtpJson j;
  j["listen"] = listen;
  j["duration_s"] = durationS;
  j["udp_datagrams"] = c.udp;
  j["truncated"] = truncated;
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

}  // namespace p2pmon::probes
