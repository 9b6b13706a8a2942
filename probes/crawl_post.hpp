// p2pmon-crawl --collector: posts one p2pmon-crawl/1 document to the
// collector's POST /api/v1/crawls (docs/api.md) over libcurl, with the
// bearer token, retrying what may pass (no answer, 503) a bounded number
// of times. Not retried: 4xx, the collector refused the document.
#pragma once

#include <chrono>
#include <string>

#include "core/expected.hpp"

namespace p2pmon::probes {

struct CrawlPostOptions {
  std::string url;    // collector base URL, e.g. http://127.0.0.1:8080
  std::string token;  // empty: no Authorization header
  std::chrono::milliseconds timeout{30'000};  // per attempt
  int attempts = 3;
  std::chrono::milliseconds pause{1'000};     // between attempts
};

// On success a line for the operator ("crawl 12 stored at http://...,
// 202 peer results"). Errors: code "post_failed" with the collector's
// error or the transport's, e.g. "HTTP 400 bad_crawl: peers[3].node_id: ...".
core::Expected<std::string> postCrawl(const CrawlPostOptions& options, const std::string& document);

}  // namespace p2pmon::probes
