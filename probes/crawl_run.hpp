// One crawl of a p2pmon Chord overlay and its ring analysis, as
// check_p2p_overlay runs it live (and p2pmon-crawl does step by step):
// crawlChord, then ring::analyse over the peers it saw.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "probes/chord_crawl.hpp"
#include "probes/crawl_report.hpp"
#include "probes/ring_analysis.hpp"

namespace p2pmon::probes {

struct CrawlRun {
  CrawlContext context;  // overlay, bootstrap as given, start time
  ChordCrawlResult crawl;
  ring::RingReport ring;
};

// `bootstrap` is the text the operator gave (for the document); the
// endpoints to crawl are in `options`. Throws std::runtime_error only when
// the socket cannot be opened.
CrawlRun runCrawl(const ChordCrawlOptions& options, const std::vector<std::string>& bootstrap,
                  const std::optional<ring::PreviousCrawl>& previous = std::nullopt);

}  // namespace p2pmon::probes
