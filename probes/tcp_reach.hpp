// The server side of the TCP reachability extension (stun_tcp_check.hpp):
// TCP connects back to a requester's IP on a few ports, on the caller's
// io_context, each bounded by a timeout, with at most one check per
// requester IP and a bound on checks in flight, so that a STUN server
// cannot be made into a port scanner or a SYN amplifier.
#pragma once

#include <utility>  // before Boost.Asio: Boost 1.74 + C++20 needs it (toolchain.md)

#include <boost/asio.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <set>
#include <vector>

#include "probes/stun_tcp_check.hpp"

namespace p2pmon::probes {

struct TcpReachLimits {
  std::size_t maxInFlight = 16;  // checks at once, all requesters together
  std::chrono::milliseconds connectTimeout{2000};
};

class TcpReachChecker {
 public:
  using Done = std::function<void(std::vector<stun::TcpResult>)>;

  TcpReachChecker(boost::asio::io_context& io, TcpReachLimits limits = {});
  ~TcpReachChecker();
  TcpReachChecker(const TcpReachChecker&) = delete;
  TcpReachChecker& operator=(const TcpReachChecker&) = delete;

  // A check for this IP is under way (a retransmitted request: drop it).
  bool busy(const boost::asio::ip::address& ip) const { return inFlight_.count(ip) != 0; }
  bool full() const { return inFlight_.size() >= limits_.maxInFlight; }
  // Connects to ip:port for every port at once; `done` runs on the
  // io_context with one result per port, in order, unless stop() came first.
  void check(const boost::asio::ip::address& ip, const std::vector<std::uint16_t>& ports, Done done);
  void stop();  // aborts every check; their `done` never runs

 private:
  struct Check;
  boost::asio::io_context& io_;
  TcpReachLimits limits_;
  std::set<boost::asio::ip::address> inFlight_;
  std::vector<std::shared_ptr<Check>> checks_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace p2pmon::probes
