// check_p2p_sip: sends one SIP OPTIONS to a server (an overlay peer, a
// proxy, any UAS) and reports the response code and round-trip time against
// thresholds and the expected codes (docs/plugins.md).
#include <cmath>
#include <iostream>

#include <boost/program_options.hpp>

#include "core/version.hpp"
#include "plugins/plugin_cli.hpp"
#include "plugins/sip_check.hpp"
#include "probes/sip_prober.hpp"

namespace po = boost::program_options;
using namespace p2pmon;

namespace {
constexpr const char* kName = "P2P_SIP";
constexpr const char* kUsage =
    "Usage: check_p2p_sip -H host [-p port] [--transport udp|tcp] [-u sip:uri] [-w ms] [-c ms]\n"
    "                     [-t timeout] [--expect CODES] [--timeout-state STATE] [-v]\n";
}  // namespace

int main(int argc, char** argv) {
  plugins::SipCheckOptions o;
  std::string host, transport, uri, warning, critical, expect, timeoutState;
  int port = 5060;
  double timeout = 10;
  po::options_description opts("Options");
  opts.add_options()
      ("hostname,H", po::value(&host), "SIP server: address or name (required)")
      ("port,p", po::value(&port)->default_value(5060), "its SIP port")
      ("transport", po::value(&transport)->default_value("udp"), "udp or tcp")
      ("uri,u", po::value(&uri), "Request-URI, default sip:HOST:PORT")
      ("warning,w", po::value(&warning), "RTT range in ms for WARNING (Nagios range syntax)")
      ("critical,c", po::value(&critical), "RTT range in ms for CRITICAL")
      ("timeout,t", po::value(&timeout)->default_value(10), "seconds to wait for the final response")
      ("expect", po::value(&expect)->default_value(std::string(plugins::kDefaultExpect)),
       "codes that mean up: 200,404 or classes 2xx or spans 200-299; others are CRITICAL")
      ("timeout-state", po::value(&timeoutState)->default_value("critical"),
       "state when no response comes: ok, warning, critical, unknown")
      ("verbose,v", "address, server, allow, Node-ID as long output")
      ("help,h", "show this help")
      ("version,V", "show the version");
  po::variables_map vm;
  const auto verbose = plugins::parsePluginOptions(argc, argv, opts, vm);
  if (!verbose) return plugins::unknown(kName, "bad usage: " + verbose.error().message);
  o.verbose = *verbose;
  if (vm.count("help") != 0U) {
    std::cout << "check_p2p_sip " << kVersion << " - SIP OPTIONS round trip and response code\n\n"
              << kUsage << "\n" << opts
              << "\nExit: OK when an expected code comes within the thresholds, WARNING/CRITICAL\n"
              << "by RTT, CRITICAL for other codes, a refused or unreachable target or a bad\n"
              << "response, --timeout-state (CRITICAL) without a response, UNKNOWN on bad usage.\n"
              << "Perfdata: rtt=ms;W;C;0;TIMEOUT-ms retransmissions=N;;;0 (also on failure)\n";
    return 3;
  }
  if (vm.count("version") != 0U) {
    std::cout << "check_p2p_sip " << kVersion << "\n";
    return 3;
  }
  if (host.empty()) return plugins::unknown(kName, "bad usage: -H host is required (see -h)");
  if (port < 1 || port > 65535) return plugins::unknown(kName, "bad usage: -p must be 1..65535");
  if (transport != "udp" && transport != "tcp") {
    return plugins::unknown(kName, "bad usage: --transport must be udp or tcp");
  }
  if (!(timeout >= 0.001 && timeout <= 3600)) {
    return plugins::unknown(kName, "bad usage: -t must be 0.001..3600 seconds");
  }
  const bool v6 = host.find(':') != std::string::npos;
  const std::string hostPort = (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
  auto target = probes::parseSipTarget("sip:" + hostPort + ";transport=" + transport);
  if (!target) return plugins::unknown(kName, "bad usage: -H/-p: " + target.error().message);
  if (!uri.empty() && uri.rfind("sip:", 0) != 0 && uri.rfind("sips:", 0) != 0) {
    return plugins::unknown(kName, "bad usage: -u must be a sip: URI");
  }
  auto limits = plugins::parseThresholds(
      vm.count("warning") != 0U ? std::optional(warning) : std::nullopt,
      vm.count("critical") != 0U ? std::optional(critical) : std::nullopt, timeoutState);
  if (!limits) return plugins::unknown(kName, "bad usage: " + limits.error().message);
  o.warning = limits->warning;
  o.critical = limits->critical;
  o.timeoutState = limits->timeoutState;
  auto ex = plugins::parseSipExpect(expect);
  if (!ex) return plugins::unknown(kName, "bad usage: --expect: " + ex.error().message);
  o.expect = *ex;
  const auto timeoutMs = static_cast<std::int64_t>(std::llround(timeout * 1000.0));
  o.timeoutMs = static_cast<double>(timeoutMs);
  o.target = "sip:" + hostPort + (transport == "tcp" ? ";transport=tcp" : "");
  try {
    probes::SipProberOptions popts;
    popts.timeout = std::chrono::milliseconds(timeoutMs);
    popts.maxInFlight = 1;
    if (v6) popts.bindAddress = "::";
    probes::SipProber prober(popts);
    return plugins::finish(kName, plugins::decideSipCheck(o, prober.probe(*target, uri)));
  } catch (const std::exception& e) {  // start-up only
    return plugins::unknown(kName, std::string("cannot start the probe: ") + e.what());
  }
}
