// p2pmon-probe rtp --target HOST:PORT (a paced stream to an RTP reflector,
// both directions measured) and rtp --listen ADDR:PORT (the RTP streams
// that reach a port, per SSRC); the --pcap form is rtp_command.hpp, which
// hands these two over. Output: docs/probes.md. Errors: one line
// "p2pmon-probe rtp: CODE: text" on stderr, exit 2.
#pragma once

namespace p2pmon::probes {

int runRtpTargetCommand(int argc, char** argv);
int runRtpListenCommand(int argc, char** argv);

}  // namespace p2pmon::probes
