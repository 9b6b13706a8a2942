// p2pmon-probe: one-shot probes from the command line, one subcommand per
// probe (docs/probes.md). New probes are new rows of kCommands.
#include <exception>
#include <iostream>

#include "probes/overlay_probes.hpp"
#include "probes/probe_error.hpp"
#include "probes/rtp_command.hpp"
#include "probes/rtp_reflector_command.hpp"
#include "probes/sip_command.hpp"
#include "probes/stun_command.hpp"
#include "probes/nat_command.hpp"
#include "probes/subcommand.hpp"

using namespace p2pmon::probes;

namespace {
constexpr Subcommand kCommands[] = {
    {"diag", "diagnostics of one overlay peer (RFC 7851 style), as JSON", runDiag},
    {"put", "store a user or proxy location entry through a peer; hops and latency", runPut},
    {"get", "fetch a user or proxy location record through a peer; hops and latency", runGet},
    {"path", "track the route to a Node-ID or record hop by hop (PathTrack)", runPath},
    {"sip", "SIP OPTIONS to one target or a sweep of many: code, RTT, retransmissions", runSip},
    {"rtp", "RTP streams of a capture (--pcap), live to a reflector (--target) or on a port (--listen)", runRtp},
    {"rtp-reflector", "an RTP reflector (both directions' loss, jitter, RTT) until SIGTERM", runRtpReflector},
    {"stun-server", "a STUN server (RFC 5389/5780, RFC 3489 clients) until SIGTERM", runStunServer},
    {"nat", "NAT behaviour towards a STUN server (RFC 5780) and the classic RFC 3489 type", runNat},
};
}  // namespace

int main(int argc, char** argv) {
  try {
    return dispatch("p2pmon-probe", kCommands, argc, argv, std::cout, std::cerr);
  } catch (const std::exception& e) {
    // Start-up failures only (a socket that cannot be bound): network bytes never throw.
    std::cerr << "p2pmon-probe: internal: " << e.what() << "\n";
    return kExitError;
  }
}
