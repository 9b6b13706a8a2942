// p2pmon-probe rtp: the RTP streams of a packet capture (--pcap FILE), with
// RFC 3550 loss and jitter, RFC 3611 burst metrics and the E-model; a table
// or one JSON document (fields: docs/probes.md). Errors: one line
// "p2pmon-probe rtp: CODE: text" on stderr, exit 2.
#pragma once

namespace p2pmon::probes {

int runRtp(int argc, char** argv);

}  // namespace p2pmon::probes
