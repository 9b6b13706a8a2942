// check_p2p_rtp: sends a short G.711 (or Opus) RTP stream to an RTP
// reflector (an overlay peer's, p2pmon-probe rtp-reflector) and reports
// MOS, R, loss, jitter and RTT against thresholds (docs/plugins.md).
#include <cmath>
#include <iostream>

#include <boost/program_options.hpp>

#include "core/version.hpp"
#include "plugins/plugin_cli.hpp"
#include "plugins/rtp_check.hpp"

namespace po = boost::program_options;
using namespace p2pmon;

namespace {
constexpr const char* kName = "P2P_RTP";
constexpr const char* kUsage =
    "Usage: check_p2p_rtp -H host -p port [--duration S] --mos-w 3.6 --mos-c 3.1 [--loss-w %] [--loss-c %]\n"
    "                     [--jitter-w ms] [--jitter-c ms] [--codec pcmu|pcma|opus] [-t timeout]\n"
    "                     [--timeout-state STATE] [-v]\n";

// An optional threshold option parsed into a range, or a usage reason.
std::optional<std::string> range(const po::variables_map& vm, const char* name, bool mos,
                                 std::optional<core::Range>& out) {
  if (vm.count(name) == 0U) return std::nullopt;
  const auto& t = vm[name].as<std::string>();
  auto r = mos ? plugins::parseMosThreshold(t) : core::parseRange(t);
  if (!r) return std::string("--") + name + ": " + r.error().message;
  out = *r;
  return std::nullopt;
}
}  // namespace

int main(int argc, char** argv) {
  plugins::RtpCheckOptions o;
  std::string host, codec, timeoutState;
  int port = 0, ptime = 20;
  double timeout = 10, duration = 5;
  po::options_description opts("Options");
  opts.add_options()
      ("hostname,H", po::value(&host), "RTP reflector: address or name (required)")
      ("port,p", po::value(&port), "its UDP port (required)")
      ("duration", po::value(&duration)->default_value(5), "seconds of stream")
      ("codec", po::value(&codec)->default_value("pcmu"), "pcmu, pcma or opus")
      ("ptime", po::value(&ptime)->default_value(20), "packet time in ms")
      ("mos-w", po::value<std::string>(), "MOS below this is WARNING (e.g. 3.6)")
      ("mos-c", po::value<std::string>(), "MOS below this is CRITICAL (e.g. 3.1)")
      ("loss-w", po::value<std::string>(), "loss % range for WARNING (worse direction)")
      ("loss-c", po::value<std::string>(), "loss % range for CRITICAL")
      ("jitter-w", po::value<std::string>(), "jitter ms range for WARNING (worse direction)")
      ("jitter-c", po::value<std::string>(), "jitter ms range for CRITICAL")
      ("timeout,t", po::value(&timeout)->default_value(10), "seconds for the whole check (> duration)")
      ("timeout-state", po::value(&timeoutState)->default_value("critical"),
       "state when nothing is reflected or the reflector cannot be reached: ok, warning, critical, unknown")
      ("verbose,v", "both directions and the RTT as long output")
      ("help,h", "show this help")
      ("version,V", "show the version");
  po::variables_map vm;
  const auto verbose = plugins::parsePluginOptions(argc, argv, opts, vm);
  if (!verbose) return plugins::unknown(kName, "bad usage: " + verbose.error().message);
  o.verbose = *verbose;
  if (vm.count("help") != 0U) {
    std::cout << "check_p2p_rtp " << kVersion << " - RTP stream quality through a reflector\n\n"
              << kUsage << "\n" << opts
              << "\nExit: OK, WARNING or CRITICAL by MOS (below the threshold is bad), loss and\n"
              << "jitter; --timeout-state (CRITICAL) for an unreachable reflector or no reflection\n"
              << "at all; UNKNOWN on bad usage.\n"
              << "Perfdata: mos;W;C;1;4.5 r_factor;;;0;100 loss=%;W;C;0;100 jitter=ms;W;C;0 rtt=ms;;;0\n";
    return 3;
  }
  if (vm.count("version") != 0U) {
    std::cout << "check_p2p_rtp " << kVersion << "\n";
    return 3;
  }
  if (host.empty()) return plugins::unknown(kName, "bad usage: -H host is required (see -h)");
  if (port < 1 || port > 65535) return plugins::unknown(kName, "bad usage: -p port (1..65535) is required");
  if (!(timeout >= 0.1 && timeout <= 3600)) {
    return plugins::unknown(kName, "bad usage: -t must be 0.1..3600 seconds");
  }
  if (!(duration >= 0.1 && duration <= 600)) {
    return plugins::unknown(kName, "bad usage: --duration must be 0.1..600 seconds");
  }
  auto states = plugins::parseThresholds(std::nullopt, std::nullopt, timeoutState);
  if (!states) return plugins::unknown(kName, "bad usage: --timeout-state: " + states.error().message);
  o.timeoutState = states->timeoutState;
  if (duration >= timeout) {
    return plugins::unknown(kName, "bad usage: --duration must be shorter than -t");
  }
  for (auto [name, mos, slot] : {std::tuple{"mos-w", true, &o.mosWarning}, {"mos-c", true, &o.mosCritical},
                                 {"loss-w", false, &o.lossWarning}, {"loss-c", false, &o.lossCritical},
                                 {"jitter-w", false, &o.jitterWarning}, {"jitter-c", false, &o.jitterCritical}}) {
    if (auto why = range(vm, name, mos, *slot)) return plugins::unknown(kName, "bad usage: " + *why);
  }
  auto plan = probes::makeSendPlan(codec, ptime);
  if (!plan) return plugins::unknown(kName, "bad usage: " + plan.error().message);
  probes::RtpTargetOptions t;
  t.host = host;
  t.port = static_cast<std::uint16_t>(port);
  t.plan = *plan;
  t.durationS = duration;
  // Whatever is left of -t after the stream, at most a second, waits for
  // the last reflections.
  t.waitS = std::clamp(timeout - duration - 0.05, 0.0, 1.0);
  const bool v6 = host.find(':') != std::string::npos;
  o.target = (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
  try {
    return plugins::finish(kName, plugins::decideRtpCheck(o, probes::runRtpTarget(t)));
  } catch (const std::exception& e) {  // start-up only
    return plugins::unknown(kName, std::string("cannot start the probe: ") + e.what());
  }
}
