// bench/overlay: a 1,000-peer swarm in one process on real loopback UDP
// sockets, and the simulated 10,000-peer ring. Prints figures (JSON lines
// and a table); asserts nothing.
//   time until the ring is consistent, resident memory, lookups per second
//   from one client with many in flight, mean and p99 hops, simulation time.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <fstream>
#include <iostream>
#include <mutex>
#include <random>
#include <thread>

#include <pthread.h>
#include <time.h>

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

// CPU time of one thread: on a machine shared with other builds the
// lookups per second follow the scheduler, the CPU spent per lookup does not.
double cpuSeconds(pthread_t thread) {
  clockid_t id{};
  timespec ts{};
  if (pthread_getcpuclockid(thread, &id) != 0 || clock_gettime(id, &ts) != 0) return 0;
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
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
  double clientCpuUs = 0;  // per lookup, the client's thread
  double swarmCpuUs = 0;   // per lookup, the swarm's threads together
};

// The swarm's peers spread over `n` UdpHosts, each on its own io_context and
// thread; a peer stays on its host's thread for life, so each engine is
// still driven by one thread. The bench thread reaches the engines only
// through inspect(), which parks every shard thread first.
class SwarmShards {
 public:
  explicit SwarmShards(std::size_t n) {
    for (std::size_t i = 0; i < std::max<std::size_t>(n, 1); ++i) {
      shards_.push_back(std::make_unique<Shard>());
    }
  }
  ~SwarmShards() { stop(); }
  std::size_t size() const { return shards_.size(); }
  // Before start(): on the caller's thread.
  ChordPeer& addNow(std::size_t shard, PeerConfig c, const asio::ip::udp::endpoint& bind) {
    return shards_[shard]->host.add(std::move(c), bind, {});
  }
  void add(std::size_t shard, PeerConfig c, const asio::ip::udp::endpoint& bind,
           Endpoint boot) {
    Shard& s = *shards_[shard];
    asio::post(s.io, [&s, c = std::move(c), bind, boot] { s.host.add(c, bind, {boot}); });
  }
  void start() {
    for (auto& s : shards_) {
      s->thread = std::thread([&io = s->io] {
        auto guard = asio::make_work_guard(io);
        io.run();
      });
    }
  }
  void stop() {
    for (auto& s : shards_) s->io.stop();
    for (auto& s : shards_) {
      if (s->thread.joinable()) s->thread.join();
    }
  }
  // Runs fn while every shard thread waits, after what was posted before.
  void inspect(const std::function<void(const std::vector<ChordPeer*>&)>& fn) {
    std::mutex m;
    std::condition_variable cv;
    std::size_t parked = 0, left = 0;
    bool release = false;
    for (auto& s : shards_) {
      asio::post(s->io, [&] {
        std::unique_lock lock(m);
        ++parked;
        cv.notify_all();
        cv.wait(lock, [&] { return release; });
        ++left;
        cv.notify_all();
      });
    }
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return parked == shards_.size(); });
    std::vector<ChordPeer*> all;
    for (auto& s : shards_) {
      auto p = s->host.peers();
      all.insert(all.end(), p.begin(), p.end());
    }
    fn(all);
    release = true;
    cv.notify_all();
    cv.wait(lock, [&] { return left == shards_.size(); });
  }
  double cpuSecondsTotal() {
    double sum = 0;
    for (auto& s : shards_) sum += s->thread.joinable() ? cpuSeconds(s->thread.native_handle()) : 0;
    return sum;
  }

 private:
  struct Shard {
    asio::io_context io;
    UdpHost host{io};
    std::thread thread;
  };
  std::vector<std::unique_ptr<Shard>> shards_;
};

SwarmFigures runSwarm(std::size_t peers, std::size_t lookups, std::size_t inFlight,
                      std::int64_t stabilizeMs, std::size_t threads) {
  SwarmFigures f;
  SwarmShards swarm(threads);
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
  const Endpoint boot = swarm.addNow(0, config(), any).config().endpoint;
  swarm.start();
  // Joins in batches of 20 every 50 ms, as p2pmon-peer --swarm does; the
  // ring is checked every 100 ms.
  std::size_t added = 1;
  auto nextBatch = t0, nextCheck = t0;
  while (seconds(t0, Clock::now()) <= 120) {
    const auto now = Clock::now();
    if (added < peers && now >= nextBatch) {
      for (int k = 0; k < 20 && added < peers; ++k, ++added) {
        swarm.add(added % swarm.size(), config(), any, boot);
      }
      nextBatch += std::chrono::milliseconds(50);
    }
    if (now >= nextCheck) {
      bool done = false;
      if (added == peers) swarm.inspect([&](const auto& all) { done = consistent(all); });
      if (done) {
        f.consistentSeconds = seconds(t0, Clock::now());
        break;
      }
      nextCheck += std::chrono::milliseconds(100);
    }
    std::this_thread::sleep_until(added < peers ? std::min(nextBatch, nextCheck) : nextCheck);
  }
  f.rssKb = residentKb();
  if (f.consistentSeconds < 0) return f;

  // Let the fingers fill, then one client with many lookups in flight.
  std::this_thread::sleep_for(std::chrono::milliseconds(stabilizeMs * 20));

  asio::io_context clientIo;
  UdpHost clientHost(clientIo);
  PeerConfig cc;
  cc.overlay = "bench";
  cc.client = true;
  cc.id = core::NodeId{rng(), rng()};
  cc.requestTimeoutMs = 1000;
  std::vector<Endpoint> entry;
  swarm.inspect([&](const auto& all) {
    for (auto* p : all) entry.push_back(p->config().endpoint);
  });
  auto& client = clientHost.add(cc, any, entry);
  std::vector<int> hops;
  hops.reserve(lookups);
  std::size_t issued = 0, finished = 0;
  std::function<void()> issue;
  auto start = Clock::now();
  const double clientCpu0 = cpuSeconds(pthread_self());
  const double swarmCpu0 = swarm.cpuSecondsTotal();
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
  const double perLookupUs = 1e6 / static_cast<double>(std::max<std::size_t>(finished, 1));
  f.clientCpuUs = (cpuSeconds(pthread_self()) - clientCpu0) * perLookupUs;
  f.swarmCpuUs = (swarm.cpuSecondsTotal() - swarmCpu0) * perLookupUs;
  f.retransmissions = client.stats().retransmissions;
  swarm.stop();
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
  std::size_t swarmThreads = 2;
  po::options_description opts("bench/overlay options");
  opts.add_options()("help,h", "show this help")
      ("peers", po::value(&peers)->default_value(1000), "swarm size")
      ("lookups", po::value(&lookups)->default_value(100'000), "lookups from the client")
      ("in-flight", po::value(&inFlight)->default_value(256), "lookups in flight")
      ("stabilize-ms", po::value(&stabilizeMs)->default_value(1000), "stabilisation interval")
      ("swarm-threads", po::value(&swarmThreads)->default_value(2), "I/O threads the swarm's peers are spread over")
      ("sim-peers", po::value(&simPeers)->default_value(10'000), "simulated ring size (0: skip)");
  po::variables_map vm;
  po::store(po::parse_command_line(argc, argv, opts), vm);
  po::notify(vm);
  if (vm.count("help") != 0U) {
    std::cout << opts << "\n";
    return 0;
  }
  auto f = runSwarm(peers, lookups, inFlight, stabilizeMs, swarmThreads);
  std::cout << "{\"bench\":\"overlay_swarm\",\"peers\":" << peers << ",\"swarm_threads\":" << swarmThreads
            << ",\"consistent_s\":" << f.consistentSeconds << ",\"rss_mb\":" << static_cast<double>(f.rssKb) / 1024.0
            << ",\"lookups_per_s\":" << f.lookupsPerSecond << ",\"mean_hops\":" << f.meanHops
            << ",\"p99_hops\":" << f.p99Hops << ",\"failed_lookups\":" << f.failed << ",\"client_retransmissions\":" << f.retransmissions
            << ",\"client_cpu_us\":" << f.clientCpuUs << ",\"swarm_cpu_us\":" << f.swarmCpuUs
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
