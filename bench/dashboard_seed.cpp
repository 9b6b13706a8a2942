// bench/dashboard: fills a collector database with a week of an overlay's
// results through the collector's own writers (StoreWriter, CrawlStore), so
// the dashboard's API calls are measured on the data they would meet: every
// host of a real crawl document, six services each (the agent's five and the
// crawl's overlay_neighbours, with the perfdata they really carry), one result
// per service every --interval seconds over --days, and the crawl stored
// every --crawl-every seconds. Values are drawn from a fixed seed, so two
// runs give the same database. Prints what it wrote and how long it took.
#include <boost/program_options.hpp>

#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "collector/crawl_document.hpp"
#include "collector/crawl_results.hpp"
#include "collector/crawl_store.hpp"
#include "collector/store_writer.hpp"
#include "core/check_result.hpp"
#include "core/clock.hpp"

namespace po = boost::program_options;
using namespace p2pmon;

namespace {

std::string fixed(double v, int digits) {
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(digits);
  s << v;
  return s.str();
}

// One host's results at one tick. A few hosts are unwell, so that the
// overview has problems to list and the charts have something to show.
class ResultMaker {
 public:
  explicit ResultMaker(unsigned seed) : rng_(seed) {}

  void make(const std::string& host, const std::string& nodeId, double t, bool unwell,
            std::vector<core::CheckResult>& out) {
    const std::string source = "agent:" + nodeId;
    const double rtt = 0.4 + exp_(rng_) * (unwell ? 80.0 : 0.6);
    const double rttMax = rtt * (1.5 + uni_(rng_));
    const core::State sipState = rttMax > 200 ? core::State::Warning : core::State::Ok;
    out.push_back({host, "sip_options", sipState,
                   std::string("SIP ") + (sipState == core::State::Ok ? "OK" : "WARNING") +
                       " - 3 of 3 neighbours answered OPTIONS, RTT median " + fixed(rtt, 3) +
                       " ms, max " + fixed(rttMax, 3) + " ms",
                   "answered=3;;;0;3 failed=0;0;;0;3 rtt_median=" + fixed(rtt, 3) +
                       "ms;;;0 rtt_max=" + fixed(rttMax, 3) + "ms;200;1000;0;2000",
                   t, source});
    const double loss = unwell ? uni_(rng_) * 8.0 : (uni_(rng_) < 0.05 ? uni_(rng_) : 0.0);
    const double jitter = 0.005 + exp_(rng_) * (unwell ? 20.0 : 0.5);
    const double r = std::max(0.0, 93.2 - 2.5 * loss - jitter * 0.2);
    const double mos =
        std::clamp(1 + 0.035 * r + r * (r - 60) * (100 - r) * 7e-6, 1.0, 4.5);
    const core::State rtpState = mos < 3.1 || loss >= 5   ? core::State::Critical
                                 : mos < 3.6 || loss >= 1 ? core::State::Warning
                                                          : core::State::Ok;
    out.push_back({host, "rtp_quality", rtpState,
                   std::string("RTP ") + std::string(core::stateName(rtpState)) + " - MOS " +
                       fixed(mos, 2) + " (R " + fixed(r, 1) + "), loss " + fixed(loss, 1) +
                       "% forward / 0% return, jitter " + fixed(jitter, 3) + " ms",
                   "mos=" + fixed(mos, 2) + ";3.6:;3.1:;1;4.5 r_factor=" + fixed(r, 1) +
                       ";;;0;100 loss=" + fixed(loss, 1) + "%;1;5;0;100 jitter=" +
                       fixed(jitter, 3) + "ms;30;60;0 rtt=" + fixed(rtt / 10, 3) + "ms;;;0",
                   t, source});
    const double latency = 0.1 + exp_(rng_) * (unwell ? 400.0 : 0.3);
    const int hops = 1 + static_cast<int>(uni_(rng_) * 4);
    const core::State lookupState = latency > 1000 ? core::State::Warning : core::State::Ok;
    out.push_back({host, "dht_lookup", lookupState,
                   std::string("DHT ") + std::string(core::stateName(lookupState)) +
                       " - canary." + nodeId + "@p2pmon found in " + std::to_string(hops) +
                       " hops, " + fixed(latency, 3) + " ms",
                   "latency=" + fixed(latency, 3) + "ms;1000;3000;0;10000 hops=" +
                       std::to_string(hops) + ";;;0",
                   t, source});
    const int successors = unwell && uni_(rng_) < 0.3 ? 2 : 4;
    const core::State healthState = successors < 3 ? core::State::Warning : core::State::Ok;
    out.push_back({host, "peer_health", healthState,
                   std::string("PEER ") + std::string(core::stateName(healthState)) +
                       " - joined; " + std::to_string(successors) +
                       "/4 successors, 3/3 predecessors, 5 fingers",
                   "successors=" + std::to_string(successors) +
                       ";3:;2:;0;4 predecessors=3;1:;;0;3 fingers=5;;;0;16 records=2;;;0 "
                       "timeouts=0;;;0 drops=0;;;0 rss=26.9MB;;;0",
                   t, source});
    // Which NAT a peer is behind does not change with time.
    static const char* kNat[] = {"open", "full cone", "restricted cone", "port restricted cone",
                                 "symmetric"};
    const std::size_t nat = std::hash<std::string>{}(nodeId) % 5;
    out.push_back({host, "nat_behaviour", nat == 4 ? core::State::Warning : core::State::Ok,
                   std::string("NAT ") + (nat == 4 ? "WARNING" : "OK") + " - " + kNat[nat],
                   "time=" + fixed(0.3 + uni_(rng_), 1) + "ms;;;0", t, source});
    out.push_back({host, "overlay_neighbours", core::State::Ok,
                   "NEIGHBOURS OK - answered in 0.1 ms, successor and predecessor agree with "
                   "the ring",
                   "rtt=0.1ms;;;0 successors=4;;;0 predecessors=3;;;0 fingers=6;;;0 "
                   "dangling=0;;;0",
                   t, "crawl:seed"});
  }

 private:
  std::mt19937_64 rng_;
  std::uniform_real_distribution<double> uni_{0.0, 1.0};
  std::exponential_distribution<double> exp_{1.0};
};

}  // namespace

int main(int argc, char** argv) try {
  std::string db, crawlPath;
  double days = 7, interval = 300, crawlEvery = 3600, unwellShare = 0.02;
  std::size_t batch = 20'000;
  po::options_description opts("p2pmon-dashboard-seed options");
  opts.add_options()("help,h", "show this help")(
      "db", po::value(&db)->required(), "database to fill (created; must not hold results)")(
      "crawl", po::value(&crawlPath)->required(),
      "a p2pmon-crawl --json document: its peers are the hosts")(
      "days", po::value(&days)->default_value(7), "days of history, ending now")(
      "interval", po::value(&interval)->default_value(300), "seconds between a service's results")(
      "crawl-every", po::value(&crawlEvery)->default_value(3600), "seconds between stored crawls")(
      "unwell", po::value(&unwellShare)->default_value(0.02), "share of hosts with problems")(
      "batch", po::value(&batch)->default_value(20'000), "results per transaction");
  po::variables_map vm;
  po::store(po::parse_command_line(argc, argv, opts), vm);
  if (vm.count("help") != 0U) {
    std::cout << opts << "\n";
    return 0;
  }
  po::notify(vm);

  std::ifstream in(crawlPath);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) throw std::runtime_error("cannot read " + crawlPath);
  auto doc = nlohmann::ordered_json::parse(text.str());

  const double now = core::nowSeconds();
  const double start = now - days * 86400;
  collector::StoreWriter writer(db);
  collector::CrawlStore crawls(db, {.keepPeers = 100, .days = 0});

  struct Host {
    std::string name, nodeId;
    bool unwell;
  };
  std::vector<Host> hosts;
  std::mt19937 pick(7);
  for (const auto& p : doc["peers"]) {
    if (!p["node_id"].is_string()) continue;
    const std::string id = p["node_id"];
    hosts.push_back({collector::peerHostName(id), id,
                     std::uniform_real_distribution<double>(0, 1)(pick) < unwellShare});
  }

  ResultMaker maker(42);
  std::vector<core::CheckResult> pending;
  pending.reserve(batch + 6 * hosts.size());
  std::size_t written = 0, crawlsStored = 0;
  const auto began = std::chrono::steady_clock::now();
  double nextCrawl = start;
  for (double t = start; t <= now; t += interval) {
    for (std::size_t i = 0; i < hosts.size(); ++i) {
      // Spread a tick's results over the interval, as agents' phases are.
      const double at = t + interval * static_cast<double>(i) / static_cast<double>(hosts.size());
      if (at > now) break;
      maker.make(hosts[i].name, hosts[i].nodeId, at, hosts[i].unwell, pending);
    }
    if (pending.size() >= batch) {
      writer.append(pending, t);
      written += pending.size();
      pending.clear();
    }
    if (t >= nextCrawl) {
      doc["started_at"] = t;
      auto parsed = collector::parseCrawlDocument(doc.dump(), now);
      if (!parsed) throw std::runtime_error("crawl document: " + parsed.error().message);
      crawls.insert(*parsed, collector::judgePeers(*parsed, "crawl:seed"), t);
      ++crawlsStored;
      nextCrawl += crawlEvery;
    }
  }
  if (!pending.empty()) {
    writer.append(pending, now);
    written += pending.size();
  }
  // The hourly roll-ups, as the collector's writer keeps them.
  auto& rollups = writer.rollups();
  while (rollups.read(20'000) > 0) {
    if (rollups.pending() >= 200'000) rollups.flush();
  }
  rollups.flush();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  std::cout << "{\"hosts\": " << hosts.size() << ", \"results\": " << written
            << ", \"crawls\": " << crawlsStored << ", \"seconds\": " << fixed(seconds, 1)
            << ", \"results_per_s\": " << fixed(static_cast<double>(written) / seconds, 0) << "}" << std::endl;
  return 0;
} catch (const std::exception& e) {
  std::cerr << "p2pmon-dashboard-seed: " << e.what() << "\n";
  return 1;
}
