#include "probes/rtp_live.hpp"

#include <utility>  // before Boost.Asio (Boost 1.74 + C++20)

#include <boost/asio.hpp>

#include <netinet/in.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <memory>
#include <random>

#include "probes/rtp_udp.hpp"
#include "probes/stun_server.hpp"

namespace p2pmon::probes {

namespace asio = boost::asio;
using asio::ip::udp;
using Clock = std::chrono::steady_clock;

namespace {

double seconds(const timespec& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9; }

double wallNow() {
  timespec t{};
  ::clock_gettime(CLOCK_REALTIME, &t);
  return seconds(t);
}

std::string text(const udp::endpoint& ep) { return toStunAddress(ep).str(); }

// The paced sender and its reflections on one connected socket.
class TargetRun {
 public:
  TargetRun(const RtpTargetOptions& o, RtpTargetRun& out)
      : o_(o), out_(out), socket_(io_), timer_(io_), batch_(std::make_unique<UdpBatch>()) {}

  void run() {
    udp::resolver resolver(io_);
    boost::system::error_code ec;
    const auto results = resolver.resolve(o_.host, std::to_string(o_.port), ec);
    if (ec || results.empty()) {
      out_.error = core::makeError("unreachable", "cannot resolve " + o_.host + ": " + ec.message());
      return;
    }
    const udp::endpoint target = *results.begin();
    out_.address = text(target);
    socket_.open(target.protocol(), ec);
    // Connected: the kernel keeps other senders' datagrams out and reports
    // an ICMP port unreachable as ECONNREFUSED.
    if (!ec) socket_.connect(target, ec);
    if (ec) {
      out_.error = core::makeError("unreachable", "cannot reach " + out_.address + ": " + ec.message());
      return;
    }
    socket_.non_blocking(true);
    enableReceiveStamps(socket_.native_handle());
    std::random_device rd;
    out_.ssrc = o_.ssrc != 0 ? o_.ssrc : static_cast<std::uint32_t>(rd()) | 1U;
    // RFC 3550 §5.1: random initial sequence number and timestamp.
    out_.firstSeq = static_cast<std::uint16_t>(rd());
    firstTs_ = static_cast<std::uint32_t>(rd());
    trip_.emplace(out_.ssrc, out_.firstSeq, o_.plan.emodel);
    const double slotsD = o_.durationS * 1000.0 / o_.plan.ptimeMs;
    slots_ = static_cast<std::uint32_t>(std::max(1.0, std::floor(slotsD + 1e-9)));
    start_ = Clock::now();
    const auto begin = wallNow();
    wait();
    tick();
    io_.run();
    out_.elapsedS = wallNow() - begin;
    out_.result = trip_->result();
    if (out_.result.reflections == 0) {
      if (refused_) {
        out_.error = core::makeError("refused", out_.address + " refused the stream (ICMP port unreachable)");
      } else if (sendFailures_ == out_.result.sent && out_.result.sent > 0) {
        out_.error = core::makeError("unreachable", "cannot send to " + out_.address);
      } else {
        out_.error = core::makeError("timeout", "no reflection from " + out_.address + " of " +
                                                    std::to_string(out_.result.sent) + " packets");
      }
    }
  }

 private:
  void tick() {
    const std::uint32_t i = next_++;
    // Slots 0, N, 2N, ...: the forward expected count starts at slot 0 (the
    // probe knows its first sequence number), so N slots lose exactly one.
    const bool skip = o_.dropEvery > 0 && i % static_cast<std::uint32_t>(o_.dropEvery) == 0;
    if (skip) {
      trip_->skipped(i);
    } else {
      buildPacket(o_.plan, out_.ssrc, out_.firstSeq, firstTs_, i, packet_);
      boost::system::error_code ec;
      const double at = wallNow();
      socket_.send(asio::buffer(packet_), 0, ec);
      if (ec == asio::error::connection_refused) refused_ = true;
      if (ec) ++sendFailures_;
      trip_->sent(i, at);
    }
    // Absolute deadlines: a late timer does not shift the rest of the stream.
    if (next_ < slots_) {
      timer_.expires_at(start_ + std::chrono::microseconds(std::int64_t{next_} * o_.plan.ptimeMs * 1000));
      timer_.async_wait([this](const boost::system::error_code& e) {
        if (!e) tick();
      });
    } else {
      timer_.expires_after(std::chrono::microseconds(static_cast<std::int64_t>(o_.waitS * 1e6)));
      timer_.async_wait([this](const boost::system::error_code& e) {
        if (!e) io_.stop();
      });
      lastSent_ = true;
      maybeDone();
    }
  }

  void maybeDone() {
    const auto r = trip_->result();
    // Every packet came back: no need to wait for stragglers.
    if (lastSent_ && r.sent > 0 && r.reflections >= r.sent) io_.stop();
  }

  void wait() {
    socket_.async_wait(udp::socket::wait_read, [this](const boost::system::error_code& ec) {
      if (ec) return;
      const int n = batch_->receive(socket_.native_handle());
      if (n < 0 && errno == ECONNREFUSED) refused_ = true;
      for (int k = 0; k < n; ++k) {
        const auto i = static_cast<std::size_t>(k);
        if (!batch_->truncated(i)) trip_->received(batch_->data(i), seconds(batch_->stamp(i)));
      }
      if (lastSent_) maybeDone();
      wait();
    });
  }

  const RtpTargetOptions& o_;
  RtpTargetRun& out_;
  asio::io_context io_;
  udp::socket socket_;
  asio::steady_timer timer_;
  std::unique_ptr<UdpBatch> batch_;
  std::optional<RtpRoundTrip> trip_;
  std::vector<std::uint8_t> packet_;
  std::uint32_t firstTs_ = 0, slots_ = 0, next_ = 0;
  std::uint64_t sendFailures_ = 0;
  bool refused_ = false, lastSent_ = false;
  Clock::time_point start_;
};

UdpDatagram datagramFrom(const sockaddr_storage& from, const udp::endpoint& local, Bytes payload) {
  UdpDatagram d;
  d.payload = payload;
  if (from.ss_family == AF_INET6) {
    sockaddr_in6 v6{};
    std::memcpy(&v6, &from, sizeof v6);
    d.family = 6;
    std::memcpy(d.src.data(), &v6.sin6_addr, 16);
    d.srcPort = ntohs(v6.sin6_port);
    const auto b = local.address().to_v6().to_bytes();
    std::copy(b.begin(), b.end(), d.dst.begin());
  } else {
    sockaddr_in v4{};
    std::memcpy(&v4, &from, sizeof v4);
    std::memcpy(d.src.data(), &v4.sin_addr, 4);
    d.srcPort = ntohs(v4.sin_port);
    const auto b = local.address().to_v4().to_bytes();
    std::copy(b.begin(), b.end(), d.dst.begin());
  }
  d.dstPort = local.port();
  return d;
}

}  // namespace

RtpTargetRun runRtpTarget(const RtpTargetOptions& o) {
  RtpTargetRun out;
  TargetRun(o, out).run();
  return out;
}

core::Expected<RtpListenRun> runRtpListen(const RtpListenOptions& o, RtpStreamTable& table,
                                          RtpListenReady ready) {
  auto addr = stun::parseAddress(o.address);
  if (!addr) return core::makeError("bad_usage", "--listen: " + addr.error().message);
  asio::io_context io;
  udp::socket socket(io);
  RtpListenRun run;
  try {
    const udp::endpoint ep = toEndpoint(*addr);
    socket.open(ep.protocol());
    socket.bind(ep);
    socket.non_blocking(true);
  } catch (const boost::system::system_error& e) {
    return core::makeError("bad_usage", "cannot listen on " + o.address + ": " + e.what());
  }
  boost::system::error_code ec;
  socket.set_option(asio::socket_base::receive_buffer_size(1 << 20), ec);
  enableReceiveStamps(socket.native_handle());
  const udp::endpoint local = socket.local_endpoint();
  run.bound = text(local);
  if (ready != nullptr) ready(run.bound);
  auto batch = std::make_unique<UdpBatch>();
  std::function<void()> wait = [&] {
    socket.async_wait(udp::socket::wait_read, [&](const boost::system::error_code& e) {
      if (e) return;
      // A bounded drain: a flood cannot keep the deadline timer from firing.
      for (int round = 0; round < 8; ++round) {
        const int n = batch->receive(socket.native_handle());
        for (int k = 0; k < n; ++k) {
          const auto i = static_cast<std::size_t>(k);
          if (batch->truncated(i)) {
            ++run.truncated;
            continue;
          }
          const timespec t = batch->stamp(i);
          table.add(datagramFrom(batch->from(i), local, batch->data(i)), t.tv_sec,
                    static_cast<std::uint32_t>(t.tv_nsec));
        }
        if (n < static_cast<int>(UdpBatch::kSize)) break;
      }
      wait();
    });
  };
  asio::steady_timer deadline(io, std::chrono::microseconds(static_cast<std::int64_t>(o.durationS * 1e6)));
  deadline.async_wait([&](const boost::system::error_code&) { io.stop(); });
  wait();
  io.run();
  return run;
}

}  // namespace p2pmon::probes
