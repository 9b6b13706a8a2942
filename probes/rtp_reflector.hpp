// The RTP reflector service: returns every RTP packet to its sender with
// the reflector's receive time, its count of packets from that source and
// its own outgoing sequence number (wire format: rtp_reflection.hpp,
// docs/protocol.md "RTP reflector"), so a probe measures round-trip delay
// and both directions' loss and jitter. A thin adapter on one Boost.Asio
// UDP socket of the caller's io_context around RtpReflectorEngine:
// recvmmsg with kernel receive stamps in, sendmmsg out, no allocation per
// packet. Bad datagrams are dropped and counted by reason; serving goes on.
#pragma once

#include <utility>  // before Boost.Asio: Boost 1.74 + C++20 needs it (toolchain.md)

#include <boost/asio.hpp>

#include <memory>
#include <string>

#include "probes/rtp_reflector_engine.hpp"

namespace p2pmon::probes {

class UdpBatch;

struct RtpReflectorConfig {
  boost::asio::ip::udp::endpoint listen;  // port 0 = free port
};

class RtpReflector {
 public:
  // Binds; throws std::runtime_error when the address cannot be bound.
  // Serving starts with start().
  RtpReflector(boost::asio::io_context& io, RtpReflectorConfig config);
  ~RtpReflector();
  RtpReflector(const RtpReflector&) = delete;
  RtpReflector& operator=(const RtpReflector&) = delete;

  void start();  // waits for the first datagrams; call once
  void stop();   // closes the socket; pending handlers end quietly

  boost::asio::ip::udp::endpoint endpoint() const { return bound_; }
  const RtpReflectorStats& stats() const { return engine_.stats(); }
  // {"received":..,"reflected":..,"send_errors":..,"sources":..,"expired":..,
  //  "evicted":..,"dropped":{reason:n}}
  std::string statsJson() const;

 private:
  void wait();
  void drain();

  boost::asio::io_context& io_;
  boost::asio::ip::udp::socket socket_;
  boost::asio::ip::udp::endpoint bound_;
  RtpReflectorEngine engine_;
  std::unique_ptr<UdpBatch> batch_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace p2pmon::probes
