#include "probes/rtp_reflector.hpp"

#include <netinet/in.h>

#include <cstring>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "probes/rtp_udp.hpp"

namespace p2pmon::probes {

namespace asio = boost::asio;
using asio::ip::udp;

namespace {

// Batches read per wake-up before yielding to the other handlers of the
// io_context (a peer runs its overlay on the same loop).
constexpr int kRoundsPerWakeup = 8;

RtpSourceAddress sourceOf(const sockaddr_storage& s) {
  RtpSourceAddress a;
  if (s.ss_family == AF_INET6) {
    sockaddr_in6 v6{};
    std::memcpy(&v6, &s, sizeof v6);
    a.family = 6;
    std::memcpy(a.ip.data(), &v6.sin6_addr, 16);
    a.port = ntohs(v6.sin6_port);
  } else {
    sockaddr_in v4{};
    std::memcpy(&v4, &s, sizeof v4);
    std::memcpy(a.ip.data(), &v4.sin_addr, 4);
    a.port = ntohs(v4.sin_port);
  }
  return a;
}

}  // namespace

RtpReflector::RtpReflector(asio::io_context& io, RtpReflectorConfig config)
    : io_(io), socket_(io), batch_(std::make_unique<UdpBatch>()) {
  try {
    socket_.open(config.listen.protocol());
    socket_.bind(config.listen);
    socket_.non_blocking(true);
    bound_ = socket_.local_endpoint();
  } catch (const boost::system::system_error& e) {
    throw std::runtime_error("cannot bind the RTP reflector to " + config.listen.address().to_string() +
                             ":" + std::to_string(config.listen.port()) + ": " + e.what());
  }
  // A deeper queue rides out scheduling gaps at 5,000 packets/s (the
  // kernel caps it at net.core.rmem_max); failure only means the default.
  boost::system::error_code ec;
  socket_.set_option(asio::socket_base::receive_buffer_size(1 << 20), ec);
  enableReceiveStamps(socket_.native_handle());
}

RtpReflector::~RtpReflector() {
  *alive_ = false;
  stop();
}

void RtpReflector::start() { wait(); }

void RtpReflector::stop() {
  boost::system::error_code ec;
  socket_.close(ec);
}

void RtpReflector::wait() {
  socket_.async_wait(udp::socket::wait_read,
                     [this, alive = std::weak_ptr<bool>(alive_)](const boost::system::error_code& ec) {
                       if (alive.expired() || !*alive.lock()) return;
                       if (ec == asio::error::operation_aborted || !socket_.is_open()) return;
                       drain();
                     });
}

// Reads until a batch comes back short (the queue is empty), reflecting
// each batch with one sendmmsg; a socket that stays busy yields after a few
// batches and continues from a posted handler.
void RtpReflector::drain() {
  const int fd = socket_.native_handle();
  UdpBatch& b = *batch_;
  bool empty = false;
  for (int round = 0; round < kRoundsPerWakeup && !empty; ++round) {
    const int n = b.receive(fd);
    if (n < 0) continue;  // the socket's pending error (an ICMP report): read on
    for (int k = 0; k < n; ++k) {
      const auto i = static_cast<std::size_t>(k);
      const std::size_t slot = b.queued();
      std::size_t size = 0;
      const timespec t = b.stamp(i);
      const std::uint64_t ntp = ntpFromUnix(t.tv_sec, static_cast<std::uint32_t>(t.tv_nsec));
      if (b.truncated(i)) {
        engine_.countTooLong();
      } else {
        size = engine_.handle(sourceOf(b.from(i)), b.data(i), ntp, b.out(slot));
      }
      if (size > 0) b.queue(size, b.from(i), b.fromLength(i));
    }
    const std::size_t failed = b.send(fd);
    for (std::size_t f = 0; f < failed; ++f) engine_.countSendError();
    empty = n >= 0 && static_cast<std::size_t>(n) < UdpBatch::kSize;
  }
  if (empty) return wait();
  asio::post(io_, [this, alive = std::weak_ptr<bool>(alive_)] {
    if (!alive.expired() && *alive.lock() && socket_.is_open()) drain();
  });
}

std::string RtpReflector::statsJson() const {
  const auto& s = engine_.stats();
  nlohmann::json j = {{"received", s.received}, {"reflected", s.reflected},
                      {"send_errors", s.sendErrors}, {"sources", s.sources},
                      {"expired", s.expired},   {"evicted", s.evicted},
                      {"dropped", s.dropped}};
  return j.dump();
}

}  // namespace p2pmon::probes
