#include "probes/stun_server.hpp"

#include <stdexcept>

#include <nlohmann/json.hpp>

namespace p2pmon::probes {

namespace asio = boost::asio;
using asio::ip::udp;

stun::Address toStunAddress(const udp::endpoint& ep) {
  stun::Address a;
  a.port = ep.port();
  if (ep.address().is_v6() && !ep.address().to_v6().is_v4_mapped()) {
    a.family = 6;
    const auto b = ep.address().to_v6().to_bytes();
    std::copy(b.begin(), b.end(), a.ip.begin());
  } else {
    const auto v4 = ep.address().is_v6() ? asio::ip::make_address_v4(asio::ip::v4_mapped,
                                                                      ep.address().to_v6())
                                         : ep.address().to_v4();
    const auto b = v4.to_bytes();
    std::copy(b.begin(), b.end(), a.ip.begin());
  }
  return a;
}

udp::endpoint toEndpoint(const stun::Address& a) {
  if (a.family == 6) {
    asio::ip::address_v6::bytes_type b;
    std::copy(a.ip.begin(), a.ip.end(), b.begin());
    return {asio::ip::address_v6(b), a.port};
  }
  asio::ip::address_v4::bytes_type b;
  std::copy(a.ip.begin(), a.ip.begin() + 4, b.begin());
  return {asio::ip::address_v4(b), a.port};
}

struct StunServer::Socket {
  Socket(asio::io_context& io, int i) : sock(io), index(i) {}
  udp::socket sock;
  int index;
  udp::endpoint from;
  // One byte more than a STUN datagram may be: a read that fills it was cut.
  std::array<std::uint8_t, stun::kMaxDatagram + 1> buf{};
};

StunServer::StunServer(asio::io_context& io, StunServerConfig config)
    : io_(io), config_(std::move(config)), tcp_(io, config_.tcpLimits) {
  const auto& p = config_.primary;
  if (config_.alternate) {
    const auto& a = *config_.alternate;
    if (p.address().is_unspecified() || a.address().is_unspecified())
      throw std::runtime_error("an alternate address needs specific IPs, not the wildcard");
    if (p.address() == a.address())
      throw std::runtime_error("the alternate address needs another IP than " + p.address().to_string());
    if (p.port() != 0 && p.port() == a.port())
      throw std::runtime_error("the alternate address needs another port than " + std::to_string(p.port()));
    if (p.protocol() != a.protocol())
      throw std::runtime_error("primary and alternate addresses of different families");
  }
  // Free ports are picked by binding port 0; the other IP may have that port
  // taken, so a few attempts are made before giving up.
  const int attempts = (p.port() == 0 || (config_.alternate && config_.alternate->port() == 0)) ? 8 : 1;
  for (int attempt = 1;; ++attempt) {
    sockets_.clear();
    try {
      auto bind = [&](int index, const udp::endpoint& ep) {
        auto s = std::make_unique<Socket>(io_, index);
        s->sock.open(ep.protocol());
        s->sock.bind(ep);
        s->sock.non_blocking(true);
        auto bound = s->sock.local_endpoint();
        sockets_.push_back(std::move(s));
        return bound;
      };
      const auto s0 = bind(0, p);
      if (config_.alternate) {
        const auto& a = *config_.alternate;
        bind(2, {a.address(), s0.port()});
        const auto s3 = bind(3, a);
        bind(1, {p.address(), s3.port()});
        addresses_.alternate = toStunAddress(s3);
      }
      addresses_.primary = toStunAddress(s0);
      break;
    } catch (const boost::system::system_error& e) {
      if (attempt >= attempts)
        throw std::runtime_error(std::string("cannot bind the STUN server: ") + e.what());
    }
  }
}

StunServer::~StunServer() {
  *alive_ = false;
  stop();
}

void StunServer::start() {
  for (auto& s : sockets_) receive(*s);
}

void StunServer::stop() {
  tcp_.stop();
  for (auto& s : sockets_) {
    boost::system::error_code ec;
    s->sock.close(ec);
  }
}

void StunServer::receive(Socket& s) {
  std::weak_ptr<bool> alive = alive_;
  s.sock.async_receive_from(asio::buffer(s.buf), s.from,
                            [this, &s, alive](const boost::system::error_code& ec, std::size_t n) {
                              if (alive.expired() || !*alive.lock()) return;
                              if (ec == asio::error::operation_aborted || !s.sock.is_open()) return;
                              // Other errors (an ICMP error reported on the socket) end no service.
                              if (!ec) handle(s, n);
                              receive(s);
                            });
}

void StunServer::handle(Socket& s, std::size_t n) {
  ++stats_.received;
  if (n > stun::kMaxDatagram) {
    ++stats_.dropped["too_long"];
    return;
  }
  const auto out = stun::respond(addresses_, s.index, toStunAddress(s.from),
                                 std::span<const std::uint8_t>(s.buf.data(), n), config_.software);
  if (!out.reply) {
    ++stats_.dropped[out.dropped];
    return;
  }
  if (out.tcpCheck.empty()) return send(*out.reply);
  const auto ip = s.from.address();
  if (tcp_.busy(ip)) {
    // A retransmission while its check runs: the check will answer it.
    ++stats_.dropped["tcp_check_busy"];
    return;
  }
  if (tcp_.full()) {
    ++stats_.tcpLimited;
    std::vector<stun::TcpResult> limited;
    for (auto p : out.tcpCheck) limited.push_back({p, stun::TcpReach::limited});
    stun::Reply r = *out.reply;
    r.bytes = stun::withTcpResults(r.bytes, limited).value_or(r.bytes);
    return send(r);
  }
  ++stats_.tcpChecks;
  std::weak_ptr<bool> alive = alive_;
  tcp_.check(ip, out.tcpCheck, [this, alive, reply = *out.reply](std::vector<stun::TcpResult> results) {
    if (alive.expired() || !*alive.lock()) return;
    stun::Reply r = reply;
    r.bytes = stun::withTcpResults(r.bytes, results).value_or(r.bytes);
    send(r);
  });
}

void StunServer::send(const stun::Reply& reply) {
  Socket* from = nullptr;
  for (auto& c : sockets_)
    if (c->index == reply.fromIndex) from = c.get();
  boost::system::error_code ec;
  // Non-blocking send: a UDP socket whose buffer is full drops the answer
  // (the client retransmits) rather than stall the io_context.
  if (from) from->sock.send_to(asio::buffer(reply.bytes), toEndpoint(reply.to), 0, ec);
  if (!from || ec) {
    ++stats_.sendErrors;
    return;
  }
  ++(reply.error ? stats_.errorAnswers : stats_.answered);
}

udp::endpoint StunServer::primary() const { return toEndpoint(addresses_.primary); }

std::optional<udp::endpoint> StunServer::alternate() const {
  if (!addresses_.alternate) return std::nullopt;
  return toEndpoint(*addresses_.alternate);
}

std::vector<udp::endpoint> StunServer::endpoints() const {
  std::vector<udp::endpoint> out;
  for (int i = 0; i < addresses_.count(); ++i) out.push_back(toEndpoint(addresses_.at(i)));
  return out;
}

std::string StunServer::statsJson() const {
  nlohmann::json j = {{"received", stats_.received},
                      {"answered", stats_.answered},
                      {"error_answers", stats_.errorAnswers},
                      {"send_errors", stats_.sendErrors},
                      {"dropped", stats_.dropped},
                      {"tcp_checks", stats_.tcpChecks},
                      {"tcp_limited", stats_.tcpLimited}};
  return j.dump();
}

}  // namespace p2pmon::probes
