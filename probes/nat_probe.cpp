#include "probes/nat_probe.hpp"

#include <utility>  // before Boost.Asio: Boost 1.74 + C++20 needs it

#include <boost/asio.hpp>

#include <poll.h>

#include <algorithm>
#include <array>
#include <random>
#include <thread>

#include "probes/stun_server.hpp"

namespace p2pmon::probes::nat {

namespace asio = boost::asio;
using asio::ip::udp;
using Clock = std::chrono::steady_clock;

namespace {

struct Answer {
  stun::Message message;
  stun::Address from;
};

class Session {
 public:
  explicit Session(const NatProbeOptions& o) : o_(o), rng_(std::random_device{}()) {}

  udp::socket fresh() {
    udp::socket s(io_);
    const auto ep = toEndpoint(*stun::parseAddress(o_.bind + ":0"));
    s.open(ep.protocol());
    s.bind(ep);
    s.non_blocking(true);
    return s;
  }

  stun::TransactionId newId() {
    stun::TransactionId id;
    for (auto& b : id) b = static_cast<std::uint8_t>(rng_());
    return id;
  }

  // Waits up to `wait` for a STUN message with transaction id `id` on `s`.
  std::optional<Answer> await(udp::socket& s, const stun::TransactionId& id, std::chrono::milliseconds wait) {
    const auto deadline = Clock::now() + wait;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd p{s.native_handle(), POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count()) + 1) != 1) continue;
      std::array<std::uint8_t, stun::kMaxDatagram> buf{};
      udp::endpoint from;
      boost::system::error_code ec;
      const auto n = s.receive_from(asio::buffer(buf), from, 0, ec);
      if (ec) continue;  // ICMP errors and the like: keep waiting until the deadline
      auto m = stun::decode(std::span<const std::uint8_t>(buf.data(), n));
      if (m && m->id == id) return Answer{std::move(*m), toStunAddress(from)};
    }
  }

  // One request with retransmissions (RFC 5389 §7.2.1, doubling RTO).
  std::optional<Answer> transact(udp::socket& s, const stun::Address& to, stun::ChangeRequest change = {},
                                 std::optional<std::uint16_t> responsePort = std::nullopt) {
    return transact(s, to, stun::bindingRequest(newId(), change, responsePort), o_.rto,
                    o_.transmissions);
  }
  std::optional<Answer> transact(udp::socket& s, const stun::Address& to, const stun::Message& m,
                                 std::chrono::milliseconds firstRto, int transmissions) {
    const auto& id = m.id;
    const auto bytes = stun::encode(m);
    auto rto = firstRto;
    for (int i = 0; i < transmissions; ++i, rto *= 2) {
      boost::system::error_code ec;
      s.send_to(asio::buffer(bytes), toEndpoint(to), 0, ec);
      if (auto a = await(s, id, rto)) return a;
    }
    return std::nullopt;
  }

  void log(const std::string& line) const {
    if (o_.log) o_.log(line);
  }

  // The address this host sends from towards the server (routing decides).
  std::optional<stun::Address> localTowardsServer(const udp::socket& s) {
    try {
      udp::socket probe(io_);
      probe.connect(toEndpoint(o_.server));
      auto a = toStunAddress(probe.local_endpoint());
      a.port = s.local_endpoint().port();
      return a;
    } catch (const boost::system::system_error&) {
      return std::nullopt;
    }
  }

 private:
  const NatProbeOptions& o_;
  asio::io_context io_;
  std::mt19937 rng_;
};

std::optional<stun::Address> mappedOf(const std::optional<Answer>& a) {
  if (!a || stun::classOf(a->message.type) != stun::MessageClass::success) return std::nullopt;
  return stun::findMapped(a->message);
}

bool success(const std::optional<Answer>& a) {
  return a && stun::classOf(a->message.type) == stun::MessageClass::success;
}

// RFC 5780 §4.5: a binding made at t=0 is still there after `wait` when an
// answer sent to it (RESPONSE-PORT from a second socket) arrives.
std::optional<bool> bindingAlive(Session& s, const NatProbeOptions& o, std::chrono::seconds wait) {
  auto a = s.fresh();
  const auto x = mappedOf(s.transact(a, o.server));
  if (!x) return std::nullopt;
  std::this_thread::sleep_for(wait);
  auto b = s.fresh();
  const auto id = s.newId();
  const auto bytes = stun::encode(stun::bindingRequest(id, {}, x->port));
  auto rto = o.rto;
  for (int i = 0; i < o.transmissions; ++i, rto *= 2) {
    boost::system::error_code ec;
    b.send_to(asio::buffer(bytes), toEndpoint(o.server), 0, ec);
    if (s.await(a, id, rto)) return true;
  }
  return false;
}

}  // namespace

NatReport probeNat(const NatProbeOptions& o) {
  const auto started = Clock::now();
  NatReport r;
  r.server = o.server.str();
  Session s(o);
  auto done = [&] {
    r.elapsedMs = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
    return r;
  };

  // Mapping (§4.3) on one socket.
  auto m = s.fresh();
  r.mapping.local = s.localTowardsServer(m);
  const auto t1 = s.transact(m, o.server);
  r.mapping.x1 = mappedOf(t1);
  s.log("mapping test I: " + (r.mapping.x1 ? r.mapping.x1->str() : std::string("no answer")));
  if (!r.mapping.x1) {
    r.error = "timeout";
    r.detail = "no answer from " + r.server + ": UDP blocked or no STUN server";
    return done();
  }
  r.otherAddress = stun::findAddress(t1->message, stun::attr::kOtherAddress);
  if (!r.otherAddress) r.otherAddress = stun::findAddress(t1->message, stun::attr::kChangedAddress);
  if (!r.otherAddress || r.otherAddress->sameIp(o.server) || r.otherAddress->port == o.server.port) {
    r.error = "bad_response";
    r.detail = "the server has no alternate address (OTHER-ADDRESS): behaviour tests need one";
    return done();
  }
  stun::Address altIpPrimaryPort = *r.otherAddress;
  altIpPrimaryPort.port = o.server.port;
  r.mapping.x2 = mappedOf(s.transact(m, altIpPrimaryPort));
  s.log("mapping test II: " + (r.mapping.x2 ? r.mapping.x2->str() : std::string("no answer")));
  if (r.mapping.x2 && !(*r.mapping.x2 == *r.mapping.x1)) {
    r.mapping.x3 = mappedOf(s.transact(m, *r.otherAddress));
    s.log("mapping test III: " + (r.mapping.x3 ? r.mapping.x3->str() : std::string("no answer")));
  }

  // Filtering (§4.4) on a fresh socket, so the mapping tests opened nothing.
  auto f = s.fresh();
  r.filtering.test1 = success(s.transact(f, o.server));
  if (r.filtering.test1) {
    r.filtering.test2 = success(s.transact(f, o.server, {true, true}));
    if (!r.filtering.test2) r.filtering.test3 = success(s.transact(f, o.server, {false, true}));
  }
  s.log(std::string("filtering: test II ") + (r.filtering.test2 ? "answered" : "no answer") +
        (r.filtering.test3 ? std::string(", test III ") + (*r.filtering.test3 ? "answered" : "no answer") : ""));

  // Hairpinning (§4.6): a second socket sends to the first one's mapping.
  if (o.hairpinning) {
    auto h = s.fresh();
    if (const auto xh = mappedOf(s.transact(h, o.server))) {
      auto sender = s.fresh();
      const auto id = s.newId();
      const auto bytes = stun::encode(stun::bindingRequest(id));
      bool arrived = false;
      auto rto = o.rto;
      for (int i = 0; i < o.transmissions && !arrived; ++i, rto *= 2) {
        boost::system::error_code ec;
        sender.send_to(asio::buffer(bytes), toEndpoint(*xh), 0, ec);
        arrived = s.await(h, id, rto).has_value();
      }
      r.hairpinning = arrived;
      s.log(std::string("hairpinning: ") + (arrived ? "yes" : "no"));
    }
  }

  // TCP reachability: the server connects back to our public IP on the
  // ports asked and answers once done, so the first wait covers its
  // connect timeout (2 s); retransmissions meanwhile are dropped by it.
  if (!o.tcpPorts.empty()) {
    auto t = s.fresh();
    auto req = stun::bindingRequest(s.newId());
    stun::addTcpCheck(req, o.tcpPorts);
    const auto answer =
        s.transact(t, o.server, req, std::chrono::milliseconds(2500), std::min(o.transmissions, 2));
    if (!answer) {
      r.tcpError = "timeout";
    } else if (auto results = stun::findTcpResults(answer->message)) {
      r.tcp = std::move(*results);
    } else {
      r.tcpError = "not_supported";
    }
    s.log("tcp reachability: " + (r.tcpError.empty() ? std::to_string(r.tcp.size()) + " port(s) answered" : r.tcpError));
  }

  // Binding lifetime (§4.5): doubling waits, then halving the gap to 1 s.
  if (o.lifetime) {
    long alive = 0;
    long dead = 0;
    for (long w = 1; w <= o.lifetimeMax.count(); w *= 2) {
      const auto ok = bindingAlive(s, o, std::chrono::seconds(w));
      s.log("binding after " + std::to_string(w) + " s: " + (ok ? (*ok ? "alive" : "gone") : "no answer"));
      if (!ok) break;
      if (*ok) alive = w;
      else { dead = w; break; }
    }
    while (dead != 0 && dead - alive > 1) {
      const long w = (alive + dead) / 2;
      const auto ok = bindingAlive(s, o, std::chrono::seconds(w));
      s.log("binding after " + std::to_string(w) + " s: " + (ok ? (*ok ? "alive" : "gone") : "no answer"));
      if (!ok) break;
      (*ok ? alive : dead) = w;
    }
    if (alive > 0) r.lifetimeS = static_cast<double>(alive);
    if (dead > 0) r.lifetimeDeadS = static_cast<double>(dead);
  }
  return done();
}

core::Expected<stun::Address> resolveStunServer(const std::string& host, std::uint16_t port,
                                                const std::string& bind) {
  try {
    asio::io_context io;
    udp::resolver resolver(io);
    const bool wantV6 = bind.find(':') != std::string::npos;
    for (const auto& e : resolver.resolve(host, std::to_string(port))) {
      if (e.endpoint().address().is_v6() == wantV6) return toStunAddress(e.endpoint());
    }
    return core::makeError("unreachable", "no address of " + host + " in the family of --bind " + bind);
  } catch (const std::exception& e) {
    return core::makeError("unreachable", "cannot resolve " + host + ": " + e.what());
  }
}

}  // namespace p2pmon::probes::nat
