#include "probes/tcp_reach.hpp"

#include <algorithm>

namespace p2pmon::probes {

namespace asio = boost::asio;
using asio::ip::tcp;

struct TcpReachChecker::Check {
  explicit Check(asio::io_context& io) : timer(io) {}
  asio::ip::address ip;
  std::vector<std::unique_ptr<tcp::socket>> sockets;
  std::vector<stun::TcpResult> results;
  std::vector<bool> timedOut;
  std::size_t remaining = 0;
  asio::steady_timer timer;
  Done done;
};

TcpReachChecker::TcpReachChecker(asio::io_context& io, TcpReachLimits limits)
    : io_(io), limits_(limits) {}

TcpReachChecker::~TcpReachChecker() {
  stop();
}

void TcpReachChecker::stop() {
  *alive_ = false;
  for (auto& c : checks_) {
    c->timer.cancel();
    for (auto& s : c->sockets) {
      boost::system::error_code ec;
      s->close(ec);
    }
  }
  checks_.clear();
  inFlight_.clear();
}

void TcpReachChecker::check(const asio::ip::address& ip, const std::vector<std::uint16_t>& ports,
                            Done done) {
  auto c = std::make_shared<Check>(io_);
  c->ip = ip;
  c->done = std::move(done);
  c->remaining = ports.size();
  c->timedOut.assign(ports.size(), false);
  inFlight_.insert(ip);
  checks_.push_back(c);
  std::weak_ptr<bool> alive = alive_;
  auto finishOne = [this, alive, c] {
    if (alive.expired() || !*alive.lock() || --c->remaining != 0) return;
    c->timer.cancel();
    inFlight_.erase(c->ip);
    checks_.erase(std::remove(checks_.begin(), checks_.end(), c), checks_.end());
    auto report = std::move(c->done);
    report(std::move(c->results));
  };
  for (std::size_t i = 0; i < ports.size(); ++i) {
    c->results.push_back({ports[i], stun::TcpReach::error});
    auto& s = *c->sockets.emplace_back(std::make_unique<tcp::socket>(io_));
    s.async_connect({ip, ports[i]}, [c, i, finishOne](const boost::system::error_code& ec) {
      auto& r = c->results[i].reach;
      if (!ec) {
        r = stun::TcpReach::reachable;
      } else if (ec == asio::error::connection_refused) {
        r = stun::TcpReach::refused;
      } else if (ec == asio::error::operation_aborted && c->timedOut[i]) {
        r = stun::TcpReach::timeout;
      } else {
        r = stun::TcpReach::error;
      }
      boost::system::error_code ignored;
      c->sockets[i]->close(ignored);
      finishOne();
    });
  }
  c->timer.expires_after(limits_.connectTimeout);
  c->timer.async_wait([c](const boost::system::error_code& ec) {
    if (ec) return;  // every connect finished first, or stop()
    for (std::size_t i = 0; i < c->sockets.size(); ++i) {
      if (!c->sockets[i]->is_open()) continue;
      c->timedOut[i] = true;
      boost::system::error_code ignored;
      c->sockets[i]->cancel(ignored);
      c->sockets[i]->close(ignored);
    }
  });
}

}  // namespace p2pmon::probes
