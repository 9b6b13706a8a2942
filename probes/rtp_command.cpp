#include "probes/rtp_command.hpp"

#include <iostream>
#include <string>

#include <boost/program_options.hpp>

#include "probes/probe_error.hpp"
#include "probes/rtp_live_command.hpp"
#include "probes/rtp_pcap.hpp"
#include "probes/rtp_report.hpp"

namespace p2pmon::probes {

namespace po = boost::program_options;

namespace {

constexpr const char* kCommand = "p2pmon-probe rtp";

int usageError(const std::string& why) {
  std::cerr << errorLine(kCommand, core::makeError("bad_usage", why + " (see -h)")) << "\n";
  return kExitError;
}

std::string codecNames() {
  std::string out;
  for (const auto& c : codecImpairments()) out += (out.empty() ? "" : ", ") + std::string(c.name);
  return out;
}

// Which form the arguments ask for: --target and --listen have their own
// options (rtp_live_command.hpp).
bool hasOption(int argc, char** argv, const std::string& name) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == name || a.rfind(name + "=", 0) == 0) return true;
  }
  return false;
}

}  // namespace

int runRtp(int argc, char** argv) {
  if (hasOption(argc, argv, "--target")) return runRtpTargetCommand(argc, argv);
  if (hasOption(argc, argv, "--listen")) return runRtpListenCommand(argc, argv);
  std::string pcap, codec;
  double delayMs = 0;
  int gmin = kDefaultGmin;
  std::uint32_t clockRate = 0;
  po::options_description opts("Options");
  opts.add_options()
      ("pcap", po::value(&pcap), "capture file (pcap or pcapng) to analyse")
      ("json", "one JSON document instead of the table")
      ("codec", po::value(&codec)->default_value("g711"), ("E-model codec: " + codecNames()).c_str())
      ("delay-ms", po::value(&delayMs)->default_value(0), "one-way delay (ms) for the E-model's R and MOS-CQ")
      ("gmin", po::value(&gmin)->default_value(kDefaultGmin), "RFC 3611 gap threshold (1..255)")
      ("clock-rate", po::value(&clockRate)->default_value(0),
       "RTP clock rate (Hz) for dynamic payload types (0: static types only)")
      ("all", "also list streams that never passed RFC 3550 probation")
      ("help,h", "show this help");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(opts).run(), vm);
    po::notify(vm);
  } catch (const std::exception& e) {
    return usageError(e.what());
  }
  if (vm.count("help") != 0U) {
    std::cout << "Usage: " << kCommand << " --pcap FILE [--json] [--codec NAME] [--delay-ms MS]\n"
              << "       " << kCommand << " --target HOST:PORT [--duration S] [--codec pcmu|pcma|opus] [--json]\n"
              << "       " << kCommand << " --listen IP:PORT --duration S [--json]\n\n"
              << opts << "\nOutput: a table, or JSON with --json (docs/probes.md); with\n"
              << "--target or --listen, -h lists the options of those forms.\n";
    return kExitOk;
  }
  if (pcap.empty()) return usageError("--pcap FILE is needed");
  const auto impairment = findCodecImpairment(codec);
  if (!impairment) return usageError("--codec must be one of " + codecNames());
  if (gmin < 1 || gmin > 255) return usageError("--gmin must be 1..255");
  if (delayMs < 0 || delayMs > 10000) return usageError("--delay-ms must be 0..10000");

  RtpStreamTable table({clockRate, gmin});
  auto linkType = readPcapFile(pcap, table);
  if (!linkType) {
    std::cerr << errorLine(kCommand, linkType.error()) << "\n";
    return kExitError;
  }
  const RtpReportOptions o{*impairment, delayMs, gmin};
  const auto streams = table.streams(vm.count("all") == 0U);
  if (vm.count("json") != 0U) {
    std::cout << rtpCaptureJson(pcap, *linkType, table.counters(), table.droppedStreams(), streams, o)
                     .dump(2)
              << "\n";
  } else {
    std::cout << rtpCaptureTable(streams, o);
  }
  return kExitOk;
}

}  // namespace p2pmon::probes
