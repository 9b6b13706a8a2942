// The crawl driver for the p2pmon Chord overlay: asks every peer the crawl
// engine (crawl_engine.hpp) hands out for its diagnostics (DiagReq, the
// overlay issue's RFC 7851-style answer) over one UDP socket, matches
// answers by transaction id, and feeds the successors, predecessors and
// fingers back to the engine as the next addresses. Single-threaded, poll(2)
// driven; the whole crawl is bounded by the engine's limits.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "overlay-agent/messages.hpp"
#include "probes/crawl_engine.hpp"
#include "probes/ring_analysis.hpp"

namespace p2pmon::probes {

struct ChordCrawlOptions {
  std::string overlay = "p2pmon";
  std::vector<overlay::Endpoint> bootstrap;
  crawl::CrawlLimits limits;
  // Called about every 100 ms: visits finished so far, addresses known.
  std::function<void(std::size_t finished, std::size_t discovered)> progress;
};

// With --sip: the OPTIONS probe of a peer's SIP port (sip_prober.hpp).
struct CrawlSip {
  int status = 0;       // final status, 0 when none came
  double rttMs = 0;
  std::string error;    // stable code when no final response came: timeout, refused, ...
  bool ok() const { return status >= 200 && status < 300; }
};

// One peer as the crawl saw it: the analysis' view plus what the operator
// reads (version, uptime, routing table, storage, service ports).
struct ChordPeerVisit {
  ring::CrawledPeer peer;     // id, address, reachable, lists (ids), uptime
  std::string error;          // stable code when unreachable: timeout, bad_response, ...
  int attempts = 0;
  double rttMs = 0;
  std::string softwareVersion;
  std::uint32_t routingTableSize = 0;
  std::uint32_t recordsStored = 0;
  std::uint64_t bytesStored = 0;
  std::uint16_t sipPort = 0, stunPort = 0, rtpPort = 0;
  std::vector<overlay::StoredKey> storedKeys;  // the peer's sample of records it is responsible for
  std::optional<CrawlSip> sip;                 // probed (--sip, a reachable peer with a SIP port)
};

struct ChordCrawlResult {
  std::vector<ChordPeerVisit> peers;  // in discovery order
  crawl::CrawlSummary summary;
  double seconds = 0;
  std::size_t badAnswers = 0;  // datagrams that were no answer to one of our requests
};

// Throws std::runtime_error only when the socket cannot be opened.
ChordCrawlResult crawlChord(const ChordCrawlOptions& options);

}  // namespace p2pmon::probes
