// bench/overlay: a 1,000-peer swarm in one process on real loopback UDP
// sockets, and the simulated 10,000-peer ring. Prints figures (JSON lines
// and a table); asserts nothing.
//   time until the ring is consistent, resident memory, lookups per second
//   from one client with many in flight, mean and p99 hops, simulation time.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>
#include <random>
#include <thread>

#include <boost/program_options.hpp>

#include "overlay-agent/udp_host.hpp"
#include "tests/support/sim_network.hpp"

namespace asio = boost::asio;
namespace po = boost::program_options;
using namespace p2pmon;
using namespace p2pmon::overlay;
using Clock = std::chrono::steady_clock;

namespace {
double seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

long residentKb() {
  std::ifstream in("/proc/self/status");
  std::string key;
  while (in >> key) {
    if (key == "VmRSS:") {
      long kb = 0;
      in >> kb;
      return kb;
    }
    in.ignore(1 << 16, '\n');
  }
  return -1;
}

bool consistent(std::vector<ChordPeer*> peers) {
  auto ring = test::sortedRing(std::move(peers));
  return std::all_of(ring.begin(), ring.end(), [](ChordPeer* p) { return p->joined(); }) &&
         test::wrongPointers(ring) == 0;
}

struct SwarmFigures {
  double consistentSeconds = -1;
  long rssKb = 0;
  double lookupsPerSecond = 0;
  double meanHops = 0;
  int p99Hops = 0;
  std::size_t failed = 0;
  std::uint64_t retransmissions = 0;
};

SwarmFigures runSwarm(std::size_t peers, std::size_t lookups, std::size_t inFlight,
                      std::int64_t stabilizeMs) {
  SwarmFigures f;
  asio::io_context swarmIo;
  UdpHost swarm(swarmIo);
  std::mt19937_64 rng(1);
  auto config = [&] {
    PeerConfig c;
    c.overlay = "bench";
    c.id = core::NodeId{rng(), rng()};
    c.stabilizeMs = stabilizeMs;
    c.fixFingersMs = stabilizeMs / 2;
    c.checkPredecessorMs = stabilizeMs * 2;
    c.replicateMs = stabilizeMs * 5;
    return c;
  };
  const asio::ip::udp::endpoint any(asio::ip::make_address("127.0.0.1"), 0);
  const auto t0 = Clock::now();
  auto& first = swarm.add(config(), any, {});
  const Endpoint boot = first.config().endpoint;
  // Joins in batches of 20 every 50 ms, as p2pmon-peer --swarm does.
  std::size_t added = 1;
  asio::steady_timer batch(swarmIo);
  std::function<void()> addBatch = [&] {
    for (int k = 0; k < 20 && added < peers; ++k, ++added) swarm.add(config(), any, {boot});
    if (added < peers) {
      batch.expires_after(std::chrono::milliseconds(50));
      batch.async_wait([&](boost::system::error_code) { addBatch(); });
    }
  };
  addBatch();
  asio::steady_timer poll(swarmIo);
  std::function<void()> check = [&] {
    if (added == peers && consistent(swarm.peers())) {
      f.consistentSeconds = seconds(t0, Clock::now());
      return swarmIo.stop();
    }
    if (seconds(t0, Clock::now()) > 120) return swarmIo.stop();
    poll.expires_after(std::chrono::milliseconds(100));
    poll.async_wait([&](boost::system::error_code) { check(); });
  };
  check();
  swarmIo.run();
  swarmIo.restart();
  f.rssKb = residentKb();
  if (f.consistentSeconds < 0) return f;

  // Let the fingers fill, then one client with many lookups in flight.
  auto settle = Clock::now() + std::chrono::milliseconds(stabilizeMs * 20);
  std::thread swarmThread([&] {
    auto guard = asio::make_work_guard(swarmIo);
    swarmIo.run();
  });
  std::this_thread::sleep_until(settle);

  asio::io_context clientIo;
  UdpHost clientHost(clientIo);
  PeerConfig cc;
  cc.overlay = "bench";
  cc.client = true;
  cc.id = core::NodeId{rng(), rng()};
  cc.requestTimeoutMs = 1000;
  std::vector<Endpoint> entry;
  for (auto* p : swarm.peers()) entry.push_back(p->config().endpoint);
  auto& client = clientHost.add(cc, any, entry);
  std::vector<int> hops;
  hops.reserve(lookups);
  std::size_t issued = 0, finished = 0;
  std::function<void()> issue;
  auto start = Clock::now();
  // Refills the free slots in one call, so their requests leave together.
  issue = [&] {
    clientHost.call(client, [&](ChordPeer& c, std::int64_t now) {
      while (issued < lookups && issued - finished < inFlight) {
        ++issued;
        c.lookup(core::NodeId{rng(), rng()},
                 [&](const LookupResult& r) {
                   ++finished;
                   if (r.ok) {
                     hops.push_back(r.hops);
                   } else {
                     ++f.failed;
                   }
                   if (finished == lookups) clientIo.stop();
                   asio::post(clientIo, [&] { issue(); });
                 },
                 now);
      }
    });
  };
  asio::post(clientIo, [&] { issue(); });
  clientIo.run();
  f.lookupsPerSecond = static_cast<double>(finished) / seconds(start, Clock::now());
  f.retransmissions = client.stats().retransmissions;
  swarmIo.stop();
  swarmThread.join();
  std::sort(hops.begin(), hops.end());
  if (!hops.empty()) {
    double sum = 0;
    for (int h : hops) sum += h;
    f.meanHops = sum / static_cast<double>(hops.size());
    f.p99Hops = hops[hops.size() * 99 / 100];
  }
  return f;
}

double runSimulation(std::size_t peers, double& simSeconds) {
  const auto t0 = Clock::now();
  test::SimNetwork net(123);
  auto& first = net.add(net.config("bench"), {});
  for (std::size_t i = 1; i < peers; ++i) {
    net.add(net.config("bench"), {first.config().endpoint});
    if (i % 20 == 0) net.runFor(100);
  }
  simSeconds = -1;
  for (int s = 1; s <= 300; ++s) {
    net.runFor(1000);
    if (consistent(net.alive())) {
      simSeconds = static_cast<double>(net.now() - 1'700'000'000'000) / 1000.0;
      break;
    }
  }
  return seconds(t0, Clock::now());
}
}  // namespace

int main(int argc, char** argv) {
  std::size_t peers = 1000, lookups = 100'000, inFlight = 256, simPeers = 10'000;
  std::int64_t stabilizeMs = 1000;
  po::options_description opts("bench/overlay options");
  opts.add_options()("help,h", "show this help")
      ("peers", po::value(&peers)->default_value(1000), "swarm size")
      ("lookups", po::value(&lookups)->default_value(100'000), "lookups from the client")
      ("in-flight", po::value(&inFlight)->default_value(256), "lookups in flight")
      ("stabilize-ms", po::value(&stabilizeMs)->default_value(1000), "stabilisation interval")
      ("sim-peers", po::value(&simPeers)->default_value(10'000), "simulated ring size (0: skip)");
  po::variables_map vm;
  po::store(po::parse_command_line(argc, argv, opts), vm);
  po::notify(vm);
  if (vm.count("help") != 0U) {
    std::cout << opts << "\n";
    return 0;
  }
  auto f = runSwarm(peers, lookups, inFlight, stabilizeMs);
  std::cout << "{\"bench\":\"overlay_swarm\",\"peers\":" << peers
            << ",\"consistent_s\":" << f.consistentSeconds << ",\"rss_mb\":" << static_cast<double>(f.rssKb) / 1024.0
            << ",\"lookups_per_s\":" << f.lookupsPerSecond << ",\"mean_hops\":" << f.meanHops
            << ",\"p99_hops\":" << f.p99Hops << ",\"failed_lookups\":" << f.failed << ",\"client_retransmissions\":" << f.retransmissions
            << ",\"half_log2_n\":" << 0.5 * std::log2(static_cast<double>(peers)) << "}\n";
  if (simPeers > 0) {
    double simSeconds = 0;
    double wall = runSimulation(simPeers, simSeconds);
    std::cout << "{\"bench\":\"overlay_simulation\",\"peers\":" << simPeers
              << ",\"wall_s\":" << wall << ",\"simulated_s_to_consistent\":" << simSeconds
              << "}\n";
  }
  return 0;
}
