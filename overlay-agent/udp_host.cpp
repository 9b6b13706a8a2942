#include "overlay-agent/udp_host.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>

namespace p2pmon::overlay {

namespace asio = boost::asio;
using asio::ip::udp;

namespace {
// Datagrams per recvmmsg/sendmmsg call. A peer's socket rarely holds more;
// a client with hundreds of lookups in flight fills whole batches.
constexpr std::size_t kBatchSize = 32;
// Batches taken from one socket before the others get their turn.
constexpr int kRoundsPerWakeup = 4;

Endpoint fromSockaddr(const sockaddr_storage& sa) {
  Endpoint out;
  if (sa.ss_family == AF_INET6) {
    sockaddr_in6 s6{};
    std::memcpy(&s6, &sa, sizeof s6);
    out.family = 6;
    std::memcpy(out.addr.data(), &s6.sin6_addr, 16);
    out.port = ntohs(s6.sin6_port);
  } else {
    sockaddr_in s4{};
    std::memcpy(&s4, &sa, sizeof s4);
    std::memcpy(out.addr.data(), &s4.sin_addr, 4);
    out.port = ntohs(s4.sin_port);
  }
  return out;
}
}  // namespace

struct UdpHost::Slot {
  Slot(asio::io_context& io, udp::socket s) : socket(std::move(s)), timer(io) {}
  udp::socket socket;
  asio::steady_timer timer;
  std::unique_ptr<ChordPeer> peer;
  std::int64_t armedFor = 0;
  bool closed = false;
};

// One per host: handlers run on one thread and hand every datagram to its
// engine before the next batch is read, so the slots can share the buffers.
struct UdpHost::Batch {
  std::array<std::array<std::uint8_t, kMaxMessageSize + 1>, kBatchSize> in{};  // +1 detects oversized datagrams
  std::array<sockaddr_storage, kBatchSize> from{};
  std::array<iovec, kBatchSize> inIov{};
  std::array<mmsghdr, kBatchSize> inMsgs{};
  std::vector<Outgoing> out;  // the outbox being sent; keeps its capacity
  std::array<sockaddr_storage, kBatchSize> to{};
  std::array<iovec, kBatchSize> outIov{};
  std::array<mmsghdr, kBatchSize> outMsgs{};
};

udp::endpoint toAsio(const Endpoint& ep) {
  if (ep.family == 6) {
    asio::ip::address_v6::bytes_type b{};
    std::copy(ep.addr.begin(), ep.addr.end(), b.begin());
    return {asio::ip::address_v6(b), ep.port};
  }
  asio::ip::address_v4::bytes_type b{};
  std::copy_n(ep.addr.begin(), 4, b.begin());
  return {asio::ip::address_v4(b), ep.port};
}

Endpoint fromAsio(const udp::endpoint& ep) {
  Endpoint out;
  out.port = ep.port();
  if (ep.address().is_v6()) {
    out.family = 6;
    auto b = ep.address().to_v6().to_bytes();
    std::copy(b.begin(), b.end(), out.addr.begin());
  } else {
    auto b = ep.address().to_v4().to_bytes();
    std::copy(b.begin(), b.end(), out.addr.begin());
  }
  return out;
}

std::int64_t wallClockMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

UdpHost::UdpHost(asio::io_context& io) : io_(io), batch_(std::make_shared<Batch>()) {}

UdpHost::~UdpHost() {
  for (auto& s : slots_) {
    boost::system::error_code ignored;
    s->closed = true;
    s->timer.cancel();
    s->socket.close(ignored);
  }
}

ChordPeer& UdpHost::add(PeerConfig config, const udp::endpoint& bind,
                        std::vector<Endpoint> bootstrap) {
  udp::socket socket(io_, bind.protocol());
  socket.bind(bind);
  socket.non_blocking(true);
  // A swarm shares the loopback: larger buffers ride out bursts of joins.
  boost::system::error_code ignored;
  socket.set_option(asio::socket_base::receive_buffer_size(1 << 20), ignored);
  config.endpoint = fromAsio(socket.local_endpoint());
  auto slot = std::make_unique<Slot>(io_, std::move(socket));
  slot->peer = std::make_unique<ChordPeer>(config, wallClockMs());
  Slot& s = *slot;
  slots_.push_back(std::move(slot));
  s.peer->start(std::move(bootstrap), wallClockMs());
  flush(s);
  arm(s);
  receive(s);
  return *s.peer;
}

void UdpHost::call(ChordPeer& peer, const std::function<void(ChordPeer&, std::int64_t)>& fn) {
  for (auto& s : slots_) {
    if (s->peer.get() != &peer) continue;
    fn(peer, wallClockMs());
    flush(*s);
    arm(*s);
    return;
  }
}

std::vector<ChordPeer*> UdpHost::peers() {
  std::vector<ChordPeer*> out;
  for (auto& s : slots_) out.push_back(s->peer.get());
  return out;
}

void UdpHost::leaveAll() {
  for (auto& s : slots_) {
    s->peer->leave(wallClockMs());
    flush(*s);
  }
}

void UdpHost::receive(Slot& slot) {
  slot.socket.async_wait(udp::socket::wait_read, [this, &slot](boost::system::error_code ec) {
    if (slot.closed || ec == asio::error::operation_aborted) return;
    drain(slot);
  });
}

// Readiness is edge-triggered: the socket is read until a batch comes back
// short (the queue was empty) before waiting again. A socket that stays busy
// yields after a few batches and continues from a posted handler.
void UdpHost::drain(Slot& slot) {
  Batch& b = *batch_;
  const int fd = slot.socket.native_handle();
  bool empty = false;
  for (int round = 0; round < kRoundsPerWakeup && !empty; ++round) {
    for (std::size_t i = 0; i < kBatchSize; ++i) {
      b.inIov[i] = {b.in[i].data(), b.in[i].size()};
      b.inMsgs[i].msg_hdr = {};
      b.inMsgs[i].msg_hdr.msg_name = &b.from[i];
      b.inMsgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
      b.inMsgs[i].msg_hdr.msg_iov = &b.inIov[i];
      b.inMsgs[i].msg_hdr.msg_iovlen = 1;
    }
    const int n = ::recvmmsg(fd, b.inMsgs.data(), kBatchSize, MSG_DONTWAIT, nullptr);
    if (n < 0) {
      if (errno == EINTR) continue;
      // EAGAIN: drained. Any other error was the socket's pending error and
      // reading it cleared it: read on.
      empty = errno == EAGAIN || errno == EWOULDBLOCK;
      continue;
    }
    const std::int64_t now = wallClockMs();
    for (int i = 0; i < n; ++i) {
      slot.peer->receive(fromSockaddr(b.from[i]), std::span(b.in[i].data(), b.inMsgs[i].msg_len),
                         now);
    }
    empty = static_cast<std::size_t>(n) < kBatchSize;
  }
  flush(slot);
  arm(slot);
  if (empty) return receive(slot);
  asio::post(io_, [this, &slot, alive = std::weak_ptr<Batch>(batch_)] {
    if (!alive.expired() && !slot.closed) drain(slot);
  });
}

void UdpHost::flush(Slot& slot) {
  if (!slot.peer->hasOutgoing()) return;
  Batch& b = *batch_;
  slot.peer->takeOutgoing(b.out);
  const int fd = slot.socket.native_handle();
  for (std::size_t base = 0; base < b.out.size(); base += kBatchSize) {
    const std::size_t n = std::min(kBatchSize, b.out.size() - base);
    for (std::size_t i = 0; i < n; ++i) {
      Outgoing& o = b.out[base + i];
      const udp::endpoint to = toAsio(o.to);
      std::memcpy(&b.to[i], to.data(), to.size());
      b.outIov[i] = {o.bytes.data(), o.bytes.size()};
      b.outMsgs[i].msg_hdr = {};
      b.outMsgs[i].msg_hdr.msg_name = &b.to[i];
      b.outMsgs[i].msg_hdr.msg_namelen = static_cast<socklen_t>(to.size());
      b.outMsgs[i].msg_hdr.msg_iov = &b.outIov[i];
      b.outMsgs[i].msg_hdr.msg_iovlen = 1;
    }
    std::size_t sent = 0;
    while (sent < n) {
      const int r = ::sendmmsg(fd, &b.outMsgs[sent], static_cast<unsigned>(n - sent), MSG_DONTWAIT);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) {
        // UDP: a full buffer or an unreachable peer loses this datagram; the rest still go.
        ++sendErrors_;
        ++sent;
        continue;
      }
      sent += static_cast<std::size_t>(r);
    }
  }
  b.out.clear();
}

void UdpHost::arm(Slot& slot) {
  const std::int64_t due = slot.peer->nextDeadline();
  if (due == std::numeric_limits<std::int64_t>::max()) return;
  // Re-arm only for an earlier deadline: a timer that fires early costs one
  // idle tick, while cancelling and re-arming on every datagram would cost
  // a timer-queue update and an aborted handler each time.
  if (slot.armedFor != 0 && due >= slot.armedFor) return;
  slot.armedFor = due;
  const auto wait = std::chrono::milliseconds(std::max<std::int64_t>(0, due - wallClockMs()));
  slot.timer.expires_after(wait);
  slot.timer.async_wait([this, &slot, due](boost::system::error_code ec) {
    if (ec || slot.closed || slot.armedFor != due) return;
    slot.armedFor = 0;
    slot.peer->tick(wallClockMs());
    flush(slot);
    arm(slot);
  });
}

}  // namespace p2pmon::overlay
