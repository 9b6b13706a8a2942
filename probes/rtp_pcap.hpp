// Reads a capture file (pcap or pcapng) with libpcap and feeds every frame
// to an RtpStreamTable: the I/O adapter of `p2pmon-probe rtp --pcap`.
#pragma once

#include <string>

#include "core/expected.hpp"
#include "probes/rtp_capture.hpp"

namespace p2pmon::probes {

// The file's link type (LINKTYPE_* as in the file) when it was read to the
// end; errors: bad_usage (cannot open, unsupported link type), bad_response
// (the file is damaged part way: what came before it is in the table).
core::Expected<int> readPcapFile(const std::string& path, RtpStreamTable& table);

}  // namespace p2pmon::probes
