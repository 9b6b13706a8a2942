// The forms of one crawl that p2pmon-crawl prints: one JSON document
// (docs/crawl.md, field by field) and a human summary. Pure.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "probes/chord_crawl.hpp"
#include "probes/ring_analysis.hpp"

namespace p2pmon::probes {

struct CrawlContext {
  std::string overlay;
  std::vector<std::string> bootstrap;
  double startedAt = 0;  // Unix time
};

nlohmann::ordered_json crawlJson(const CrawlContext& c, const ChordCrawlResult& crawl,
                                 const ring::RingReport& ring);
std::string crawlSummary(const CrawlContext& c, const ChordCrawlResult& crawl,
                         const ring::RingReport& ring);

// 0: every peer answered and the ring is consistent; 1: the crawl ran but
// the ring has findings or peers were unreachable; 2: nothing answered.
int crawlExitCode(const ChordCrawlResult& crawl, const ring::RingReport& ring);

}  // namespace p2pmon::probes
