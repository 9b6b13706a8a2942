#include "overlay-agent/peer_swarm.hpp"

#include <stdexcept>

#include "core/log.hpp"

namespace p2pmon::overlay {

namespace {
// How often the joined count is looked at; cheap (a flag per engine).
constexpr std::chrono::milliseconds kHealthTick{1000};
}  // namespace

SwarmHealth healthOf(const std::vector<ChordPeer*>& peers) {
  SwarmHealth h;
  for (const ChordPeer* p : peers) {
    ++h.peers;
    if (p->joined()) ++h.joined;
    const PeerStats& s = p->stats();
    for (const auto& [why, n] : s.dropped) h.dropped[why] += n;
    for (auto n : s.sent) h.sent += n;
    for (auto n : s.received) h.received += n;
    h.timeouts += s.timeouts;
  }
  return h;
}

std::string formatDropped(const std::map<std::string, std::uint64_t>& dropped) {
  std::string out;
  for (const auto& [why, n] : dropped) {
    if (n == 0) continue;
    if (!out.empty()) out += ' ';
    out += why + "=" + std::to_string(n);
  }
  return out.empty() ? "none" : out;
}

PeerSwarm::PeerSwarm(boost::asio::io_context& io, UdpHost& host, SwarmPlan plan)
    : io_(io), host_(host), plan_(std::move(plan)), batchTimer_(io), healthTimer_(io) {
  if (plan_.configs.empty() || plan_.configs.size() != plan_.binds.size()) {
    throw std::invalid_argument("PeerSwarm: one bind address per peer config, at least one");
  }
  if (plan_.batchSize == 0) plan_.batchSize = 1;
}

void PeerSwarm::start(PeerStarted onPeer, std::function<void()> onReady, Failed onFailed) {
  onPeer_ = std::move(onPeer);
  onReady_ = std::move(onReady);
  onFailed_ = std::move(onFailed);
  started_ = std::chrono::steady_clock::now();
  lastDropLog_ = started_;
  ChordPeer& first = addPeer(0);
  next_ = 1;
  if (onPeer_) onPeer_(first);
  // The others learn the overlay through the first peer, which is already
  // bound: its socket queues their joins until the io_context runs.
  plan_.bootstrap = {first.config().endpoint};
  boost::asio::post(io_, [this] { startBatch(); });
  watchHealth();
}

ChordPeer& PeerSwarm::addPeer(std::size_t i) {
  const auto& bind = plan_.binds[i];
  try {
    return host_.add(plan_.configs[i], bind, plan_.bootstrap);
  } catch (const boost::system::system_error& e) {
    const std::string who = plan_.configs.size() > 1 ? "peer " + std::to_string(i) + ": " : "";
    throw std::runtime_error(who + "cannot bind UDP " + fromAsio(bind).str() + ": " +
                             e.code().message());
  }
}

void PeerSwarm::stop() {
  stopped_ = true;
  batchTimer_.cancel();
  healthTimer_.cancel();
}

void PeerSwarm::startBatch() {
  if (stopped_) return;
  for (std::size_t k = 0; k < plan_.batchSize && next_ < plan_.configs.size(); ++k, ++next_) {
    try {
      ChordPeer& p = addPeer(next_);
      if (onPeer_) onPeer_(p);
    } catch (const std::exception& e) {
      stopped_ = true;
      if (onFailed_) onFailed_(e.what());
      return;
    }
  }
  if (next_ < plan_.configs.size()) {
    batchTimer_.expires_after(plan_.batchInterval);
    batchTimer_.async_wait([this](boost::system::error_code ec) {
      if (!ec) startBatch();
    });
    return;
  }
  if (onReady_) onReady_();
}

void PeerSwarm::watchHealth() {
  healthTimer_.expires_after(kHealthTick);
  healthTimer_.async_wait([this](boost::system::error_code ec) {
    if (ec || stopped_) return;
    const auto now = std::chrono::steady_clock::now();
    const SwarmHealth h = healthOf(host_.peers());
    if (!allJoined_ && h.joined == plan_.configs.size()) {
      allJoined_ = true;
      const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now - started_);
      core::logInfo("all " + std::to_string(h.joined) + " peers joined the overlay within " +
                    std::to_string(ms.count()) + " ms of start");
    } else if (!allJoined_) {
      core::logDebug(std::to_string(h.joined) + " of " + std::to_string(plan_.configs.size()) +
                     " peers joined");
    }
    if (h.dropped != loggedDrops_ && now - lastDropLog_ >= plan_.healthInterval) {
      loggedDrops_ = h.dropped;
      lastDropLog_ = now;
      core::logInfo("dropped datagrams since start: " + formatDropped(h.dropped));
    }
    watchHealth();
  });
}

}  // namespace p2pmon::overlay
