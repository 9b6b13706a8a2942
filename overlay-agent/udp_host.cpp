#include "overlay-agent/udp_host.hpp"

#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>

namespace p2pmon::overlay {

namespace asio = boost::asio;
using asio::ip::udp;

namespace {
// Datagrams per recvmmsg/sendmmsg call. A peer's socket rarely holds more;
// a client with hundreds of lookups in flight fills whole batches.
constexpr std::size_t kBatchSize = 32;
// Batches taken from one socket before the others get their turn.
constexpr int kRoundsPerWakeup = 4;
// Ready sockets taken from the epoll set per wakeup; more wait for the next.
constexpr int kReadyPerWakeup = 128;

[[noreturn]] void throwErrno(const char* what) {
  throw boost::system::system_error(errno, boost::system::system_category(), what);
}

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

// The socket is a plain descriptor, not an Asio socket: registered with the
// io_context it would wake the reactor once per datagram even with no
// operation waiting on it.
struct UdpHost::Slot {
  explicit Slot(int socketFd) : fd(socketFd) {}
  ~Slot() { ::close(fd); }
  Slot(const Slot&) = delete;
  Slot& operator=(const Slot&) = delete;
  int fd;
  std::unique_ptr<ChordPeer> peer;
  std::int64_t armedFor = 0;  // its entry in the host's deadlines; 0: none
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
  std::array<epoll_event, kReadyPerWakeup> ready{};
  std::vector<std::pair<std::int64_t, Slot*>> due;  // onTimer's round

  // The receive headers point at the buffers once and for all; a peer's
  // socket usually yields one datagram per wakeup, and filling in all 32
  // headers each time showed in profiles.
  Batch() {
    for (std::size_t i = 0; i < kBatchSize; ++i) {
      inIov[i] = {in[i].data(), in[i].size()};
      inMsgs[i].msg_hdr.msg_name = &from[i];
      inMsgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
      inMsgs[i].msg_hdr.msg_iov = &inIov[i];
      inMsgs[i].msg_hdr.msg_iovlen = 1;
    }
  }
  Batch(const Batch&) = delete;
  Batch& operator=(const Batch&) = delete;
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

UdpHost::UdpHost(asio::io_context& io)
    : io_(io), readable_(io), timer_(io), batch_(std::make_shared<Batch>()) {
  const int ep = ::epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) throwErrno("epoll_create1");
  readable_.assign(ep);
  waitReadable();
}

UdpHost::~UdpHost() {
  for (auto& s : slots_) s->closed = true;
  timer_.cancel();
  boost::system::error_code ignored;
  readable_.close(ignored);
}

ChordPeer& UdpHost::add(PeerConfig config, const udp::endpoint& bind,
                        std::vector<Endpoint> bootstrap) {
  const int fd = ::socket(bind.protocol().family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throwErrno("socket");
  auto slot = std::make_unique<Slot>(fd);  // closes fd if a step below throws
  if (::bind(fd, bind.data(), static_cast<socklen_t>(bind.size())) != 0) throwErrno("bind");
  // A swarm shares the loopback: larger buffers ride out bursts of joins.
  const int rcvbuf = 1 << 20;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  udp::endpoint local;
  socklen_t len = static_cast<socklen_t>(local.capacity());
  if (::getsockname(fd, local.data(), &len) != 0) throwErrno("getsockname");
  local.resize(len);
  config.endpoint = fromAsio(local);
  Slot& s = *slot;
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = &s;
  if (::epoll_ctl(readable_.native_handle(), EPOLL_CTL_ADD, fd, &ev) != 0) throwErrno("epoll_ctl");
  slot->peer = std::make_unique<ChordPeer>(config, wallClockMs());
  slots_.push_back(std::move(slot));
  s.peer->start(std::move(bootstrap), wallClockMs());
  flush(s);
  arm(s);
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

void UdpHost::waitReadable() {
  readable_.async_wait(asio::posix::stream_descriptor::wait_read,
                       [this, alive = std::weak_ptr<Batch>(batch_)](boost::system::error_code ec) {
                         if (ec || alive.expired()) return;
                         onReadable();
                       });
}

// Each ready socket gets a few batches, then the io_context gets its turn
// (timers, posted calls); the level-triggered set reports what is left.
void UdpHost::onReadable() {
  Batch& b = *batch_;
  const int n = ::epoll_wait(readable_.native_handle(), b.ready.data(), kReadyPerWakeup, 0);
  for (int i = 0; i < n; ++i) {
    auto* slot = static_cast<Slot*>(b.ready[static_cast<std::size_t>(i)].data.ptr);
    if (!slot->closed) drain(*slot);
  }
  waitReadable();
}

void UdpHost::drain(Slot& slot) {
  Batch& b = *batch_;
  bool empty = false;
  for (int round = 0; round < kRoundsPerWakeup && !empty; ++round) {
    const int n = ::recvmmsg(slot.fd, b.inMsgs.data(), kBatchSize, MSG_DONTWAIT, nullptr);
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
      // The kernel wrote the sender's address length here: the only field
      // of the receive headers to set again before the next call.
      b.inMsgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
    }
    empty = static_cast<std::size_t>(n) < kBatchSize;
  }
  flush(slot);
  arm(slot);
}

void UdpHost::flush(Slot& slot) {
  if (!slot.peer->hasOutgoing()) return;
  Batch& b = *batch_;
  slot.peer->takeOutgoing(b.out);
  const int fd = slot.fd;
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
  // Re-arm only for an earlier deadline: waking early costs one idle tick,
  // while an entry per datagram would fill the heap.
  if (slot.armedFor != 0 && due >= slot.armedFor) return;
  slot.armedFor = due;
  deadlines_.emplace_back(due, &slot);
  std::push_heap(deadlines_.begin(), deadlines_.end(), std::greater<>{});
  if (!ticking_ && (timerFor_ == 0 || due < timerFor_)) armTimer(due);
}

void UdpHost::armTimer(std::int64_t due) {
  timerFor_ = due;
  timer_.expires_after(std::chrono::milliseconds(std::max<std::int64_t>(0, due - wallClockMs())));
  timer_.async_wait([this, alive = std::weak_ptr<Batch>(batch_)](boost::system::error_code ec) {
    if (ec || alive.expired()) return;
    onTimer();
  });
}

// Ticks every engine that is due. An entry whose slot was re-armed earlier
// since, or already ticked, no longer matches its slot's armedFor: skipped.
// The due entries are taken out first, so an engine whose next deadline is
// already past waits for the next round instead of holding this one; the
// timer is armed once, after all of them.
void UdpHost::onTimer() {
  timerFor_ = 0;
  const std::int64_t now = wallClockMs();
  std::vector<std::pair<std::int64_t, Slot*>>& due = batch_->due;
  due.clear();
  while (!deadlines_.empty() && deadlines_.front().first <= now) {
    std::pop_heap(deadlines_.begin(), deadlines_.end(), std::greater<>{});
    due.push_back(deadlines_.back());
    deadlines_.pop_back();
  }
  ticking_ = true;
  for (const auto& [when, slot] : due) {
    if (slot->closed || slot->armedFor != when) continue;
    slot->armedFor = 0;
    slot->peer->tick(now);
    flush(*slot);
    arm(*slot);
  }
  ticking_ = false;
  if (!deadlines_.empty()) armTimer(deadlines_.front().first);
}

}  // namespace p2pmon::overlay
