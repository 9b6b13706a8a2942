// Runs ChordPeer engines on real UDP sockets (Boost.Asio): one socket per
// engine, all on one io_context, so one thread can host a
// single peer or a swarm of a thousand. The engines stay sans-I/O: this is
// the thin adapter that feeds them datagrams and ticks and sends what they leave.
// A readable socket is drained in batches (recvmmsg) and what the engine
// leaves goes out in batches (sendmmsg): one io_context thread only, since
// the batch buffer is shared. The sockets sit in one epoll set of the host's
// own, and only that set's descriptor waits on the io_context: one wakeup
// and one re-arm serve every socket that became readable meanwhile, where a
// wait per socket cost an Asio operation and an epoll_ctl per datagram.
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
  void waitReadable();
  void onReadable();
  void drain(Slot& slot);
  void flush(Slot& slot);
  void arm(Slot& slot);
  void armTimer(std::int64_t due);
  void onTimer();

  boost::asio::io_context& io_;
  // The epoll set holding every slot's socket (level-triggered, so a socket
  // left with datagrams after its turn is reported again).
  boost::asio::posix::stream_descriptor readable_;
  // One timer for all engines, at the earliest of their deadlines (a
  // min-heap of wall-clock ms and slot): a thousand Asio timers cost a
  // timer-queue update and often a timerfd_settime per re-arm.
  boost::asio::steady_timer timer_;
  std::int64_t timerFor_ = 0;  // what timer_ waits for; 0: idle
  bool ticking_ = false;       // in onTimer(), which arms timer_ once at its end
  std::vector<std::pair<std::int64_t, Slot*>> deadlines_;
  std::vector<std::unique_ptr<Slot>> slots_;
  // Receive and send buffers, shared by all slots; handlers posted by drain()
  // hold a weak_ptr to it to know the host still exists.
  std::shared_ptr<Batch> batch_;
  std::uint64_t sendErrors_ = 0;
};

}  // namespace p2pmon::overlay
