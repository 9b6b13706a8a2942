#include "probes/nat_command.hpp"

#include <utility>  // before Boost.Asio: Boost 1.74 + C++20 needs it

#include <boost/asio.hpp>
#include <boost/program_options.hpp>

#include <iostream>
#include <string>
#include <vector>

#include "core/address.hpp"
#include "probes/nat_probe.hpp"
#include "probes/probe_error.hpp"
#include "probes/stun_server.hpp"

namespace p2pmon::probes {

namespace po = boost::program_options;

namespace {
constexpr const char* kCommand = "p2pmon-probe nat";

int fail(const core::Error& e) {
  std::cerr << errorLine(kCommand, e) << "\n";
  return kExitError;
}
}  // namespace

int runNat(int argc, char** argv) {
  std::string server;
  std::string bind;
  int rtoMs = 100;
  int transmissions = 4;
  int lifetimeMax = 60;
  std::vector<int> tcpPorts;
  po::options_description opts("Options");
  opts.add_options()("help,h", "this help")(
      "server", po::value(&server)->required(), "STUN server HOST[:PORT] (default port 3478); it needs an alternate address")(
      "bind", po::value(&bind)->default_value("0.0.0.0"), "local address of the probe's sockets (:: for IPv6)")(
      "rto", po::value(&rtoMs)->default_value(100), "first retransmission timeout in ms (doubles)")(
      "transmissions", po::value(&transmissions)->default_value(4), "sends per request (1..8)")(
      "no-hairpin", "skip the hairpinning test")(
      "lifetime", "also measure the binding lifetime (RFC 5780 §4.5; takes up to twice --lifetime-max)")(
      "lifetime-max", po::value(&lifetimeMax)->default_value(60), "longest wait tried, seconds (1..3600)")(
      "tcp-port", po::value(&tcpPorts)->composing(),
      "a TCP port this host listens on: the server tries to connect to it on our public IP "
      "(repeatable, at most 4; p2pmon STUN servers only)")(
      "json", "one JSON document instead of a text line")("verbose,v", "progress lines on stderr");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(opts).run(), vm);
    if (vm.count("help") != 0U) {
      std::cout << "Usage: " << kCommand << " --server HOST[:PORT] [--lifetime] [--json]\n\n" << opts
                << "\nOutput fields: docs/probes.md.\n";
      return kExitOk;
    }
    po::notify(vm);
  } catch (const std::exception& e) {
    return fail(core::makeError("bad_usage", std::string(e.what()) + " (see -h)"));
  }
  if (rtoMs < 1 || rtoMs > 10000) return fail(core::makeError("bad_usage", "--rto must be 1..10000 ms"));
  if (transmissions < 1 || transmissions > 8)
    return fail(core::makeError("bad_usage", "--transmissions must be 1..8"));
  if (lifetimeMax < 1 || lifetimeMax > 3600)
    return fail(core::makeError("bad_usage", "--lifetime-max must be 1..3600"));
  if (tcpPorts.size() > stun::kMaxTcpCheckPorts)
    return fail(core::makeError("bad_usage", "--tcp-port: at most 4 ports"));
  for (int p : tcpPorts)
    if (p < 1 || p > 65535) return fail(core::makeError("bad_usage", "--tcp-port must be 1..65535"));
  auto hp = core::parseHostPort(server, 3478);
  if (!hp) return fail(core::makeError("bad_usage", "--server: " + hp.error().message));

  nat::NatProbeOptions o;
  auto address = nat::resolveStunServer(hp->host, hp->port, bind);
  if (!address) return fail(address.error());
  o.server = *address;
  o.bind = bind;
  o.rto = std::chrono::milliseconds(rtoMs);
  o.transmissions = transmissions;
  o.hairpinning = vm.count("no-hairpin") == 0U;
  o.lifetime = vm.count("lifetime") != 0U;
  o.lifetimeMax = std::chrono::seconds(lifetimeMax);
  for (int p : tcpPorts) o.tcpPorts.push_back(static_cast<std::uint16_t>(p));
  if (vm.count("verbose") != 0U) o.log = [](const std::string& line) { std::cerr << line << "\n"; };

  const auto report = nat::probeNat(o);
  if (vm.count("json") != 0U) {
    std::cout << nat::reportJson(report).dump(2) << "\n";
  } else {
    std::cout << nat::reportLine(report) << "\n";
  }
  std::cout << std::flush;
  if (!report.error.empty()) return fail(core::makeError(report.error, report.detail));
  return kExitOk;
}

}  // namespace p2pmon::probes
