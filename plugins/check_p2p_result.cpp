// check_p2p_result: reports the latest result the collector holds for a host
// and service, CRITICAL (or --stale-state) when it is older than --max-age.
#include <iostream>

#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

#include "core/clock.hpp"
#include "core/http_client.hpp"
#include "core/version.hpp"
#include "plugins/result_check.hpp"

namespace po = boost::program_options;
using namespace p2pmon;

namespace {
constexpr const char* kName = "P2P_RESULT";

plugins::CollectorAnswer ask(const std::string& url, const plugins::ResultCheckOptions& o,
                             int timeoutSeconds) {
  core::HttpClient client;
  std::string target = url;
  while (!target.empty() && target.back() == '/') target.pop_back();
  target += "/api/v1/hosts/" + core::HttpClient::escape(o.host) + "/services/" +
            core::HttpClient::escape(o.service);
  plugins::CollectorAnswer a;
  auto reply = client.get(target, std::chrono::seconds(timeoutSeconds));
  if (!reply) {
    a.kind = plugins::CollectorAnswer::Kind::Unreachable;
    a.detail = reply.error().message + " (" + url + ")";
    return a;
  }
  if (reply->status == 404) {
    a.kind = plugins::CollectorAnswer::Kind::Missing;
    return a;
  }
  auto j = nlohmann::json::parse(reply->body, nullptr, false);
  if (reply->status != 200 || j.is_discarded()) {
    a.kind = plugins::CollectorAnswer::Kind::BadReply;
    a.detail = "HTTP " + std::to_string(reply->status);
    return a;
  }
  auto r = core::fromJson(nlohmann::json{{"host", j.value("host", "")},
                                         {"service", j.value("service", "")},
                                         {"state", j.value("state", 3)},
                                         {"output", j.value("output", "")},
                                         {"perfdata", j.value("perfdata", "")},
                                         {"time", j.value("last_check", 0.0)},
                                         {"source", j.value("source", "")}},
                          0);
  if (!r) {
    a.kind = plugins::CollectorAnswer::Kind::BadReply;
    a.detail = r.error().message;
    return a;
  }
  a.kind = plugins::CollectorAnswer::Kind::Found;
  a.last = *r;
  a.lastStateChange = j.value("last_state_change", 0.0);
  return a;
}
}  // namespace

int main(int argc, char** argv) {
  plugins::ResultCheckOptions o;
  std::string url, staleState;
  int timeout = 10;
  po::options_description opts("Options");
  opts.add_options()
      ("hostname,H", po::value(&o.host), "host name as the collector knows it (required)")
      ("service,s", po::value(&o.service),
       "service name (required; an empty string asks for the host check result)")
      ("url,U", po::value(&url)->default_value("http://127.0.0.1:8080"), "collector base URL")
      ("max-age", po::value(&o.maxAge)->default_value(900),
       "seconds after which the result is stale (0: never)")
      ("stale-state", po::value(&staleState)->default_value("critical"),
       "state to report for a stale result: ok, warning, critical, unknown")
      ("timeout,t", po::value(&timeout)->default_value(10), "seconds to wait for the collector")
      ("verbose,v", "more detail (repeatable)")
      ("help,h", "show this help")
      ("version,V", "show the version");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(opts).run(), vm);
    po::notify(vm);
  } catch (const std::exception& e) {
    return plugins::unknown(kName, std::string("bad usage: ") + e.what());
  }
  if (vm.count("help") != 0U) {
    std::cout << "check_p2p_result " << kVersion
              << " - latest p2pmon collector result for a host and service\n\n"
              << "Usage: check_p2p_result -H host -s service [-U url] [--max-age S] "
                 "[--stale-state STATE] [-t timeout] [-v]\n\n"
              << opts << "\nExit: the stored state; --stale-state when older than --max-age;\n"
              << "UNKNOWN when the collector cannot be reached or has no such result.\n"
              << "Perfdata: age=Ns;;MAX-AGE followed by the stored result's perfdata.\n";
    return 3;
  }
  if (vm.count("version") != 0U) {
    std::cout << "check_p2p_result " << kVersion << "\n";
    return 3;
  }
  if (vm.count("hostname") == 0U || vm.count("service") == 0U) {
    return plugins::unknown(kName, "bad usage: -H host and -s service are required (see -h)");
  }
  auto st = core::parseStateName(staleState);
  if (!st) return plugins::unknown(kName, "bad usage: --stale-state " + staleState);
  if (timeout < 1) return plugins::unknown(kName, "bad usage: -t must be at least 1 second");
  o.staleState = *st;
  o.verbose = static_cast<int>(vm.count("verbose"));
  auto answer = ask(url, o, timeout);
  return plugins::finish(kName, plugins::decideResultCheck(o, answer, core::nowSeconds()));
}
