// p2pmon-probe stun-server: a standalone STUN server (RFC 5389/5780, RFC 3489
// clients) on one address, or four with --alt-listen, until SIGTERM/SIGINT
// (docs/probes.md). Errors: "p2pmon-probe stun-server: CODE: text", exit 2.
#pragma once

namespace p2pmon::probes {

int runStunServer(int argc, char** argv);

}  // namespace p2pmon::probes
