// The peers of one p2pmon-peer process on a UdpHost: the first starts at
// once, the others follow in small batches so that a swarm's join burst
// stays gentle, and the engines' health (joined peers, dropped datagrams)
// is summed for the log, because a dropped datagram never reaches DiagAns.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "overlay-agent/udp_host.hpp"

namespace p2pmon::overlay {

struct SwarmPlan {
  std::vector<PeerConfig> configs;                    // one per peer
  std::vector<boost::asio::ip::udp::endpoint> binds;  // same order
  std::vector<Endpoint> bootstrap;                    // the first peer's; the rest join through it
  std::size_t batchSize = 10;                         // peers started together
  std::chrono::milliseconds batchInterval{100};       // between batches
  std::chrono::milliseconds healthInterval{5000};     // drop counts logged at most this often
};

struct SwarmHealth {
  std::size_t peers = 0;
  std::size_t joined = 0;
  std::map<std::string, std::uint64_t> dropped;  // by decode error or reason, all engines
  std::uint64_t sent = 0;
  std::uint64_t received = 0;
  std::uint64_t timeouts = 0;
};
SwarmHealth healthOf(const std::vector<ChordPeer*>& peers);
// "bad_magic=2 truncated=1", or "none".
std::string formatDropped(const std::map<std::string, std::uint64_t>& dropped);

class PeerSwarm {
 public:
  using PeerStarted = std::function<void(ChordPeer&)>;  // on the io_context thread (the first: in start)
  using Failed = std::function<void(const std::string& why)>;

  PeerSwarm(boost::asio::io_context& io, UdpHost& host, SwarmPlan plan);

  // Binds and starts the first peer now (throws when it cannot bind; call
  // before the io_context runs), then the rest on the io_context. onPeer runs
  // for each peer once bound, onReady once all are, onFailed when a later
  // peer cannot bind (the remaining ones are not started).
  void start(PeerStarted onPeer, std::function<void()> onReady, Failed onFailed);
  // Starts no more peers and stops the health log; on the io_context's thread.
  void stop();

 private:
  ChordPeer& addPeer(std::size_t i);  // throws std::runtime_error naming the address
  void startBatch();
  void watchHealth();

  boost::asio::io_context& io_;
  UdpHost& host_;
  SwarmPlan plan_;
  boost::asio::steady_timer batchTimer_;
  boost::asio::steady_timer healthTimer_;
  PeerStarted onPeer_;
  std::function<void()> onReady_;
  Failed onFailed_;
  std::size_t next_ = 0;
  bool stopped_ = false;
  bool allJoined_ = false;
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point lastDropLog_;
  std::map<std::string, std::uint64_t> loggedDrops_;
};

}  // namespace p2pmon::overlay
