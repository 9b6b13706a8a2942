// PeerAgent on a small real overlay: UdpHost engines on 127.0.0.1 (port 0),
// peer_health and dht_lookup every second, results into a recording
// ResultOutbox. Its own binary: it opens sockets and runs threads.
#include <doctest/doctest.h>

#include <chrono>
#include <map>
#include <mutex>
#include <thread>

#include "core/perfdata.hpp"
#include "overlay-agent/peer_agent.hpp"
#include "overlay-agent/peer_options.hpp"

using namespace p2pmon;
using namespace p2pmon::overlay;
namespace asio = boost::asio;

namespace {
class RecordingOutbox final : public agent::ResultOutbox {
 public:
  void submit(std::vector<core::CheckResult> results) override {
    std::lock_guard lock(mu_);
    ++batches_;
    for (auto& r : results) results_.push_back(std::move(r));
  }
  agent::OutboxStats stats() const override { return {}; }
  void stop(std::chrono::milliseconds) override {}

  std::vector<core::CheckResult> results() const {
    std::lock_guard lock(mu_);
    return results_;
  }
  std::size_t batches() const {
    std::lock_guard lock(mu_);
    return batches_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<core::CheckResult> results_;
  std::size_t batches_ = 0;
};

PeerConfig fastPeer() {
  PeerConfig c;
  c.id = randomNodeId();
  c.stabilizeMs = 100;
  c.fixFingersMs = 50;
  c.checkPredecessorMs = 200;
  c.replicateMs = 500;
  return c;
}
}  // namespace

TEST_CASE("peer agent: every peer of a small overlay reports peer_health and dht_lookup") {
  constexpr std::size_t kPeers = 6;
  asio::io_context io;
  UdpHost host(io);
  const asio::ip::udp::endpoint any(asio::ip::make_address("127.0.0.1"), 0);

  AgentConfig config = defaultAgentConfig();
  config.enabled = true;
  config.check(AgentCheck::PeerHealth).enabled = true;
  config.check(AgentCheck::PeerHealth).intervalMs = 1000;
  config.check(AgentCheck::DhtLookup).enabled = true;
  config.check(AgentCheck::DhtLookup).intervalMs = 1000;
  config.hostName = "lab-{index}";
  config.push.batchSize = 4;
  RecordingOutbox outbox;
  PeerAgent agent(io, host, config, outbox);
  agent.start();

  std::vector<ChordPeer*> peers;
  peers.push_back(&host.add(fastPeer(), any, {}));
  agent.addPeer(*peers.back(), 0);
  for (std::size_t i = 1; i < kPeers; ++i) {
    peers.push_back(&host.add(fastPeer(), any, {peers.front()->config().endpoint}));
    agent.addPeer(*peers.back(), i);
  }
  auto work = asio::make_work_guard(io);
  std::thread ioThread([&io] { io.run(); });

  // Each peer's second round of both checks: the first may come before the
  // ring has settled. Bounded: 15 s.
  auto okFor = [&](const std::string& hostName, const std::string& service) {
    for (const auto& r : outbox.results()) {
      if (r.host == hostName && r.service == service && r.state == core::State::Ok) return true;
    }
    return false;
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  bool all = false;
  while (!all && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    all = true;
    for (std::size_t i = 0; i < kPeers && all; ++i) {
      const std::string h = "lab-" + std::to_string(i);
      all = okFor(h, "peer_health") && okFor(h, "dht_lookup");
    }
  }
  agent.stop();
  io.stop();
  ioThread.join();

  const auto results = outbox.results();
  CHECK(all);
  CHECK(outbox.batches() < results.size());  // batched, not one submit per result
  for (const auto& r : results) {
    CAPTURE(r.output);
    CHECK_FALSE(core::validate(r, r.time).has_value());
    CHECK(core::parsePerfdata(r.perfdata).ok());
    CHECK(r.source.rfind("agent:", 0) == 0);
    CHECK(r.source.size() == 6 + 32);
    if (r.service == "peer_health") CHECK(r.output.rfind("PEER ", 0) == 0);
    if (r.service == "dht_lookup") CHECK(r.output.rfind("DHT ", 0) == 0);
    if (r.state == core::State::Ok && r.service == "dht_lookup") {
      CHECK(r.output.find(" found at ") != std::string::npos);
    }
  }
  const auto summary = agent.summary();
  CHECK(summary.rfind("agent: 6 peer(s); results peer_health=", 0) == 0);
}
