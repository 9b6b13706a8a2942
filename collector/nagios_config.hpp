// Nagios 4 object configuration for what the collector knows (docs/operations.md
// "Nagios configuration"): a host per peer, a passive service with freshness
// checking per current (host, service), active check_p2p_sip/check_p2p_lookup
// per peer with an address, one check_p2p_overlay. Pure: input structs to text;
// the same input gives the same bytes (no clock, stable order).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"

namespace p2pmon::collector {

// One host: a crawled peer, a host the collector holds results for, or both
// (matched by name: "peer-" + 8 hex digits of the Node-ID).
struct NagiosHost {
  std::string host;
  std::optional<std::string> nodeId{};
  std::optional<std::string> address{};  // from its newest crawl sighting, without the port
  std::optional<std::uint16_t> overlayPort{};
  std::optional<std::uint16_t> sipPort{};  // its diagnostics' SIP port, when it runs SIP
  double lastSighting = 0;  // start of the newest crawl it answered; 0: never
  double lastCheck = 0;     // newest result time; 0: none
};

// One current (host, service) row of the collector (not host check results).
struct NagiosPassiveService {
  std::string host;
  std::string service;
  std::optional<double> intervalS{};  // inferred from its history; none: the agent default
  double lastCheck = 0;
};

struct NagiosInventory {
  std::optional<std::string> overlay;     // the overlay of the latest crawl; none: no crawl
  std::optional<double> crawlIntervalS;   // inferred from the overlay's crawls
  std::vector<NagiosHost> hosts;          // any order
  std::vector<NagiosPassiveService> services;  // any order
};

struct NagiosConfigOptions {
  std::string pluginDir = "/usr/lib/nagios/plugins";
  std::string collectorUrl = "http://127.0.0.1:8080";
  double graceS = 86'400;        // hosts and services silent for longer are left out; 0 keeps all
  // check_p2p_lookup's AOR for every peer; empty: each peer's agent canary
  // (canary.<Node-ID>@<overlay>) for peers that report dht_lookup, no
  // p2p_lookup for the others.
  std::string lookupAor;
  std::string overlayHost = "p2p-overlay";
  std::string hostTemplate;      // an existing host template p2pmon-host inherits from; empty none
  std::string serviceTemplate;   // same for p2pmon-passive-service and p2pmon-active-service
  int checkInterval = 5;         // active checks, in Nagios interval_length units
  int retryInterval = 1;
  int maxCheckAttempts = 3;
  double now = 0;                // for the grace only; never written
};

struct NagiosConfig {
  std::string text;
  std::size_t hosts = 0, passive = 0, active = 0;
  std::vector<std::string> skipped;  // "host 'x y': ..." for names Nagios cannot take (escaped)
};

// Names of the generated objects (stable: operators refer to them).
inline constexpr const char* kPeersHostgroup = "p2pmon-peers";
inline constexpr const char* kSipService = "p2p_sip";
inline constexpr const char* kLookupService = "p2p_lookup";
inline constexpr const char* kOverlayService = "p2p_overlay";
// The agent's check whose canary record p2p_lookup fetches.
inline constexpr const char* kCanaryService = "dht_lookup";

// The agent's default interval of a service (agent_config.cpp); 300 s for
// services the agent does not run (overlay_neighbours: a 5-minute crawl).
double defaultIntervalS(std::string_view service);
// The spacing of result times (any order): the median gap of the newest
// nine, snapped to the nearest "round" interval (1, 2, 3, 5, 10, 15, 20, 30,
// 45, 60, 90, 120, 180, 300, 600, 900, 1200, 1800, 3600 s, ... up to a day)
// so that jitter does not change the file; none with fewer than 3 times.
std::optional<double> inferIntervalS(std::vector<double> times);
// 3 intervals: two results may go missing before Nagios asks check_p2p_result.
double freshnessThresholdS(double intervalS);
// Whether Nagios takes `name` as a host, service or group name as written:
// not empty, at most 255 bytes, no control or white space characters, none
// of Nagios' default illegal_object_name_chars `~!$%^&*|'"<>?,()= and none
// of ; \ { } (comments, escapes and blocks of the object file).
bool isNagiosName(std::string_view name);
// Checks the options' texts (paths, URL, AOR, template names): no spaces,
// quotes or characters the object file or the shell would take apart.
core::Expected<bool> checkNagiosOptions(const NagiosConfigOptions& o);

NagiosConfig generateNagiosConfig(const NagiosInventory& inventory, const NagiosConfigOptions& o);

}  // namespace p2pmon::collector
