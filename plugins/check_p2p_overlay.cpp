// check_p2p_overlay: the health of a whole p2pmon Chord overlay, from a
// crawl run now through a bootstrap peer (-H -p) or from the latest crawl
// the collector holds (-U, what p2pmon-crawl --collector posted): peers
// found, unreachable share, ring consistency and partitions.

#include <cmath>
#include <cstring>
#include <iostream>
#include <tuple>

#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

#include "core/address.hpp"
#include "core/clock.hpp"
#include "core/http_client.hpp"
#include "core/version.hpp"
#include "overlay-agent/overlay_client.hpp"
#include "plugins/overlay_check.hpp"
#include "plugins/plugin_cli.hpp"
#include "probes/crawl_run.hpp"

namespace po = boost::program_options;
using namespace p2pmon;

namespace {
constexpr const char* kName = "P2P_OVERLAY";

plugins::OverlayAnswer crawled(const nlohmann::json& doc) {
  plugins::OverlayAnswer a;
  auto facts = plugins::overlayFactsFromJson(doc);
  if (!facts) {
    a.kind = plugins::OverlayAnswer::Kind::BadReply;
    a.detail = facts.error().message;
    return a;
  }
  a.kind = plugins::OverlayAnswer::Kind::Crawled;
  a.facts = *facts;
  return a;
}

plugins::OverlayAnswer live(const std::string& overlayName, const std::string& peer, int timeout) {
  probes::ChordCrawlOptions o;
  o.overlay = overlayName;
  auto ep = overlay::resolveEndpoint(peer);
  if (!ep) {  // a bootstrap that cannot be resolved is an overlay nobody reaches: CRITICAL
    plugins::OverlayAnswer a;
    a.kind = plugins::OverlayAnswer::Kind::Crawled;
    a.facts.overlay = overlayName;
    a.facts.bootstrap = {peer};
    a.facts.found = a.facts.unreachable = 1;
    a.facts.errors[ep.error().code] = 1;
    return a;
  }
  o.bootstrap.push_back(*ep);
  // Three attempts of up to a second each per peer, and one second of the
  // plugin's time left for the analysis and the answer.
  o.limits.timeout = std::chrono::milliseconds(std::min(1000, timeout * 250));
  o.limits.maxDuration = std::chrono::milliseconds(std::max(500, timeout * 1000 - 1000));
  const auto run = probes::runCrawl(o, {peer});
  return crawled(nlohmann::json::parse(probes::crawlJson(run.context, run.crawl, run.ring).dump()));
}

plugins::OverlayAnswer fromCollector(const std::string& url, const std::string& token,
                                     const std::optional<std::string>& overlayName, int timeout) {
  std::string target = url;
  while (!target.empty() && target.back() == '/') target.pop_back();
  target += "/api/v1/crawls/latest?peers=false";
  if (overlayName) target += "&overlay=" + core::HttpClient::escape(*overlayName);
  std::vector<std::string> headers;
  if (!token.empty()) headers.push_back("Authorization: Bearer " + token);
  core::HttpClient client;
  plugins::OverlayAnswer a;
  auto reply = client.get(target, std::chrono::seconds(timeout), headers);
  if (!reply) {
    a.kind = plugins::OverlayAnswer::Kind::Unreachable;
    a.detail = reply.error().message + " (" + url + ")";
    return a;
  }
  if (reply->status == 404) {
    a.kind = plugins::OverlayAnswer::Kind::NoCrawl;
    a.detail = overlayName ? "no crawl of overlay '" + *overlayName + "' at the collector"
                           : "no crawl at the collector";
    return a;
  }
  auto j = nlohmann::json::parse(reply->body, nullptr, false);
  if (reply->status != 200 || j.is_discarded()) {
    a.kind = plugins::OverlayAnswer::Kind::BadReply;
    a.detail = "HTTP " + std::to_string(reply->status);
    return a;
  }
  return crawled(j);
}
}  // namespace

int main(int argc, char** argv) {
  plugins::OverlayCheckOptions o;
  std::string host, overlayName, url, token, peersW, peersC, unreachW, unreachC;
  std::string inconsistentState, partitionState, staleState;
  int port = 0;
  int timeout = 10;
  po::options_description opts("Options");
  opts.add_options()
      ("hostname,H", po::value(&host), "live: a bootstrap peer of the overlay, address or name")
      ("port,p", po::value(&port), "live: its overlay UDP port")
      ("url,U", po::value(&url), "collector mode: the collector's base URL")
      ("token", po::value(&token), "collector mode: bearer token, when the collector wants one")
      ("max-age", po::value(&o.maxAge)->default_value(1800),
       "collector mode: seconds after which the latest crawl is stale (0: never)")
      ("stale-state", po::value(&staleState)->default_value("critical"),
       "state for a stale crawl: ok, warning, critical, unknown")
      ("overlay", po::value(&overlayName)->default_value("p2pmon"),
       "overlay name (collector mode: only when given, the latest crawl of that overlay)")
      ("peers-w", po::value(&peersW), "range of peers found for WARNING, e.g. 10:")
      ("peers-c", po::value(&peersC), "range of peers found for CRITICAL, e.g. 3:")
      ("unreachable-w", po::value(&unreachW), "range of the unreachable share in % for WARNING")
      ("unreachable-c", po::value(&unreachC), "range of the unreachable share in % for CRITICAL")
      ("inconsistent-state", po::value(&inconsistentState)->default_value("warning"),
       "state when the ring is not consistent (one ring)")
      ("partition-state", po::value(&partitionState)->default_value("critical"),
       "state when the peers form more than one ring")
      ("timeout,t", po::value(&timeout)->default_value(10), "seconds for the whole check")
      ("verbose,v", "ring findings, unreachable peers by error (repeatable)")
      ("help,h", "show this help")
      ("version,V", "show the version");
  po::variables_map vm;
  const auto verbose = plugins::parsePluginOptions(argc, argv, opts, vm);
  if (!verbose) return plugins::unknown(kName, "bad usage: " + verbose.error().message);
  o.verbose = *verbose;
  if (vm.count("help") != 0U) {
    std::cout << "check_p2p_overlay " << kVersion
              << " - the health of a p2pmon overlay from a crawl\n\n"
              << "Usage: check_p2p_overlay -H peer -p port [--overlay NAME] [thresholds] [-t timeout] [-v]\n"
              << "       check_p2p_overlay -U url [--token T] [--max-age S] [--stale-state STATE]\n"
              << "                         [--overlay NAME] [thresholds] [-t timeout] [-v]\n"
              << "thresholds: [--peers-w R] [--peers-c R] [--unreachable-w R] [--unreachable-c R]\n"
              << "            [--inconsistent-state STATE] [--partition-state STATE]\n\n"
              << opts
              << "\nExit: CRITICAL when no peer answers, by the thresholds, --partition-state\n"
              << "(CRITICAL) for more than one ring, --inconsistent-state (WARNING) for a ring\n"
              << "whose pointers disagree, --stale-state (CRITICAL) for a crawl older than\n"
              << "--max-age; UNKNOWN on bad usage, timeout, no crawl at the collector.\n"
              << "Perfdata: peers=N;W;C;0 reachable=N;;;0 unreachable=P%;W;C;0;100 rings=N;;;0\n"
              << "dangling=N;;;0 and, from the collector, age=Ss;;MAX-AGE;0\n";
    return 3;
  }
  if (vm.count("version") != 0U) {
    std::cout << "check_p2p_overlay " << kVersion << "\n";
    return 3;
  }
  const bool isLive = !host.empty() || vm.count("port") != 0U;
  o.fromCollector = !url.empty();
  if (isLive == o.fromCollector) {
    return plugins::unknown(kName, "bad usage: either -H peer -p port or -U url (see -h)");
  }
  if (isLive && (host.empty() || port < 1 || port > 65535)) {
    return plugins::unknown(kName, "bad usage: -H peer and -p port 1..65535 go together");
  }
  if (timeout < 1 || timeout > 3600) return plugins::unknown(kName, "bad usage: -t must be 1..3600 seconds");
  if (!(o.maxAge >= 0)) return plugins::unknown(kName, "bad usage: --max-age must be >= 0");
  auto opt = [&](const char* name, const std::string& v) {
    return vm.count(name) != 0U ? std::optional(v) : std::nullopt;
  };
  // Only the ranges: the states are parsed below, each under its own name.
  auto peers = plugins::parseThresholds(opt("peers-w", peersW), opt("peers-c", peersC), "unknown");
  if (!peers) return plugins::unknown(kName, "bad usage: --peers" + peers.error().message);
  auto unreach = plugins::parseThresholds(opt("unreachable-w", unreachW), opt("unreachable-c", unreachC),
                                          "unknown");
  if (!unreach) {
    return plugins::unknown(kName, "bad usage: --unreachable" + unreach.error().message);
  }
  o.peersWarning = peers->warning;
  o.peersCritical = peers->critical;
  o.unreachableWarning = unreach->warning;
  o.unreachableCritical = unreach->critical;
  for (auto [text, target, name] : {std::tuple{&inconsistentState, &o.inconsistentState, "--inconsistent-state"},
                                    std::tuple{&partitionState, &o.partitionState, "--partition-state"},
                                    std::tuple{&staleState, &o.staleState, "--stale-state"}}) {
    auto st = core::parseStateName(*text);
    if (!st) return plugins::unknown(kName, std::string("bad usage: ") + name + " " + *text);
    *target = *st;
  }

  plugins::armTimeout(kName, timeout);
  try {
    const auto answer =
        isLive ? live(overlayName, core::HostPort{host, static_cast<std::uint16_t>(port)}.str(), timeout)
               : fromCollector(url, token,
                               vm["overlay"].defaulted() ? std::nullopt : std::optional(overlayName),
                               timeout);
    const auto outcome = plugins::decideOverlayCheck(o, answer, core::nowSeconds());
    plugins::disarmTimeout();
    return plugins::finish(kName, outcome);
  } catch (const std::exception& e) {  // start-up only: a name that does not resolve, no socket
    plugins::disarmTimeout();
    return plugins::unknown(kName, std::string("cannot crawl: ") + e.what());
  }
}
