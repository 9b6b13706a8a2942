#include "probes/rtp_pcap.hpp"

#include <memory>

#include <pcap/pcap.h>

namespace p2pmon::probes {

core::Expected<int> readPcapFile(const std::string& path, RtpStreamTable& table) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  std::unique_ptr<pcap_t, void (*)(pcap_t*)> pcap(
      pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, errbuf),
      pcap_close);
  if (!pcap) return core::makeError("bad_usage", "cannot read " + path + ": " + errbuf);
  // The file's LINKTYPE_ value (pcap_datalink gives the platform's DLT_).
  const int dlt = pcap_datalink(pcap.get());
  const int linkType = dlt == DLT_RAW ? kLinkRaw : dlt;
  if (!supportedLinkType(linkType)) {
    return core::makeError("bad_usage", path + ": link type " + std::to_string(linkType) +
                                            " is not supported (Ethernet, Linux cooked, raw IP, loopback)");
  }
  pcap_pkthdr* hdr = nullptr;
  const u_char* data = nullptr;
  int rc = 0;
  while ((rc = pcap_next_ex(pcap.get(), &hdr, &data)) == 1) {
    table.addFrame(linkType, Bytes(data, hdr->caplen), hdr->ts.tv_sec,
                   static_cast<std::uint32_t>(hdr->ts.tv_usec));  // nanoseconds: see the open call
  }
  if (rc == PCAP_ERROR) {
    return core::makeError("bad_response", path + ": " + pcap_geterr(pcap.get()));
  }
  return linkType;
}

}  // namespace p2pmon::probes
