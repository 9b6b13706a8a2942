#include "probes/stun_command.hpp"

#include <iostream>
#include <string>

#include <boost/program_options.hpp>

#include "probes/probe_error.hpp"
#include "probes/stun_server.hpp"

namespace p2pmon::probes {

namespace po = boost::program_options;
namespace asio = boost::asio;

namespace {

int fail(const char* command, const core::Error& e) {
  std::cerr << errorLine(command, e) << "\n";
  return kExitError;
}

}  // namespace

int runStunServer(int argc, char** argv) {
  constexpr const char* kCommand = "p2pmon-probe stun-server";
  std::string listen;
  std::string alt;
  std::string software;
  po::options_description opts("Options");
  opts.add_options()("help,h", "this help")(
      "listen", po::value(&listen)->required(), "primary address IP:PORT ([v6]:PORT; port 0: any free)")(
      "alt-listen", po::value(&alt),
      "alternate address IP:PORT, another IP and port: answers CHANGE-REQUEST, advertises OTHER-ADDRESS")(
      "software", po::value(&software)->default_value("p2pmon-probe stun-server"),
      "SOFTWARE attribute ('' for none)");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(opts).run(), vm);
    if (vm.count("help") != 0U) {
      std::cout << "Usage: " << kCommand << " --listen IP:PORT [--alt-listen IP:PORT]\n\n" << opts
                << "\nPrints its addresses, serves until SIGTERM or SIGINT, then prints its\n"
                   "counters as one JSON line (docs/probes.md).\n";
      return kExitOk;
    }
    po::notify(vm);
  } catch (const std::exception& e) {
    return fail(kCommand, core::makeError("bad_usage", std::string(e.what()) + " (see -h)"));
  }
  StunServerConfig config;
  config.software = software;
  auto primary = stun::parseAddress(listen);
  if (!primary) return fail(kCommand, core::makeError("bad_usage", "--listen: " + primary.error().message));
  config.primary = toEndpoint(*primary);
  if (!alt.empty()) {
    auto a = stun::parseAddress(alt);
    if (!a) return fail(kCommand, core::makeError("bad_usage", "--alt-listen: " + a.error().message));
    config.alternate = toEndpoint(*a);
  }
  asio::io_context io;
  std::unique_ptr<StunServer> server;
  try {
    server = std::make_unique<StunServer>(io, config);
  } catch (const std::exception& e) {
    return fail(kCommand, core::makeError("bad_usage", e.what()));
  }
  server->start();
  std::cout << "STUN server on " << toStunAddress(server->primary()).str();
  if (auto a = server->alternate()) std::cout << ", alternate " << toStunAddress(*a).str();
  std::cout << "\n" << std::flush;
  asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](const boost::system::error_code&, int) {
    server->stop();
    io.stop();
  });
  io.run();
  std::cout << server->statsJson() << "\n" << std::flush;
  return kExitOk;
}

}  // namespace p2pmon::probes
