// The JSON endpoints of the operators' dashboard (docs/api.md "Dashboard"):
// /api/v1/version, /overview, /services, /ring, /hosts/{host}/peer and
// /overlay/summary. Reads come from DashboardReader (small tables only);
// the renderings below are pure and declared here for the tests.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "collector/crawl_store.hpp"
#include "collector/dashboard_reader.hpp"
#include "collector/store_types.hpp"

namespace httplib {
class Server;
}  // namespace httplib

namespace p2pmon::collector {

struct OverviewData {
  DataVersion version;
  std::array<std::int64_t, 4> hostsByState{};
  std::array<std::int64_t, 4> servicesByState{};
  ServicePage problems;
  std::optional<CrawlRow> latestCrawl;
};

nlohmann::ordered_json renderVersion(const DataVersion& v);
nlohmann::ordered_json renderOverview(const OverviewData& d, double now);
nlohmann::ordered_json renderServicePage(const ServicePage& page, const ServiceFilter& f, double now);

// "0,2" or "critical,warning" (any case, mixed): the states, sorted, each
// once; nullopt when an item is not a state.
std::optional<std::vector<int>> parseStateList(std::string_view text);

// The latest crawl's peers for the ring view: one per Node-ID (a reachable
// sighting wins), each with its host's worst current state (`worst`: host
// and state, sorted by host; an unreachable peer counts as CRITICAL), a
// dead successor (pointing at an unreachable or unknown peer) flagged, and
// the index of the cycle (ring) its chain of first reachable successors
// (from `detail`'s successor list, as the crawl counts rings) is on or
// leads to, largest ring first; null when that chain dies first.
nlohmann::ordered_json renderRing(const CrawlRow& crawl, const std::vector<CrawlPeerRow>& peers,
                                  const std::vector<std::pair<std::string, int>>& worst);

// The NAT type named by a nat_behaviour output ("NAT OK - open (mapping
// ...)", "NAT CRITICAL - UDP blocked: ..."): open, full_cone, ...,
// blocked; "unknown" when it names none.
std::string natTypeOf(std::string_view output);

// GET /api/v1/hosts/{host}/peer: the peer's newest crawl record (routing
// table from its document) and its NAT type.
nlohmann::ordered_json renderPeerPage(const std::string& host,
                                      const std::optional<std::pair<CrawlRow, CrawlPeerRow>>& record,
                                      const std::optional<ServiceStatus>& nat);

// NAT types over the overlay (current nat_behaviour results), the MOS of
// the current rtp_quality results in the E-model's bands, and the crawls
// (oldest first) for the overlay history.
nlohmann::ordered_json renderOverlaySummary(const std::vector<ServiceStatus>& nat,
                                            const std::vector<ServiceStatus>& rtp,
                                            const std::vector<CrawlPoint>& crawlsNewestFirst);

// /api/v1/metrics?step=S: each series' points averaged per S-second bucket
// (time: the bucket's start, a multiple of S), the newest `limit` buckets.
std::vector<MetricSeries> downsample(std::vector<MetricSeries> series, double step,
                                     std::size_t limit);

class DashboardApi {
 public:
  DashboardApi(DashboardReader& reader, StoreReader& store);
  void install(httplib::Server& server);

 private:
  DashboardReader& reader_;
  StoreReader& store_;
};

}  // namespace p2pmon::collector
