// p2pmon-probe rtp-reflector: an RTP reflector (rtp_reflector.hpp) on one
// address until SIGTERM or SIGINT, its counters as a JSON line at the end
// and every --stats-interval seconds (docs/probes.md).
#pragma once

namespace p2pmon::probes {

int runRtpReflector(int argc, char** argv);

}  // namespace p2pmon::probes
