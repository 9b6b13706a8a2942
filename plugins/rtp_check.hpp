// The decision of check_p2p_rtp apart from its I/O: given a live RTP
// stream to a reflector (probes/rtp_live.hpp) and the thresholds, what to
// report. MOS thresholds are "below is bad"; loss and jitter are Nagios
// ranges on the worse direction. Pure, so every case is unit-tested.
#pragma once

#include <optional>
#include <string>

#include "core/expected.hpp"
#include "core/range.hpp"
#include "plugins/plugin.hpp"
#include "probes/rtp_live.hpp"

namespace p2pmon::plugins {

struct RtpCheckOptions {
  std::string target;  // for messages: "127.0.0.1:4000"
  std::optional<core::Range> mosWarning, mosCritical;  // as ranges: "3.6" becomes "3.6:"
  std::optional<core::Range> lossWarning, lossCritical;  // percent
  std::optional<core::Range> jitterWarning, jitterCritical;  // ms
  // No reflection at all, or the reflector cannot be reached: the media
  // path to the peer is down (as check_p2p_sip's --timeout-state).
  core::State timeoutState = core::State::Critical;
  int verbose = 0;
};

// A MOS threshold: a plain number N means "below N is bad" (range "N:");
// anything with range syntax (':', '@', '~') is taken as written.
core::Expected<core::Range> parseMosThreshold(const std::string& text);

Outcome decideRtpCheck(const RtpCheckOptions& o, const probes::RtpTargetRun& run);

}  // namespace p2pmon::plugins
