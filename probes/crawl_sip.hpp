// p2pmon-crawl --sip: one SIP OPTIONS (over UDP) to the SIP port of every
// reachable peer whose diagnostics named one, through one SipProber sweep
// with a bound on requests in flight; the outcome goes into the visit.
#pragma once

#include <vector>

#include "probes/chord_crawl.hpp"
#include "probes/sip_prober.hpp"

namespace p2pmon::probes {

struct CrawlSipSummary {
  std::size_t probed = 0;
  std::size_t ok = 0;      // a 2xx came back
  std::size_t failed = 0;  // no answer, or another status
};

CrawlSipSummary probeCrawledSip(std::vector<ChordPeerVisit>& visits, const SipProberOptions& options);
CrawlSipSummary summariseSip(const std::vector<ChordPeerVisit>& visits);

}  // namespace p2pmon::probes
