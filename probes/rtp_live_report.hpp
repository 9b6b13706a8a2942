// The forms `p2pmon-probe rtp --target` and `--listen` print: one JSON
// document (fields: docs/probes.md) or a short text. Pure.
#pragma once

#include <string>

#include "probes/rtp_capture.hpp"
#include "probes/rtp_live.hpp"
#include "probes/rtp_report.hpp"

namespace p2pmon::probes {

// {target, address, codec, payload_type, clock_rate, ptime_ms,
//  payload_bytes, ssrc, duration_s, drop_every, sent, skipped, reflections,
//  foreign, rtt{...}, forward{...}, return{...}, emodel{...}, r_factor,
//  mos, loss_percent, jitter_ms, error, detail}
RtpJson rtpTargetJson(const RtpTargetOptions& o, const RtpTargetRun& run);
std::string rtpTargetText(const RtpTargetOptions& o, const RtpTargetRun& run);

// The capture document's counters and streams, with `listen` and
// `duration_s` in place of `file` and `link_type`.
RtpJson rtpListenJson(const std::string& listen, double durationS, const CaptureCounters& c,
                      std::uint64_t droppedStreams, std::uint64_t truncated,
                      const std::vector<CapturedStream>& streams, const RtpReportOptions& o);

}  // namespace p2pmon::probes
