#include "probes/rtp_live_command.hpp"

#include <iostream>
#include <string>

#include <boost/program_options.hpp>

#include "probes/probe_error.hpp"
#include "probes/rtp_live.hpp"
#include "probes/rtp_live_report.hpp"

namespace p2pmon::probes {

namespace po = boost::program_options;

namespace {

constexpr const char* kCommand = "p2pmon-probe rtp";

int fail(const core::Error& e) {
  std::cerr << errorLine(kCommand, e) << "\n";
  return kExitError;
}

int usageError(const std::string& why) { return fail(core::makeError("bad_usage", why + " (see -h)")); }

bool parse(int argc, char** argv, const po::options_description& opts, po::variables_map& vm,
           std::string& error) {
  try {
    po::store(po::command_line_parser(argc, argv).options(opts).run(), vm);
    po::notify(vm);
    return true;
  } catch (const std::exception& e) {
    error = e.what();
    return false;
  }
}

void printListening(const std::string& bound) {
  std::cerr << kCommand << ": listening on " << bound << "\n" << std::flush;
}

}  // namespace

int runRtpTargetCommand(int argc, char** argv) {
  std::string target, codec, emodelCodec;
  double duration = 5, wait = 1;
  int ptime = 20, dropEvery = 0;
  po::options_description opts("Options (--target)");
  opts.add_options()
      ("target", po::value(&target), "RTP reflector HOST:PORT ([v6]:PORT)")
      ("duration", po::value(&duration)->default_value(5), "seconds of stream (0.02..3600)")
      ("codec", po::value(&codec)->default_value("pcmu"), "pcmu, pcma (8000 Hz) or opus (48000 Hz)")
      ("ptime", po::value(&ptime)->default_value(20), "packet time in ms")
      ("emodel-codec", po::value(&emodelCodec), "E-model impairment instead of the codec's (g711, g711-plc, ...)")
      ("wait", po::value(&wait)->default_value(1), "seconds to wait for reflections after the last packet")
      ("drop-every", po::value(&dropEvery)->default_value(0),
       "for tests: skip every Nth packet, its sequence number still used (forward loss 1/N)")
      ("json", "one JSON document instead of the text line")
      ("help,h", "show this help");
  po::variables_map vm;
  std::string error;
  if (!parse(argc, argv, opts, vm, error)) return usageError(error);
  if (vm.count("help") != 0U) {
    std::cout << "Usage: " << kCommand << " --target HOST:PORT [--duration S] [--codec pcmu|pcma|opus]"
              << " [--ptime MS] [--json]\n\n" << opts
              << "\nSends a paced RTP stream to an RTP reflector (p2pmon-probe rtp-reflector, a\n"
                 "p2pmon peer's) and reports both directions (docs/probes.md).\n";
    return kExitOk;
  }
  RtpTargetOptions o;
  const auto colon = target.rfind(':');
  if (colon == std::string::npos || colon == 0) return usageError("--target must be HOST:PORT");
  o.host = target.substr(0, colon);
  if (o.host.size() > 2 && o.host.front() == '[' && o.host.back() == ']') o.host = o.host.substr(1, o.host.size() - 2);
  try {
    const int port = std::stoi(target.substr(colon + 1));
    if (port < 1 || port > 65535) throw std::out_of_range("port");
    o.port = static_cast<std::uint16_t>(port);
  } catch (const std::exception&) {
    return usageError("--target: the port must be 1..65535");
  }
  auto plan = makeSendPlan(codec, ptime);
  if (!plan) return usageError(plan.error().message);
  o.plan = *plan;
  if (!emodelCodec.empty()) {
    auto e = findCodecImpairment(emodelCodec);
    if (!e) return usageError("--emodel-codec: unknown codec " + emodelCodec);
    o.plan.emodel = *e;
  }
  if (!(duration >= 0.02 && duration <= 3600)) return usageError("--duration must be 0.02..3600");
  if (!(wait >= 0 && wait <= 60)) return usageError("--wait must be 0..60");
  if (dropEvery < 0 || dropEvery == 1) return usageError("--drop-every must be 0 (off) or at least 2");
  o.durationS = duration;
  o.waitS = wait;
  o.dropEvery = dropEvery;
  const RtpTargetRun run = runRtpTarget(o);
  if (vm.count("json") != 0U) {
    std::cout << rtpTargetJson(o, run).dump(2) << "\n";
  } else if (!run.error) {
    std::cout << rtpTargetText(o, run);
  }
  if (run.error) {
    std::cerr << errorLine(kCommand, *run.error) << "\n";
    return kExitError;
  }
  return kExitOk;
}

int runRtpListenCommand(int argc, char** argv) {
  std::string listen, codec;
  double duration = 10, delayMs = 0;
  int gmin = kDefaultGmin;
  std::uint32_t clockRate = 0;
  po::options_description opts("Options (--listen)");
  opts.add_options()
      ("listen", po::value(&listen), "address to receive on, IP:PORT ([v6]:PORT)")
      ("duration", po::value(&duration)->default_value(10), "seconds to listen (0.1..86400)")
      ("json", "one JSON document instead of the table")
      ("codec", po::value(&codec)->default_value("g711"), "E-model codec (as for --pcap)")
      ("delay-ms", po::value(&delayMs)->default_value(0), "one-way delay (ms) for the E-model")
      ("gmin", po::value(&gmin)->default_value(kDefaultGmin), "RFC 3611 gap threshold (1..255)")
      ("clock-rate", po::value(&clockRate)->default_value(0), "RTP clock rate for dynamic payload types")
      ("all", "also list streams that never passed RFC 3550 probation")
      ("help,h", "show this help");
  po::variables_map vm;
  std::string error;
  if (!parse(argc, argv, opts, vm, error)) return usageError(error);
  if (vm.count("help") != 0U) {
    std::cout << "Usage: " << kCommand << " --listen IP:PORT --duration S [--json]\n\n" << opts
              << "\nAnalyses the RTP streams that reach the address, per SSRC, as --pcap does.\n";
    return kExitOk;
  }
  const auto impairment = findCodecImpairment(codec);
  if (!impairment) return usageError("--codec: unknown E-model codec " + codec);
  if (!(duration >= 0.1 && duration <= 86400)) return usageError("--duration must be 0.1..86400");
  if (gmin < 1 || gmin > 255) return usageError("--gmin must be 1..255");
  if (delayMs < 0 || delayMs > 10000) return usageError("--delay-ms must be 0..10000");
  RtpStreamTable table({clockRate, gmin});
  RtpListenOptions o{listen, duration, {clockRate, gmin}};
  auto run = runRtpListen(o, table, printListening);
  if (!run) return fail(run.error());
  const RtpReportOptions ro{*impairment, delayMs, gmin};
  const auto streams = table.streams(vm.count("all") == 0U);
  if (vm.count("json") != 0U) {
    std::cout << rtpListenJson(run->bound, duration, table.counters(), table.droppedStreams(),
                               run->truncated, streams, ro)
                     .dump(2)
              << "\n";
  } else {
    std::cout << rtpCaptureTable(streams, ro);
  }
  return kExitOk;
}

}  // namespace p2pmon::probes
