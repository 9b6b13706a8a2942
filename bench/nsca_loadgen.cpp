// p2pmon-nsca-loadgen: NSCA load generator for bench/ingest.sh. Sends N
// check results over C parallel connections (one thread each), K packets per
// connection before it reconnects, exactly as send_nsca frames them: read the
// 132-byte init packet, write 4304-byte v3 data packets back to back, close.
//
// NSCA has no acknowledgement, so this only measures how fast the packets
// were handed to the kernel; bench/ingest.sh measures end to end on the
// server side (lines in nsca's command file, commits in the collector).
//
// To keep the generator's own CPU out of the measurement on small machines,
// the packets are encoded (CRC-32 included) before the clock starts, one per
// distinct (host, service) pair; per connection only the XOR with that
// connection's IV and password is left to do. The packet timestamp is
// therefore the start time rather than the init packet's echo, which neither
// nsca 2.10 (its age check is dead code) nor the collector looks at.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/program_options.hpp>

#include "bench/load_common.hpp"
#include "core/address.hpp"
#include "core/clock.hpp"
#include "core/nsca_codec.hpp"
#include "core/tcp_client.hpp"

namespace po = boost::program_options;
using namespace p2pmon;
namespace nsca = core::nsca;

namespace {

struct Options {
  core::HostPort target;
  std::size_t results = 100'000;
  std::size_t connections = 4;
  std::size_t perConnection = 1000;
  std::string password;
  int encryption = 1;
  std::size_t hosts = 1000;
  std::size_t services = 5;
  bool perfdata = true;
  std::chrono::milliseconds timeout{10'000};
};

// Result i is service (i % services) of host ((i / services) % hosts): each
// host's results come together, as a node's agent sends them, and the hosts
// take turns, so every (host, service) pair gets the same share. The packet
// for a pair is always the same; its index is host * services + service.
std::size_t templateIndex(std::size_t i, const Options& o) {
  return ((i / o.services) % o.hosts) * o.services + i % o.services;
}

std::vector<std::vector<std::uint8_t>> buildTemplates(const Options& o) {
  const nsca::Cipher plain(nsca::Encryption::None, {}, "");
  const auto now = static_cast<std::uint32_t>(core::nowSeconds());
  std::vector<std::vector<std::uint8_t>> out;
  out.reserve(o.hosts * o.services);
  for (std::size_t h = 0; h < o.hosts; ++h) {
    for (std::size_t s = 0; s < o.services; ++s) {
      nsca::DataPacket p;
      p.timestamp = now;
      const std::size_t k = h * o.services + s;
      // Mostly OK, some WARNING and CRITICAL, as a real overlay would report.
      p.returnCode = static_cast<std::int16_t>(bench::sampleState(k));
      p.host = "bench-node-" + std::to_string(h);
      p.service = "p2p-check-" + std::to_string(s);
      p.output = bench::sampleOutput(k, p.host);
      if (o.perfdata) p.output += " | " + bench::samplePerfdata(k);
      auto bytes = nsca::encodeData(p, nsca::kPacketSize, plain);
      if (!bytes) throw std::runtime_error("encode: " + bytes.error().message);
      out.push_back(std::move(bytes).value());
    }
  }
  return out;
}

struct Shared {
  Shared(const Options& options, const std::vector<std::vector<std::uint8_t>>& packets)
      : o(options), templates(packets) {}
  const Options& o;
  const std::vector<std::vector<std::uint8_t>>& templates;
  std::atomic<std::size_t> next{0};
  std::atomic<std::size_t> sent{0};
  std::atomic<std::size_t> connects{0};
  bench::FirstError error;
  void fail(const std::string& what) { error.fail(what); }
};

// Sends results [first, last) on one fresh connection.
bool sendChunk(Shared& sh, std::size_t first, std::size_t last) {
  const Options& o = sh.o;
  auto deadline = std::chrono::steady_clock::now() + o.timeout;
  auto conn = core::TcpConnection::connect(o.target.host, o.target.port, deadline);
  if (!conn) {
    sh.fail("connect: " + conn.error().message);
    return false;
  }
  ++sh.connects;
  std::array<std::uint8_t, nsca::kInitPacketSize> initBytes{};
  if (auto err = conn->readExact(initBytes, deadline)) {
    sh.fail("init packet: " + err->message);
    return false;
  }
  auto init = nsca::decodeInit(initBytes);
  if (!init) {
    sh.fail("init packet: " + init.error().message);
    return false;
  }
  const nsca::Cipher cipher(static_cast<nsca::Encryption>(o.encryption), init->iv, o.password);
  // Several packets per write keep the syscall count down without holding
  // a whole connection's worth in memory.
  constexpr std::size_t kPacketsPerWrite = 16;
  std::vector<std::uint8_t> buf;
  buf.reserve(kPacketsPerWrite * nsca::kPacketSize);
  for (std::size_t i = first; i < last; ++i) {
    const auto& t = sh.templates[templateIndex(i, o)];
    const std::size_t off = buf.size();
    buf.insert(buf.end(), t.begin(), t.end());
    cipher.apply(std::span(buf.data() + off, nsca::kPacketSize));
    if (buf.size() >= kPacketsPerWrite * nsca::kPacketSize || i + 1 == last) {
      deadline = std::chrono::steady_clock::now() + o.timeout;
      if (auto err = conn->writeAll(buf, deadline)) {
        sh.fail("write: " + err->message);
        return false;
      }
      sh.sent += buf.size() / nsca::kPacketSize;
      buf.clear();
    }
  }
  return true;  // the connection closes here, as send_nsca's does
}

void worker(Shared& sh) {
  while (!sh.error.failed()) {
    const std::size_t first = sh.next.fetch_add(sh.o.perConnection);
    if (first >= sh.o.results) return;
    const std::size_t last = std::min(first + sh.o.perConnection, sh.o.results);
    if (!sendChunk(sh, first, last)) return;
  }
}

}  // namespace

int main(int argc, char** argv) try {
  Options o;
  std::string target;
  long timeoutMs = 10'000;
  po::options_description opts("p2pmon-nsca-loadgen options");
  opts.add_options()
      ("help,h", "show this help and exit")
      ("target", po::value(&target)->required(), "NSCA server HOST:PORT")
      ("results", po::value(&o.results)->default_value(o.results), "results to send in total")
      ("connections", po::value(&o.connections)->default_value(o.connections),
       "parallel connections (one thread each)")
      ("per-connection", po::value(&o.perConnection)->default_value(o.perConnection),
       "packets per connection before reconnecting")
      ("password", po::value(&o.password)->default_value(""), "NSCA password")
      ("encryption", po::value(&o.encryption)->default_value(o.encryption),
       "encryption method: 0 none, 1 XOR")
      ("hosts", po::value(&o.hosts)->default_value(o.hosts), "distinct host names")
      ("services", po::value(&o.services)->default_value(o.services), "services per host")
      ("no-perfdata", "send plugin output without perfdata")
      ("timeout-ms", po::value(&timeoutMs)->default_value(timeoutMs),
       "connect, init and per-write timeout");
  po::variables_map vm;
  po::store(po::parse_command_line(argc, argv, opts), vm);
  if (vm.count("help") != 0U) {
    std::cout << "Usage: p2pmon-nsca-loadgen --target HOST:PORT [options]\n"
                 "Prints {\"sent\":N,\"seconds\":S,\"rate\":R,...} on stdout.\n\n"
              << opts << "\n";
    return 0;
  }
  po::notify(vm);
  auto hp = core::parseHostPort(target);
  if (!hp || hp->port == 0) throw std::runtime_error("--target must be HOST:PORT");
  o.target = *hp;
  if (o.encryption != 0 && o.encryption != 1) throw std::runtime_error("--encryption must be 0 or 1");
  if (o.connections == 0 || o.perConnection == 0 || o.hosts == 0 || o.services == 0) {
    throw std::runtime_error("--connections, --per-connection, --hosts, --services must be > 0");
  }
  if (o.hosts * o.services > 200'000) {
    throw std::runtime_error("--hosts x --services must be at most 200000 (pre-encoded packets)");
  }
  o.perfdata = vm.count("no-perfdata") == 0U;
  o.timeout = std::chrono::milliseconds(timeoutMs);

  const auto templates = buildTemplates(o);
  Shared sh(o, templates);
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (std::size_t c = 0; c < o.connections; ++c) threads.emplace_back([&sh] { worker(sh); });
  for (auto& t : threads) t.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const std::size_t sent = sh.sent.load();
  std::printf(
      "{\"sent\":%zu,\"seconds\":%.6f,\"rate\":%.1f,\"connections\":%zu,\"per_connection\":%zu,"
      "\"connects\":%zu,\"hosts\":%zu,\"services\":%zu,\"encryption\":%d}\n",
      sent, seconds, seconds > 0 ? static_cast<double>(sent) / seconds : 0.0, o.connections,
      o.perConnection, sh.connects.load(), o.hosts, o.services, o.encryption);
  if (sh.error.failed()) {
    std::cerr << "p2pmon-nsca-loadgen: " << sh.error.first() << "\n";
    return 1;
  }
  return 0;
} catch (const std::exception& e) {
  std::cerr << "p2pmon-nsca-loadgen: " << e.what() << "\n";
  return 2;
}
