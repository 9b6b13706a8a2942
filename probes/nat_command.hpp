// p2pmon-probe nat: the NAT behaviour of the path to a STUN server with an
// alternate address (RFC 5780 tests, the classic RFC 3489 type derived from
// them), as a text line or JSON (docs/probes.md). Errors: one line
// "p2pmon-probe nat: CODE: text" on stderr, exit 2.
#pragma once

namespace p2pmon::probes {

int runNat(int argc, char** argv);

}  // namespace p2pmon::probes
