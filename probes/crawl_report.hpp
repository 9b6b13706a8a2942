// The forms of one crawl that p2pmon-crawl prints: one JSON document
// (docs/crawl.md, field by field) and a human summary. Pure.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/expected.hpp"
#include "probes/chord_crawl.hpp"
#include "probes/ring_analysis.hpp"

namespace p2pmon::probes {

struct CrawlContext {
  std::string overlay;
  std::vector<std::string> bootstrap;
  double startedAt = 0;  // Unix time
  bool sipProbed = false;                 // --sip was given
  std::size_t replicaRequests = 0;        // FetchReqs of the replica sample
  std::size_t replicaUnanswered = 0;      // expected holders that never answered
};

// The previous crawl's document (docs/crawl.md) as churn input: its
// reachable peers and their uptime, and its age relative to `startedAt`.
// Errors: not a p2pmon-crawl/1 document, or a field of the wrong type.
core::Expected<ring::PreviousCrawl> previousFromJson(const nlohmann::json& doc, double startedAt);

nlohmann::ordered_json crawlJson(const CrawlContext& c, const ChordCrawlResult& crawl,
                                 const ring::RingReport& ring);
std::string crawlSummary(const CrawlContext& c, const ChordCrawlResult& crawl,
                         const ring::RingReport& ring);

// 0: every peer answered, the ring is consistent, every sampled key has
// all its replicas and every SIP probe (--sip) got a 2xx; 1: the crawl ran
// but found any of those wrong; 2: nothing answered.
int crawlExitCode(const ChordCrawlResult& crawl, const ring::RingReport& ring);

}  // namespace p2pmon::probes
