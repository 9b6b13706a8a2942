#include "probes/rtp_reflector_command.hpp"

#include <chrono>
#include <functional>
#include <iostream>
#include <string>

#include <boost/program_options.hpp>

#include "probes/probe_error.hpp"
#include "probes/rtp_reflector.hpp"
#include "probes/stun_server.hpp"

namespace p2pmon::probes {

namespace po = boost::program_options;
namespace asio = boost::asio;

int runRtpReflector(int argc, char** argv) {
  constexpr const char* kCommand = "p2pmon-probe rtp-reflector";
  auto fail = [&](const std::string& why) {
    std::cerr << errorLine(kCommand, core::makeError("bad_usage", why)) << "\n";
    return kExitError;
  };
  std::string listen;
  double interval = 0;
  po::options_description opts("Options");
  opts.add_options()("help,h", "this help")(
      "listen", po::value(&listen)->required(), "address IP:PORT ([v6]:PORT; port 0: any free)")(
      "stats-interval", po::value(&interval)->default_value(0),
      "seconds between counter lines on stdout (0: only at the end)");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(opts).run(), vm);
    if (vm.count("help") != 0U) {
      std::cout << "Usage: " << kCommand << " --listen IP:PORT [--stats-interval S]\n\n" << opts
                << "\nReturns every RTP packet to its sender with the reflector's receive time,\n"
                   "count and sequence (docs/protocol.md); prints its address, serves until\n"
                   "SIGTERM or SIGINT, then prints its counters as one JSON line.\n";
      return kExitOk;
    }
    po::notify(vm);
  } catch (const std::exception& e) {
    return fail(std::string(e.what()) + " (see -h)");
  }
  if (!(interval >= 0 && interval <= 86400)) return fail("--stats-interval must be 0..86400");
  auto addr = stun::parseAddress(listen);
  if (!addr) return fail("--listen: " + addr.error().message);
  asio::io_context io;
  std::unique_ptr<RtpReflector> reflector;
  try {
    reflector = std::make_unique<RtpReflector>(io, RtpReflectorConfig{toEndpoint(*addr)});
  } catch (const std::exception& e) {
    return fail(e.what());
  }
  reflector->start();
  std::cout << "RTP reflector on " << toStunAddress(reflector->endpoint()).str() << "\n" << std::flush;
  asio::steady_timer timer(io);
  std::function<void()> arm = [&] {
    timer.expires_after(std::chrono::microseconds(static_cast<std::int64_t>(interval * 1e6)));
    timer.async_wait([&](const boost::system::error_code& ec) {
      if (ec) return;
      std::cout << reflector->statsJson() << "\n" << std::flush;
      arm();
    });
  };
  if (interval > 0) arm();
  asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](const boost::system::error_code&, int) {
    reflector->stop();
    timer.cancel();
    io.stop();
  });
  io.run();
  std::cout << reflector->statsJson() << "\n" << std::flush;
  return kExitOk;
}

}  // namespace p2pmon::probes
