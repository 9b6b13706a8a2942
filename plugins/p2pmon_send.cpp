// p2pmon-send: pushes check results read from stdin through a ResultSink,
// either NSCA (to p2pmon-collector or any stock nsca daemon) or the
// collector's HTTP API. Input: one JSON result per line (DESIGN.md shape),
// or with --tab, send_nsca's fields "host<TAB>service<TAB>state<TAB>output"
// one result per line (a line with three fields is a host result).
#include <iostream>
#include <memory>

#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

#include "core/address.hpp"
#include "core/clock.hpp"
#include "core/http_sender.hpp"
#include "core/nsca_sender.hpp"
#include "core/plugin_output.hpp"
#include "core/version.hpp"

namespace po = boost::program_options;
using namespace p2pmon;

namespace {
core::Expected<core::CheckResult> parseTab(const std::string& line, double now) {
  std::vector<std::string> f;
  std::size_t start = 0;
  while (f.size() < 3) {
    auto tab = line.find('\t', start);
    if (tab == std::string::npos) break;
    f.push_back(line.substr(start, tab - start));
    start = tab + 1;
  }
  f.push_back(line.substr(start));
  core::CheckResult r;
  std::string state, raw;
  if (f.size() == 4) {
    r.host = f[0];
    r.service = f[1];
    state = f[2];
    raw = f[3];
  } else if (f.size() == 3) {
    r.host = f[0];
    state = f[1];
    raw = f[2];
  } else {
    return core::makeError("bad_input", "expected host<TAB>[service<TAB>]state<TAB>output");
  }
  auto st = core::parseStateName(state);
  if (!st) return core::makeError("bad_state", "bad state '" + state + "'");
  r.state = *st;
  auto split = core::splitPluginOutput(raw);
  r.output = split.text;
  r.perfdata = split.perfdata;
  r.time = now;
  r.source = "p2pmon-send";
  return r;
}
}  // namespace

int main(int argc, char** argv) try {
  std::string nsca, http, password, token;
  int encryption = 1, timeout = 10;
  po::options_description opts("p2pmon-send options");
  opts.add_options()
      ("help,h", "show this help")
      ("version,V", "show the version")
      ("nsca", po::value(&nsca), "send by NSCA to HOST:PORT (p2pmon-collector or stock nsca)")
      ("password", po::value(&password)->default_value(""), "NSCA password")
      ("encryption", po::value(&encryption)->default_value(1), "NSCA encryption: 0 none, 1 XOR")
      ("legacy", "NSCA 2.7 packets (720 bytes, one connection per result)")
      ("http", po::value(&http), "send to the collector's HTTP API at this base URL")
      ("token", po::value(&token)->default_value(""), "bearer token for --http")
      ("tab", "read send_nsca-style tab-separated lines instead of JSON lines")
      ("timeout,t", po::value(&timeout)->default_value(10), "seconds per request");
  po::variables_map vm;
  po::store(po::parse_command_line(argc, argv, opts), vm);
  po::notify(vm);
  if (vm.count("help") != 0U) {
    std::cout << "Usage: p2pmon-send (--nsca HOST:PORT | --http URL) [options] < results\n\n"
              << opts << "\nExit: 0 all sent, 1 some refused, 2 transport failure or bad usage.\n";
    return 0;
  }
  if (vm.count("version") != 0U) {
    std::cout << "p2pmon-send " << kVersion << "\n";
    return 0;
  }
  if (nsca.empty() == http.empty()) throw std::runtime_error("give exactly one of --nsca, --http");
  std::unique_ptr<core::ResultSink> sink;
  if (!nsca.empty()) {
    auto hp = core::parseHostPort(nsca, 5667);
    if (!hp) throw std::runtime_error("--nsca: " + hp.error().message);
    if (encryption != 0 && encryption != 1) throw std::runtime_error("--encryption must be 0 or 1");
    sink = std::make_unique<core::NscaSender>(core::NscaSenderConfig{
        hp->host, hp->port, password, static_cast<core::nsca::Encryption>(encryption),
        vm.count("legacy") != 0U, std::chrono::seconds(timeout)});
  } else {
    sink = std::make_unique<core::HttpSender>(
        core::HttpSenderConfig{http, token, std::chrono::seconds(timeout)});
  }
  const double now = core::nowSeconds();
  std::vector<core::CheckResult> results;
  std::size_t lineNo = 0, bad = 0;
  std::string line;
  while (std::getline(std::cin, line)) {
    ++lineNo;
    if (line.empty()) continue;
    core::Expected<core::CheckResult> r = core::makeError("bad_input", "");
    if (vm.count("tab") != 0U) {
      r = parseTab(line, now);
    } else {
      auto j = nlohmann::json::parse(line, nullptr, false);
      r = j.is_discarded() ? core::makeError("bad_json", "not JSON") : core::fromJson(j, now);
    }
    if (!r) {
      std::cerr << "line " << lineNo << ": " << r.error().code << ": " << r.error().message << "\n";
      ++bad;
      continue;
    }
    results.push_back(std::move(r).value());
  }
  auto report = sink->send(results);
  for (const auto& rej : report.rejected) {
    std::cerr << "result " << rej.index + 1 << " (" << results[rej.index].host << "/"
              << results[rej.index].service << ") refused: " << rej.error.code << ": "
              << rej.error.message << "\n";
  }
  if (!report.ok()) {
    std::cerr << "p2pmon-send: " << sink->describe() << ": " << report.failure->code << ": "
              << report.failure->message << "\n";
    return 2;
  }
  std::cout << report.accepted << " result(s) sent to " << sink->describe() << ", "
            << report.rejected.size() + bad << " refused\n";
  return report.rejected.empty() && bad == 0 ? 0 : 1;
} catch (const std::exception& e) {
  std::cerr << "p2pmon-send: " << e.what() << "\n";
  return 2;
}
