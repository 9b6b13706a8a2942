#include "probes/sip_command.hpp"

#include <cmath>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include <boost/program_options.hpp>

#include "core/perfdata.hpp"
#include "probes/probe_error.hpp"
#include "probes/sip_prober.hpp"

namespace p2pmon::probes {

namespace po = boost::program_options;

namespace {

constexpr const char* kCommand = "p2pmon-probe sip";
constexpr const char* kSynopsis =
    "(--target sip:HOST[:PORT][;transport=udp|tcp] [--count N] [--interval MS] |\n"
    "                         --targets-from FILE|- [--max-in-flight N]) [--timeout MS] [--json]";

int fail(const core::Error& e) {
  std::cerr << errorLine(kCommand, e) << "\n";
  return kExitError;
}

int usageError(const std::string& why) { return fail(core::makeError("bad_usage", why + " (see -h)")); }

// Kilobytes from /proc/self/status ("VmRSS", "VmHWM"), 0 when unknown.
long procStatusKb(const std::string& key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) == 0) return std::stol(line.substr(key.size() + 1));
  }
  return 0;
}

// --stats: one JSON line on stderr about the run itself (bounds, memory).
void printStats(SipProber& prober) {
  const std::size_t inFlight = prober.inFlight();
  const std::size_t left = prober.drain(prober.options().linger + std::chrono::seconds(1));
  const auto& s = prober.stats();
  SipJson j = {{"started", s.started},
               {"finished", s.finished},
               {"max_in_flight", prober.options().maxInFlight},
               {"peak_in_flight", s.peakInFlight},
               {"in_flight_at_end", inFlight},
               {"max_transactions", prober.options().maxTransactions},
               {"peak_nta_transactions", s.peakNtaTransactions},
               {"nta_transactions_after_drain", left},
               {"rss_kb", procStatusKb("VmRSS")},
               {"peak_rss_kb", procStatusKb("VmHWM")}};
  std::cerr << j.dump() << "\n";
}

// Next target line of a sweep: blank lines and '#' comments skipped.
std::optional<SipSweepItem> nextLine(std::istream& in, const std::string& requestUri) {
  std::string line;
  while (std::getline(in, line)) {
    const auto b = line.find_first_not_of(" \t\r");
    if (b == std::string::npos || line[b] == '#') continue;
    const auto e = line.find_last_not_of(" \t\r");
    return SipSweepItem{line.substr(b, e - b + 1), requestUri};
  }
  return std::nullopt;
}

SipJson summaryJson(const SipProbeResult& last, const std::vector<SipProbeResult>& all) {
  SipJson j = sipResultJson(last);
  const auto s = summarize(all);
  auto ms = [](double v) { return std::round(v * 1000.0) / 1000.0; };
  j["sent"] = s.sent;
  j["answered"] = s.answered;
  j["rtt_min_ms"] = s.answered ? SipJson(ms(s.rttMin)) : SipJson(nullptr);
  j["rtt_avg_ms"] = s.answered ? SipJson(ms(s.rttAvg)) : SipJson(nullptr);
  j["rtt_max_ms"] = s.answered ? SipJson(ms(s.rttMax)) : SipJson(nullptr);
  SipJson probes = SipJson::array();
  for (const auto& r : all) {
    probes.push_back({{"status", r.answered ? SipJson(r.status) : SipJson(nullptr)},
                      {"error", r.answered ? SipJson(nullptr) : SipJson(r.error)},
                      {"rtt_ms", ms(r.rttMs)},
                      {"retransmissions", r.retransmissions}});
  }
  j["probes"] = probes;
  return j;
}

}  // namespace

int runSip(int argc, char** argv) {
  std::string target, targetsFrom, requestUri, bind;
  int count = 1;
  std::int64_t intervalMs = 1000, timeoutMs = 2000, t1Ms = 500, lingerMs = 500;
  std::size_t maxInFlight = 32, maxTransactions = 0;
  po::options_description opts("Options");
  opts.add_options()
      ("target", po::value(&target), "sip:HOST[:PORT][;transport=udp|tcp] to send OPTIONS to")
      ("count", po::value(&count)->default_value(1), "probes of --target, one after the other")
      ("interval", po::value(&intervalMs)->default_value(1000), "ms from one probe's start to the next")
      ("targets-from", po::value(&targetsFrom), "sweep: one target URI per line from FILE or - (stdin); # comments")
      ("max-in-flight", po::value(&maxInFlight)->default_value(32), "sweep: requests live at once (1..256)")
      ("max-transactions", po::value(&maxTransactions)->default_value(0),
       "sweep: NTA transactions held at most, finished ones in timer K too (0: 128 per in flight)")
      ("timeout", po::value(&timeoutMs)->default_value(2000), "ms to wait for a final response (NTA timer F)")
      ("t1", po::value(&t1Ms)->default_value(500), "ms before the first UDP retransmission (RFC 3261 T1)")
      ("linger", po::value(&lingerMs)->default_value(500), "ms a finished UDP transaction is kept (timer K)")
      ("request-uri", po::value(&requestUri), "Request-URI and To, default: the target without transport")
      ("bind", po::value(&bind)->default_value("0.0.0.0"), "local address of the probe's sockets")
      ("json", "JSON: one document, or one line per target in a sweep")
      ("stats", "one JSON line about the run (peaks, memory) on stderr at the end")
      ("help,h", "show this help");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(opts).run(), vm);
    po::notify(vm);
  } catch (const std::exception& e) {
    return usageError(e.what());
  }
  if (vm.count("help") != 0U) {
    std::cout << "Usage: " << kCommand << " " << kSynopsis << "\n\n" << opts
              << "\nOutput: one line per probe, or JSON with --json (docs/probes.md).\n";
    return kExitOk;
  }
  const bool json = vm.count("json") != 0U;
  const bool sweep = !targetsFrom.empty();
  if (sweep == !target.empty()) return usageError("give either --target or --targets-from");
  if (count < 1 || count > 1000000) return usageError("--count must be 1..1000000");
  if (intervalMs < 0) return usageError("--interval must not be negative");
  if (timeoutMs < 1 || timeoutMs > 3600000) return usageError("--timeout must be 1..3600000 ms");
  if (t1Ms < 1) return usageError("--t1 must be at least 1 ms");
  if (lingerMs < 1 || lingerMs > 32000) return usageError("--linger must be 1..32000 ms");
  if (maxInFlight < 1 || maxInFlight > kMaxInFlight) {
    return usageError("--max-in-flight must be 1.." + std::to_string(kMaxInFlight));
  }
  SipProberOptions o;
  o.timeout = std::chrono::milliseconds(timeoutMs);
  o.t1 = std::chrono::milliseconds(t1Ms);
  o.linger = std::chrono::milliseconds(lingerMs);
  o.maxInFlight = sweep ? maxInFlight : 1;
  if (sweep && maxTransactions != 0 && maxTransactions < maxInFlight) {
    return usageError("--max-transactions must be 0 or at least --max-in-flight");
  }
  o.maxTransactions = sweep ? maxTransactions : 0;
  o.bindAddress = bind;
  SipProber prober(o);

  if (sweep) {
    std::ifstream file;
    std::istream* in = &std::cin;
    if (targetsFrom != "-") {
      file.open(targetsFrom);
      if (!file) return usageError("cannot read " + targetsFrom);
      in = &file;
    }
    prober.sweep([&] { return nextLine(*in, requestUri); },
                 [&](SipProbeResult r) {
                   if (json) {
                     std::cout << sipResultJson(r).dump() << "\n";
                   } else {
                     std::cout << sipResultLine(r) << "\n";
                   }
                 });
    std::cout << std::flush;
    if (vm.count("stats") != 0U) printStats(prober);
    return kExitOk;
  }

  auto parsed = parseSipTarget(target);
  if (!parsed) return usageError("--target: " + parsed.error().message);
  std::vector<SipProbeResult> results;
  for (int i = 0; i < count; ++i) {
    const auto started = std::chrono::steady_clock::now();
    results.push_back(prober.probe(*parsed, requestUri));
    if (!json) std::cout << sipResultLine(results.back()) << "\n" << std::flush;
    if (i + 1 < count) {
      const auto next = started + std::chrono::milliseconds(intervalMs);
      const auto now = std::chrono::steady_clock::now();
      if (next > now) {
        prober.runFor(std::chrono::ceil<std::chrono::milliseconds>(next - now));
      }
    }
  }
  const auto s = summarize(results);
  if (json) {
    std::cout << summaryJson(results.back(), results).dump(2) << "\n";
  } else if (count > 1) {
    std::cout << "--- " << s.sent << " sent, " << s.answered << " answered";
    if (s.answered > 0) {
      std::cout << ", rtt min/avg/max " << core::formatNumber(std::round(s.rttMin * 1000) / 1000)
                << "/" << core::formatNumber(std::round(s.rttAvg * 1000) / 1000) << "/"
                << core::formatNumber(std::round(s.rttMax * 1000) / 1000) << " ms";
    }
    std::cout << "\n";
  }
  std::cout << std::flush;
  if (vm.count("stats") != 0U) printStats(prober);
  if (s.answered > 0) return kExitOk;
  const auto& last = results.back();
  return fail(core::makeError(last.error, last.detail));
}

}  // namespace p2pmon::probes
