// Runs ChordPeer engines on real UDP sockets (Boost.Asio): one socket and
// one timer per engine, all on one io_context, so one thread can host a
// single peer or a swarm of a thousand. The engines stay sans-I/O: this is
// the thin adapter that feeds them datagrams and ticks and sends what they leave.
// A readable socket is drained in batches (recvmmsg) and what the engine
// leaves goes out in batches (sendmmsg): one io_context thread only, since
// the batch buffer is shared and readiness is edge-triggered.
#pragma once

#include <utility>  // before Boost.Asio: Boost 1.74 + C++20 needs it (toolchain.md)

#include <boost/asio.hpp>

#include <functional>
#include <memory>
#include <vector>

#include "overlay-agent/chord_peer.hpp"

namespace p2pmon::overlay {

boost::asio::ip::udp::endpoint toAsio(const Endpoint& ep);
Endpoint fromAsio(const boost::asio::ip::udp::endpoint& ep);
std::int64_t wallClockMs();

class UdpHost {
 public:
  explicit UdpHost(boost::asio::io_context& io);
  ~UdpHost();
  UdpHost(const UdpHost&) = delete;
  UdpHost& operator=(const UdpHost&) = delete;

  // Binds `bind` (port 0 picks a free port), builds the engine with the
  // bound address as its endpoint and starts it. Throws when binding fails.
  ChordPeer& add(PeerConfig config, const boost::asio::ip::udp::endpoint& bind,
                 std::vector<Endpoint> bootstrap);
  // Runs an overlay API call on an engine and sends what it produced (the
  // call must happen on the io_context's thread).
  void call(ChordPeer& peer, const std::function<void(ChordPeer&, std::int64_t)>& fn);
  // Graceful leave of every engine; the Leave messages go out before it returns.
  void leaveAll();
  std::vector<ChordPeer*> peers();
  std::uint64_t sendErrors() const { return sendErrors_; }

 private:
  struct Slot;
  struct Batch;
  void receive(Slot& slot);
  void drain(Slot& slot);
  void flush(Slot& slot);
  void arm(Slot& slot);

  boost::asio::io_context& io_;
  std::vector<std::unique_ptr<Slot>> slots_;
  // Receive and send buffers, shared by all slots; handlers posted by drain()
  // hold a weak_ptr to it to know the host still exists.
  std::shared_ptr<Batch> batch_;
  std::uint64_t sendErrors_ = 0;
};

}  // namespace p2pmon::overlay
