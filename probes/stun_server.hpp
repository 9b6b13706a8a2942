// A STUN server (RFC 5389 Binding, RFC 5780 behaviour discovery, RFC 3489
// classic clients) on Boost.Asio UDP sockets of the caller's io_context:
// the thin adapter around stun_responder.hpp. With an alternate address
// (another IP and another port) it binds all four combinations, so that
// CHANGE-REQUEST is answered from the right socket and OTHER-ADDRESS is
// true. A request that asks for TCP connects back (stun_tcp_check.hpp) is
// answered once they are done. Bad datagrams are dropped and counted by reason; serving goes on.
#pragma once

#include <utility>  // before Boost.Asio: Boost 1.74 + C++20 needs it (toolchain.md)

#include <boost/asio.hpp>

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "probes/stun_responder.hpp"
#include "probes/tcp_reach.hpp"

namespace p2pmon::probes {

struct StunServerConfig {
  // Port 0 picks a free port. A wildcard address (0.0.0.0, ::) is allowed
  // only without an alternate; RESPONSE-ORIGIN is then left out.
  boost::asio::ip::udp::endpoint primary;
  // Must differ from the primary in both IP and port (either port may be 0).
  std::optional<boost::asio::ip::udp::endpoint> alternate;
  std::string software = "p2pmon";
  TcpReachLimits tcpLimits;  // the TCP reachability extension (tcp_reach.hpp)
};

struct StunServerStats {
  std::uint64_t received = 0;      // datagrams read
  std::uint64_t answered = 0;      // success responses sent
  std::uint64_t errorAnswers = 0;  // 420 responses sent
  std::uint64_t sendErrors = 0;    // responses the kernel refused
  std::map<std::string, std::uint64_t> dropped;  // by reason (stun_responder.hpp), tcp_check_busy
  std::uint64_t tcpChecks = 0;   // TCP reachability checks run (stun_tcp_check.hpp)
  std::uint64_t tcpLimited = 0;  // answered "limited": too many checks in flight
};

class StunServer {
 public:
  // Binds every socket; throws std::runtime_error when one cannot be bound
  // or the configuration is inconsistent. Serving starts with start().
  StunServer(boost::asio::io_context& io, StunServerConfig config);
  ~StunServer();
  StunServer(const StunServer&) = delete;
  StunServer& operator=(const StunServer&) = delete;

  void start();  // posts the first reads; call once
  void stop();   // closes the sockets; pending handlers end quietly

  boost::asio::ip::udp::endpoint primary() const;
  std::optional<boost::asio::ip::udp::endpoint> alternate() const;  // A2:P2
  // Every bound address, index as in stun::ServerAddresses.
  std::vector<boost::asio::ip::udp::endpoint> endpoints() const;
  const StunServerStats& stats() const { return stats_; }
  // {"received":..,"answered":..,"error_answers":..,"send_errors":..,"dropped":{reason:n}}
  std::string statsJson() const;

 private:
  struct Socket;
  void receive(Socket& s);
  void handle(Socket& s, std::size_t n);
  void send(const stun::Reply& reply);

  boost::asio::io_context& io_;
  StunServerConfig config_;
  stun::ServerAddresses addresses_;
  std::vector<std::unique_ptr<Socket>> sockets_;
  StunServerStats stats_;
  TcpReachChecker tcp_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

stun::Address toStunAddress(const boost::asio::ip::udp::endpoint& ep);
boost::asio::ip::udp::endpoint toEndpoint(const stun::Address& a);

}  // namespace p2pmon::probes
