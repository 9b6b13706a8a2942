// One crawl of a p2pmon Chord overlay and its ring analysis, as
// p2pmon-crawl and check_p2p_overlay's live mode run it: crawlChord, the
// replica sample and the SIP probes when asked for, then ring::analyse
// over the peers it saw.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "probes/chord_crawl.hpp"
#include "probes/crawl_report.hpp"
#include "probes/sip_prober.hpp"
#include "probes/ring_analysis.hpp"

namespace p2pmon::probes {

struct CrawlRun {
  CrawlContext context;  // overlay, bootstrap as given, start time
  ChordCrawlResult crawl;
  ring::RingReport ring;
};

// What a crawl does besides walking the ring.
struct CrawlExtras {
  std::size_t replicaKeys = 0;            // keys sampled for replica counts (replica_sample.hpp)
  std::optional<SipProberOptions> sip;    // OPTIONS to every reachable peer's SIP port
  std::optional<ring::PreviousCrawl> previous;  // churn against it
};

// `bootstrap` is the text the operator gave (for the document); the
// endpoints to crawl, and the bounds the replica sample shares, are in
// `options`. Throws std::runtime_error only when a socket cannot be opened.
CrawlRun runCrawl(const ChordCrawlOptions& options, const std::vector<std::string>& bootstrap,
                  const CrawlExtras& extras = {});

}  // namespace p2pmon::probes
