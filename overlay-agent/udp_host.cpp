#include "overlay-agent/udp_host.hpp"

#include <chrono>

namespace p2pmon::overlay {

namespace asio = boost::asio;
using asio::ip::udp;

struct UdpHost::Slot {
  Slot(asio::io_context& io, udp::socket s) : socket(std::move(s)), timer(io) {}
  udp::socket socket;
  asio::steady_timer timer;
  std::unique_ptr<ChordPeer> peer;
  std::array<std::uint8_t, kMaxMessageSize + 1> buffer{};  // +1 detects oversized datagrams
  udp::endpoint from;
  std::int64_t armedFor = 0;
  bool closed = false;
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

UdpHost::UdpHost(asio::io_context& io) : io_(io) {}

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
  slot.socket.async_receive_from(
      asio::buffer(slot.buffer), slot.from,
      [this, &slot](boost::system::error_code ec, std::size_t n) {
        if (slot.closed || ec == asio::error::operation_aborted) return;
        if (!ec) {
          slot.peer->receive(fromAsio(slot.from), std::span(slot.buffer.data(), n), wallClockMs());
          flush(slot);
          arm(slot);
        }
        receive(slot);
      });
}

void UdpHost::flush(Slot& slot) {
  for (auto& out : slot.peer->takeOutgoing()) {
    boost::system::error_code ec;
    slot.socket.send_to(asio::buffer(out.bytes), toAsio(out.to), 0, ec);
    if (ec) ++sendErrors_;  // UDP: a full buffer or an unreachable peer loses the datagram
  }
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
