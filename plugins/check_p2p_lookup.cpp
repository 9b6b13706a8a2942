// check_p2p_lookup: looks an AOR up in the overlay through one peer (a
// client-mode lookup walked hop by hop, then a fetch from the responsible
// peer) and reports found/not found, hops and latency against thresholds.
// --canary NODE-ID looks up the record a peer's agent keeps for its
// dht_lookup check (canary.<Node-ID>@<overlay>) instead of an AOR.
#include <iostream>
#include <vector>

#include <boost/program_options.hpp>

#include "core/address.hpp"
#include "core/node_id.hpp"
#include "core/version.hpp"
#include "plugins/plugin_cli.hpp"
#include "overlay-agent/agent_checks.hpp"
#include "overlay-agent/overlay_client.hpp"
#include "plugins/lookup_check.hpp"
#include "probes/probe_error.hpp"

namespace po = boost::program_options;
using namespace p2pmon;

namespace {
constexpr const char* kName = "P2P_LOOKUP";

plugins::LookupAnswer lookup(const std::string& overlayName, const std::string& peer,
                             const std::string& aor, int timeoutSeconds) {
  plugins::LookupAnswer a;
  auto ep = overlay::resolveEndpoint(peer);
  if (!ep) {
    a.kind = plugins::LookupAnswer::Kind::NoAnswer;
    a.error = ep.error().code;
    a.detail = ep.error().message;
    return a;
  }
  overlay::OverlayClient client(
      overlay::ClientOptions{overlayName, *ep, std::chrono::seconds(timeoutSeconds)});
  auto res = client.get(overlay::RecordKind::UserLocation, aor);
  a.hops = res.op.hops;
  a.latencyMs = res.latencyMs;
  a.responsible = res.op.responsible.id.hex();
  a.responsibleAddress = res.op.responsible.endpoint.str();
  if (res.op.ok) {
    a.kind = plugins::LookupAnswer::Kind::Found;
    for (const auto& e : res.op.record->entries) a.contacts.push_back({e.key, e.values});
    return a;
  }
  auto e = probes::normalizeError(res.op.error);
  a.error = e.code;
  a.detail = e.message;
  if (e.code == "not_found") {
    a.kind = plugins::LookupAnswer::Kind::NotFound;
  } else {
    a.kind = res.answered ? plugins::LookupAnswer::Kind::Failed
                          : plugins::LookupAnswer::Kind::NoAnswer;
  }
  return a;
}
}  // namespace

int main(int argc, char** argv) {
  plugins::LookupCheckOptions o;
  std::string host, overlayName, warning, critical, timeoutState, canary;
  int port = 0;
  int timeout = 10;
  po::options_description opts("Options");
  opts.add_options()
      ("hostname,H", po::value(&host), "overlay peer to ask: address or name (required)")
      ("port,p", po::value(&port), "its overlay UDP port (required)")
      ("aor", po::value(&o.aor), "address of record to look up, sip:user@domain")
      ("canary", po::value(&canary),
       "instead of --aor: the canary record of the peer with this Node-ID (32 hex digits), "
       "canary.<Node-ID>@<overlay>, which its agent's dht_lookup check keeps stored")
      ("warning,w", po::value(&warning), "latency range in ms for WARNING (Nagios range syntax)")
      ("critical,c", po::value(&critical), "latency range in ms for CRITICAL")
      ("overlay", po::value(&overlayName)->default_value("p2pmon"), "overlay name")
      ("timeout,t", po::value(&timeout)->default_value(10), "seconds allowed for the lookup")
      ("timeout-state", po::value(&timeoutState)->default_value("unknown"),
       "state when the peer does not answer: ok, warning, critical, unknown")
      ("verbose,v", "responsible peer and contacts as long output (repeatable)")
      ("help,h", "show this help")
      ("version,V", "show the version");
  po::variables_map vm;
  const auto verbose = plugins::parsePluginOptions(argc, argv, opts, vm);
  if (!verbose) return plugins::unknown(kName, "bad usage: " + verbose.error().message);
  o.verbose = *verbose;
  if (vm.count("help") != 0U) {
    std::cout << "check_p2p_lookup " << kVersion
              << " - looks an AOR up in a p2pmon overlay through one peer\n\n"
              << "Usage: check_p2p_lookup -H peer -p port {--aor sip:user@domain | --canary NODE-ID}\n"
                 "                        [-w ms] [-c ms] [--overlay NAME] [-t timeout] "
                 "[--timeout-state STATE] [-v]\n\n"
              << opts
              << "\nExit: OK when found within the thresholds, WARNING/CRITICAL by latency,\n"
              << "CRITICAL when not found or the lookup fails in the overlay, --timeout-state\n"
              << "(UNKNOWN) when the peer does not answer, UNKNOWN on bad usage.\n"
              << "Perfdata: latency=ms;W;C;0;TIMEOUT-ms hops=N;;;0\n";
    return 3;
  }
  if (vm.count("version") != 0U) {
    std::cout << "check_p2p_lookup " << kVersion << "\n";
    return 3;
  }
  if (host.empty() || vm.count("port") == 0U || (o.aor.empty() == canary.empty())) {
    return plugins::unknown(
        kName, "bad usage: -H peer, -p port and one of --aor or --canary are required (see -h)");
  }
  if (port < 1 || port > 65535) return plugins::unknown(kName, "bad usage: -p must be 1..65535");
  if (!canary.empty()) {
    auto id = core::NodeId::fromHex(canary);
    if (!id) return plugins::unknown(kName, "bad usage: --canary must be a Node-ID, 32 hex digits");
    o.aor = overlay::canaryName(*id, overlayName);  // the name the agent stores
  } else if (o.aor.rfind("sip:", 0) != 0 && o.aor.rfind("sips:", 0) != 0) {
    return plugins::unknown(kName, "bad usage: --aor must be a SIP AOR, sip:user@domain");
  }
  if (timeout < 1) return plugins::unknown(kName, "bad usage: -t must be at least 1 second");
  auto limits = plugins::parseThresholds(
      vm.count("warning") != 0U ? std::optional(warning) : std::nullopt,
      vm.count("critical") != 0U ? std::optional(critical) : std::nullopt, timeoutState);
  if (!limits) return plugins::unknown(kName, "bad usage: " + limits.error().message);
  o.warning = limits->warning;
  o.critical = limits->critical;
  o.timeoutState = limits->timeoutState;
  o.timeoutMs = timeout * 1000.0;
  o.peer = core::HostPort{host, static_cast<std::uint16_t>(port)}.str();
  try {
    return plugins::finish(kName, plugins::decideLookupCheck(o, lookup(overlayName, o.peer, o.aor,
                                                                       timeout)));
  } catch (const std::exception& e) {  // start-up only: a socket that cannot be bound
    return plugins::unknown(kName, std::string("cannot start the lookup: ") + e.what());
  }
}
