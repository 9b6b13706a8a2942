// The collector's crawl endpoints (docs/api.md "Crawls"): POST
// /api/v1/crawls takes a p2pmon-crawl/1 document, stores it through the
// ingest writer and ingests one overlay_neighbours result per peer;
// GET /api/v1/crawls, /api/v1/crawls/latest and /api/v1/crawls/{id} read
// them back. The renderings are pure and declared here for the tests.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "collector/crawl_document.hpp"
#include "collector/crawl_store.hpp"
#include "collector/ingest_writer.hpp"

namespace httplib {
class Server;
struct Request;
}  // namespace httplib

namespace p2pmon::collector {

// One crawl of GET /api/v1/crawls; renderCrawl adds bootstrap, summary,
// ring and (when given) the peers for /crawls/latest and /crawls/{id}.
nlohmann::ordered_json renderCrawlSummary(const CrawlRow& row);
nlohmann::ordered_json renderCrawl(const CrawlRow& row, const std::vector<CrawlPeerRow>* peers);

class CrawlApi {
 public:
  using Authorizer = std::function<bool(const httplib::Request&)>;
  CrawlApi(CrawlDocLimits limits, CrawlStore& store, CrawlReader& reader, IngestWriter& writer,
           Authorizer authorized);

  void install(httplib::Server& server);

 private:
  CrawlDocLimits limits_;
  CrawlStore& store_;
  CrawlReader& reader_;
  IngestWriter& writer_;
  Authorizer authorized_;
};

}  // namespace p2pmon::collector
