// The forms `p2pmon-probe rtp` prints for the RTP streams of a capture: one
// JSON document (fields: docs/probes.md) or a table. Pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "probes/emodel.hpp"
#include "probes/rtp_capture.hpp"

namespace p2pmon::probes {

struct RtpReportOptions {
  CodecImpairment codec{"g711", 0, 4.3};
  double delayMs = 0;  // one-way delay assumed for the E-model
  int gmin = kDefaultGmin;
};

using RtpJson = nlohmann::ordered_json;

// One stream: addresses, SSRC, counts, loss, jitter, burst metrics, the
// RFC 3611 VoIP Metrics values and the E-model.
RtpJson rtpStreamJson(const CapturedStream& s, const RtpReportOptions& o);

// {file, link_type, frames, udp_datagrams, rtp_packets, rtcp_packets,
//  not_rtp, unvalidated_packets, dropped_streams, emodel_codec, delay_ms,
//  gmin, streams: [...]}
RtpJson rtpCaptureJson(std::string_view file, int linkType, const CaptureCounters& c,
                       std::uint64_t droppedStreams, const std::vector<CapturedStream>& streams,
                       const RtpReportOptions& o);

// One line per stream under a header, like `tshark -z rtp,streams`.
std::string rtpCaptureTable(const std::vector<CapturedStream>& streams, const RtpReportOptions& o);

}  // namespace p2pmon::probes
