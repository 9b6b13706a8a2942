// check_p2p_nat: runs the NAT behaviour probe (RFC 5780 mapping and
// filtering tests, hairpinning, optionally the binding lifetime) against a
// STUN server with an alternate address and reports the classic NAT type
// against the expected ones (docs/plugins.md).
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>



#include <boost/program_options.hpp>

#include "core/version.hpp"
#include "plugins/plugin_cli.hpp"
#include "plugins/nat_check.hpp"
#include "probes/nat_probe.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;
using namespace p2pmon;

namespace {
constexpr const char* kName = "P2P_NAT";
constexpr const char* kUsage =
    "Usage: check_p2p_nat -H stun-server [-p port] [--expect TYPE[,TYPE]] [--unexpected-state STATE]\n"
    "                     [--warn-on-change [--state-file PATH]] [--lifetime [--lifetime-max S]]\n"
    "                     [--tcp-port P ... [--tcp-state STATE]] [--no-hairpin] [--bind ADDR]\n"
    "                     [-t timeout] [-v]\n";

// monitoring-plugins keep plugin state under $MP_STATE_PATH; we do the same
// and fall back to /var/tmp, which survives reboots on Debian.
std::string defaultStateFile(const std::string& host, int port) {
  const char* env = std::getenv("MP_STATE_PATH");
  const fs::path dir = env != nullptr && *env != '\0' ? fs::path(env) : fs::path("/var/tmp");
  std::string key = host + "_" + std::to_string(port);
  for (char& c : key) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '.' && c != '-') c = '_';
  }
  return (dir / "p2pmon" / ("check_p2p_nat-" + key)).string();
}

std::optional<probes::nat::NatType> readState(const std::string& path) {
  std::ifstream in(path);
  std::string name;
  if (!(in >> name)) return std::nullopt;
  return probes::nat::parseNatType(name);
}

// Aside and renamed, so that two runs never leave a torn file. A failure
// is reported in the long output, not as the check's state.
std::string writeState(const std::string& path, probes::nat::NatType t) {
  std::error_code ec;
  const fs::path file(path);
  if (file.has_parent_path()) fs::create_directories(file.parent_path(), ec);
  const std::string tmp = path + ".tmp." + std::to_string(getpid());
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << probes::nat::name(t) << "\n";
    if (!out.flush()) return "cannot write the state file " + tmp;
  }
  fs::rename(tmp, path, ec);
  return ec ? "cannot write the state file " + path + ": " + ec.message() : std::string();
}
}  // namespace

int main(int argc, char** argv) {
  plugins::NatCheckOptions o;
  std::string host, expect, unexpectedState, stateFile, bind;
  int port = 3478;
  int lifetimeMax = 60;
  double timeout = 30;
  std::vector<int> tcpPorts;
  std::string tcpState;
  po::options_description opts("Options");
  opts.add_options()
      ("hostname,H", po::value(&host), "STUN server with an alternate address (required)")
      ("port,p", po::value(&port)->default_value(3478), "its port")
      ("expect", po::value(&expect), "NAT types that are fine, comma separated: open, full_cone, "
       "restricted_cone, port_restricted_cone, symmetric, symmetric_firewall (default: any)")
      ("unexpected-state", po::value(&unexpectedState)->default_value("warning"),
       "state when the type is not an expected one: ok, warning, critical, unknown")
      ("warn-on-change", "WARNING when the type differs from the previous run's")
      ("state-file", po::value(&stateFile),
       "where --warn-on-change keeps the last type (default $MP_STATE_PATH or /var/tmp, "
       "p2pmon/check_p2p_nat-HOST_PORT)")
      ("lifetime", "also measure the binding lifetime (slow: up to twice --lifetime-max)")
      ("lifetime-max", po::value(&lifetimeMax)->default_value(60), "longest wait tried, seconds")
      ("no-hairpin", "skip the hairpinning test")
      ("tcp-port", po::value(&tcpPorts)->composing(),
       "a TCP port this host listens on that should be reachable from the server on our public "
       "IP (repeatable, at most 4; needs a p2pmon STUN server)")
      ("tcp-state", po::value(&tcpState)->default_value("warning"),
       "state when a --tcp-port is not reachable or the server cannot tell")
      ("bind", po::value(&bind)->default_value("0.0.0.0"), "local address of the probe (:: for IPv6)")
      ("timeout,t", po::value(&timeout)->default_value(30), "seconds for the whole check (UNKNOWN after)")
      ("verbose,v", "the tests' observations as long output")
      ("help,h", "show this help")
      ("version,V", "show the version");
  po::variables_map vm;
  const auto verbose = plugins::parsePluginOptions(argc, argv, opts, vm);
  if (!verbose) return plugins::unknown(kName, "bad usage: " + verbose.error().message);
  o.verbose = *verbose;
  if (vm.count("help") != 0U) {
    std::cout << "check_p2p_nat " << kVersion << " - NAT behaviour towards a STUN server\n\n"
              << kUsage << "\n" << opts
              << "\nExit: CRITICAL when UDP is blocked (no STUN answer), --unexpected-state\n"
              << "(WARNING) when the type is not in --expect, WARNING on a change with\n"
              << "--warn-on-change, UNKNOWN when the type cannot be determined (a server without\n"
              << "an alternate address), on bad usage or after -t seconds.\n"
              << "--tcp-state (WARNING) when a --tcp-port cannot be reached from the server.\n"
              << "Perfdata: time=ms;;;0, with --lifetime lifetime=s;;;0, with --tcp-port\n"
              << "tcp_reachable=N;;;0;PORTS\n";
    return 3;
  }
  if (vm.count("version") != 0U) {
    std::cout << "check_p2p_nat " << kVersion << "\n";
    return 3;
  }
  if (host.empty()) return plugins::unknown(kName, "bad usage: -H host is required (see -h)");
  if (port < 1 || port > 65535) return plugins::unknown(kName, "bad usage: -p must be 1..65535");
  if (!(timeout >= 1 && timeout <= 7200)) {
    return plugins::unknown(kName, "bad usage: -t must be 1..7200 seconds");
  }
  if (lifetimeMax < 1 || lifetimeMax > 3600) {
    return plugins::unknown(kName, "bad usage: --lifetime-max must be 1..3600");
  }
  if (vm.count("expect") != 0U) {
    auto e = plugins::parseNatExpect(expect);
    if (!e) return plugins::unknown(kName, "bad usage: --expect: " + e.error().message);
    o.expect = *e;
  }
  auto limits = plugins::parseThresholds(std::nullopt, std::nullopt, unexpectedState);
  if (!limits) {
    return plugins::unknown(kName, "bad usage: --unexpected-state: " + limits.error().message);
  }
  o.unexpectedState = limits->timeoutState;
  o.warnOnChange = vm.count("warn-on-change") != 0U;
  auto tcpLimits = plugins::parseThresholds(std::nullopt, std::nullopt, tcpState);
  if (!tcpLimits) return plugins::unknown(kName, "bad usage: --tcp-state: " + tcpLimits.error().message);
  o.tcpState = tcpLimits->timeoutState;
  if (tcpPorts.size() > probes::stun::kMaxTcpCheckPorts) {
    return plugins::unknown(kName, "bad usage: --tcp-port: at most 4 ports");
  }
  if (stateFile.empty()) stateFile = defaultStateFile(host, port);

  plugins::armTimeout(kName, timeout);

  probes::nat::NatProbeOptions popts;
  auto address = probes::nat::resolveStunServer(host, static_cast<std::uint16_t>(port), bind);
  if (!address) return plugins::unknown(kName, address.error().message);
  popts.server = *address;
  popts.bind = bind;
  popts.hairpinning = vm.count("no-hairpin") == 0U;
  popts.lifetime = vm.count("lifetime") != 0U;
  popts.lifetimeMax = std::chrono::seconds(lifetimeMax);
  for (int p : tcpPorts) {
    if (p < 1 || p > 65535) return plugins::unknown(kName, "bad usage: --tcp-port must be 1..65535");
    popts.tcpPorts.push_back(static_cast<std::uint16_t>(p));
  }

  const auto report = probes::nat::probeNat(popts);
  std::optional<probes::nat::NatType> previous;
  std::string stateProblem;
  if (o.warnOnChange) {
    previous = readState(stateFile);
    if (auto now = plugins::typeToRemember(report)) stateProblem = writeState(stateFile, *now);
  }
  auto outcome = plugins::decideNatCheck(o, report, previous);
  if (!stateProblem.empty()) outcome.longOutput.push_back(stateProblem);
  plugins::disarmTimeout();
  return plugins::finish(kName, outcome);
}
