// p2pmon-http-loadgen: HTTP ingest load generator for bench/ingest.sh. POSTs
// N check results to URL/api/v1/results as JSON arrays of B results, over C
// threads each keeping one connection alive (core::HttpClient reuses its curl
// handle), and checks every reply's "accepted" count. The collector answers
// 200 only once a batch is committed, so the time is end-to-end durable
// ingest. The request bodies are serialised before the clock starts.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

#include "bench/load_common.hpp"
#include "core/check_result.hpp"
#include "core/clock.hpp"
#include "core/http_client.hpp"

namespace po = boost::program_options;
using namespace p2pmon;
using nlohmann::json;

namespace {

struct Options {
  std::string url;
  std::size_t results = 100'000;
  std::size_t batch = 1000;
  std::size_t connections = 2;
  std::size_t hosts = 1000;
  std::size_t services = 5;
  std::string token;
  bool perfdata = true;
  std::chrono::milliseconds timeout{60'000};
};

// Same spread and wording as p2pmon-nsca-loadgen: result i is service
// (i % services) of host ((i / services) % hosts).
core::CheckResult makeResult(std::size_t i, const Options& o, double now) {
  const std::size_t h = (i / o.services) % o.hosts;
  const std::size_t s = i % o.services;
  const std::size_t k = h * o.services + s;
  core::CheckResult r;
  r.host = "bench-node-" + std::to_string(h);
  r.service = "p2p-check-" + std::to_string(s);
  r.state = static_cast<core::State>(bench::sampleState(k));
  r.output = bench::sampleOutput(k, r.host);
  if (o.perfdata) r.perfdata = bench::samplePerfdata(k);
  // Distinct times so that every result is its own metric point.
  r.time = now - 1.0 + static_cast<double>(i) * 1e-6;
  r.source = "bench:http-loadgen";
  return r;
}

struct Shared {
  Shared(const Options& options, const std::vector<std::string>& b,
         const std::vector<std::size_t>& c)
      : o(options), bodies(b), counts(c) {}
  const Options& o;
  const std::vector<std::string>& bodies;
  const std::vector<std::size_t>& counts;
  std::atomic<std::size_t> next{0};
  std::atomic<std::size_t> accepted{0};
  std::atomic<std::size_t> requests{0};
  bench::FirstError error;
  void fail(const std::string& what) { error.fail(what); }
};

void worker(Shared& sh) {
  core::HttpClient client;
  const std::string url = sh.o.url + "/api/v1/results";
  std::vector<std::string> headers;
  if (!sh.o.token.empty()) headers.push_back("Authorization: Bearer " + sh.o.token);
  while (!sh.error.failed()) {
    const std::size_t b = sh.next.fetch_add(1);
    if (b >= sh.bodies.size()) return;
    auto res = client.post(url, sh.bodies[b], "application/json", sh.o.timeout, headers);
    if (!res) return sh.fail("POST: " + res.error().message);
    ++sh.requests;
    if (res->status != 200) {
      return sh.fail("POST: HTTP " + std::to_string(res->status) + ": " + res->body.substr(0, 200));
    }
    auto reply = json::parse(res->body, nullptr, false);
    if (reply.is_discarded() || !reply.contains("accepted") || !reply["accepted"].is_number()) {
      return sh.fail("POST: unexpected reply " + res->body.substr(0, 200));
    }
    const auto n = reply["accepted"].get<std::size_t>();
    sh.accepted += n;
    if (n != sh.counts[b]) {
      return sh.fail("POST: accepted " + std::to_string(n) + " of " + std::to_string(sh.counts[b]) +
                     ": " + res->body.substr(0, 200));
    }
  }
}

}  // namespace

int main(int argc, char** argv) try {
  Options o;
  long timeoutMs = 60'000;
  po::options_description opts("p2pmon-http-loadgen options");
  opts.add_options()
      ("help,h", "show this help and exit")
      ("url", po::value(&o.url)->required(), "collector base URL, e.g. http://127.0.0.1:8080")
      ("results", po::value(&o.results)->default_value(o.results), "results to send in total")
      ("batch", po::value(&o.batch)->default_value(o.batch), "results per POST (JSON array)")
      ("connections", po::value(&o.connections)->default_value(o.connections),
       "parallel keep-alive connections (one thread each)")
      ("hosts", po::value(&o.hosts)->default_value(o.hosts), "distinct host names")
      ("services", po::value(&o.services)->default_value(o.services), "services per host")
      ("token", po::value(&o.token)->default_value(""), "bearer token, if the collector wants one")
      ("no-perfdata", "send results without perfdata")
      ("timeout-ms", po::value(&timeoutMs)->default_value(timeoutMs), "per-request timeout");
  po::variables_map vm;
  po::store(po::parse_command_line(argc, argv, opts), vm);
  if (vm.count("help") != 0U) {
    std::cout << "Usage: p2pmon-http-loadgen --url URL [options]\n"
                 "Prints {\"sent\":N,\"accepted\":A,\"seconds\":S,\"rate\":R,...} on stdout.\n\n"
              << opts << "\n";
    return 0;
  }
  po::notify(vm);
  while (!o.url.empty() && o.url.back() == '/') o.url.pop_back();
  if (o.batch == 0 || o.connections == 0 || o.hosts == 0 || o.services == 0) {
    throw std::runtime_error("--batch, --connections, --hosts, --services must be > 0");
  }
  o.perfdata = vm.count("no-perfdata") == 0U;
  o.timeout = std::chrono::milliseconds(timeoutMs);

  const double now = core::nowSeconds();
  std::vector<std::string> bodies;
  std::vector<std::size_t> counts;
  for (std::size_t first = 0; first < o.results; first += o.batch) {
    const std::size_t last = std::min(first + o.batch, o.results);
    json arr = json::array();
    for (std::size_t i = first; i < last; ++i) arr.push_back(core::toJson(makeResult(i, o, now)));
    bodies.push_back(arr.dump());
    counts.push_back(last - first);
  }

  Shared sh(o, bodies, counts);
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (std::size_t c = 0; c < o.connections; ++c) threads.emplace_back([&sh] { worker(sh); });
  for (auto& t : threads) t.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const std::size_t accepted = sh.accepted.load();
  std::printf(
      "{\"sent\":%zu,\"accepted\":%zu,\"requests\":%zu,\"batch\":%zu,\"connections\":%zu,"
      "\"seconds\":%.6f,\"rate\":%.1f}\n",
      o.results, accepted, sh.requests.load(), o.batch, o.connections, seconds,
      seconds > 0 ? static_cast<double>(accepted) / seconds : 0.0);
  if (sh.error.failed()) {
    std::cerr << "p2pmon-http-loadgen: " << sh.error.first() << "\n";
    return 1;
  }
  return 0;
} catch (const std::exception& e) {
  std::cerr << "p2pmon-http-loadgen: " << e.what() << "\n";
  return 2;
}
