// Row readers shared by the store's readers (StoreReader, CrawlReader,
// DashboardReader): the column lists their SELECTs name and the structs
// built from a row, so each table's shape is read in one place.
#pragma once

#include "collector/crawl_store.hpp"
#include "collector/sqlite_db.hpp"
#include "collector/store_types.hpp"

namespace p2pmon::collector {

// A `current` row as ServiceStatus.
inline constexpr const char* kServiceColumns =
    "host, service, state, output, perfdata, last_check, last_state_change, source";
ServiceStatus readService(const Statement& st);

// A `crawls` row's figures (CrawlRow without bootstrap, summary and ring),
// and the whole row (the figures, then those three documents).
inline constexpr const char* kCrawlFigureColumns =
    "id, overlay, started_at, seconds, received, found, reachable, unreachable, unvisited, "
    "consistent, rings, dangling, churn_joined, churn_left, churn_restarted, peers_stored";
inline constexpr const char* kCrawlColumns =
    "id, overlay, started_at, seconds, received, found, reachable, unreachable, unvisited, "
    "consistent, rings, dangling, churn_joined, churn_left, churn_restarted, peers_stored, "
    "bootstrap, summary, ring";
CrawlRow readCrawlFigures(const Statement& st);
CrawlRow readCrawl(const Statement& st);

// A `crawl_peers` row (without its crawl id and sequence number).
inline constexpr const char* kCrawlPeerColumns =
    "node_id, address, reachable, error, rtt_ms, attempts, software_version, uptime_s, "
    "successor, predecessor, state, detail";
CrawlPeerRow readCrawlPeer(const Statement& st);

}  // namespace p2pmon::collector
