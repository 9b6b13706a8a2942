// StunServer on real loopback sockets: four addresses (127.0.0.1 and
// 127.0.0.2, free ports), answers from the right one, bad datagrams counted
// and the service going on.
#include <utility>  // before Boost.Asio (Boost 1.74 + C++20)

#include <doctest/doctest.h>

#include <poll.h>

#include <thread>

#include "probes/stun_server.hpp"

using namespace p2pmon::probes;
namespace asio = boost::asio;
using asio::ip::udp;

namespace {

struct Running {
  asio::io_context io;
  std::unique_ptr<StunServer> server;
  std::thread thread;
  explicit Running(StunServerConfig c) {
    server = std::make_unique<StunServer>(io, std::move(c));
    server->start();
    thread = std::thread([this] {
      auto guard = asio::make_work_guard(io);
      io.run();
    });
  }
  ~Running() { finish(); }
  void finish() {
    if (!thread.joinable()) return;
    asio::post(io, [this] { server->stop(); io.stop(); });
    thread.join();
  }
};

struct Client {
  asio::io_context io;
  udp::socket sock{io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
  // Sends and waits up to a second for one datagram; empty when none came.
  std::optional<std::pair<stun::Message, udp::endpoint>> ask(const std::vector<std::uint8_t>& bytes,
                                                              const udp::endpoint& to) {
    sock.send_to(asio::buffer(bytes), to);
    // Asio's blocking receive ignores SO_RCVTIMEO: wait with poll().
    pollfd p{sock.native_handle(), POLLIN, 0};
    if (::poll(&p, 1, 1000) != 1) return std::nullopt;
    std::array<std::uint8_t, 2048> buf{};
    udp::endpoint from;
    boost::system::error_code ec;
    const auto n = sock.receive_from(asio::buffer(buf), from, 0, ec);
    if (ec) return std::nullopt;
    auto m = stun::decode(std::span<const std::uint8_t>(buf.data(), n));
    REQUIRE(m.ok());
    return std::make_pair(*m, from);
  }
};

StunServerConfig twoAddresses() {
  StunServerConfig c;
  c.primary = udp::endpoint(asio::ip::make_address("127.0.0.1"), 0);
  c.alternate = udp::endpoint(asio::ip::make_address("127.0.0.2"), 0);
  return c;
}

}  // namespace

TEST_CASE("stun server: four loopback addresses answer CHANGE-REQUEST from the right socket") {
  Running r(twoAddresses());
  const auto eps = r.server->endpoints();
  REQUIRE(eps.size() == 4);
  CHECK(eps[0] == r.server->primary());
  CHECK(eps[3] == *r.server->alternate());
  CHECK(eps[1].port() == eps[3].port());
  CHECK(eps[2].port() == eps[0].port());
  CHECK(eps[0].port() != eps[3].port());

  Client c;
  struct Case { stun::ChangeRequest change; int from; };
  for (auto k : {Case{{}, 0}, Case{{false, true}, 1}, Case{{true, false}, 2}, Case{{true, true}, 3}}) {
    CAPTURE(k.from);
    auto got = c.ask(stun::encode(stun::bindingRequest({1, 2, 3}, k.change)), eps[0]);
    REQUIRE(got);
    CHECK(got->second == eps[k.from]);
    CHECK(stun::findMapped(got->first) == toStunAddress(c.sock.local_endpoint()));
    CHECK(stun::findAddress(got->first, stun::attr::kResponseOrigin) == toStunAddress(eps[k.from]));
    CHECK(stun::findAddress(got->first, stun::attr::kOtherAddress) == toStunAddress(eps[3]));
  }
  r.finish();
  CHECK(r.server->stats().answered == 4);
}

TEST_CASE("stun server: bad datagrams are dropped and counted, service goes on") {
  Running r(twoAddresses());
  Client c;
  const auto to = r.server->primary();
  const std::vector<std::uint8_t> junk{1, 2, 3};
  CHECK_FALSE(c.ask(junk, to));
  auto bad = stun::encode(stun::bindingRequest({1}));
  bad[3] = 4;  // length field lies
  auto fp = stun::bindingRequest({2});
  fp.fingerprint = true;
  auto badFp = stun::encode(fp);
  badFp.back() ^= 0xFF;
  c.sock.send_to(asio::buffer(bad), to);
  c.sock.send_to(asio::buffer(badFp), to);
  c.sock.send_to(asio::buffer(std::vector<std::uint8_t>(3000, 0)), to);  // longer than any STUN datagram
  auto ok = c.ask(stun::encode(stun::bindingRequest({3})), to);
  REQUIRE(ok);
  CHECK(ok->first.id == stun::TransactionId{3});
  r.finish();
  const auto& s = r.server->stats();
  CHECK(s.received == 5);
  CHECK(s.answered == 1);
  CHECK(s.dropped.at("too_short") == 1);
  CHECK(s.dropped.at("bad_length") == 1);
  CHECK(s.dropped.at("bad_fingerprint") == 1);
  CHECK(s.dropped.at("too_long") == 1);
  CHECK(r.server->statsJson().find("\"bad_fingerprint\":1") != std::string::npos);
}

TEST_CASE("stun server: one address answers CHANGE-REQUEST with 420") {
  StunServerConfig cfg;
  cfg.primary = udp::endpoint(asio::ip::make_address("127.0.0.1"), 0);
  Running r(cfg);
  CHECK_FALSE(r.server->alternate());
  CHECK(r.server->endpoints().size() == 1);
  Client c;
  auto got = c.ask(stun::encode(stun::bindingRequest({1}, {true, true})), r.server->primary());
  REQUIRE(got);
  CHECK(stun::findErrorCode(got->first)->code == 420);
}

TEST_CASE("stun server: inconsistent configurations are refused at start-up") {
  asio::io_context io;
  StunServerConfig c = twoAddresses();
  c.alternate = udp::endpoint(asio::ip::make_address("127.0.0.1"), 0);
  CHECK_THROWS(StunServer(io, c));
  c.primary = udp::endpoint(asio::ip::make_address("0.0.0.0"), 0);
  c.alternate = udp::endpoint(asio::ip::make_address("127.0.0.2"), 0);
  CHECK_THROWS(StunServer(io, c));
}

namespace {
// A listening TCP socket whose accept queue is full: Linux drops further
// SYNs, so a connect to it times out (backlog 0 holds one connection).
struct FullListener {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor{io};
  asio::ip::tcp::socket filler{io};
  FullListener() {
    acceptor.open(asio::ip::tcp::v4());
    acceptor.bind({asio::ip::make_address("127.0.0.1"), 0});
    acceptor.listen(0);
    filler.connect(acceptor.local_endpoint());
  }
  std::uint16_t port() const { return acceptor.local_endpoint().port(); }
};

std::uint16_t closedTcpPort() {
  asio::io_context io;
  asio::ip::tcp::acceptor a(io, {asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();  // closed again when `a` goes
}

std::vector<std::uint8_t> tcpCheckRequest(stun::TransactionId id, std::vector<std::uint16_t> ports) {
  auto m = stun::bindingRequest(id);
  stun::addTcpCheck(m, ports);
  m.fingerprint = true;
  return stun::encode(m);
}
}  // namespace

TEST_CASE("stun server: TCP reachability: reachable, refused and timed-out ports") {
  StunServerConfig cfg = twoAddresses();
  cfg.tcpLimits.connectTimeout = std::chrono::milliseconds(300);
  Running r(cfg);
  asio::io_context io;
  asio::ip::tcp::acceptor open(io, {asio::ip::make_address("127.0.0.1"), 0});
  FullListener full;
  const std::uint16_t closed = closedTcpPort();
  Client c;
  const auto req = tcpCheckRequest({7}, {open.local_endpoint().port(), closed, full.port()});
  // The retransmission arrives while the check runs: dropped, one answer.
  c.sock.send_to(asio::buffer(req), r.server->primary());
  auto got = c.ask(req, r.server->primary());
  REQUIRE(got);
  CHECK(got->first.fingerprint);
  CHECK(stun::findMapped(got->first) == toStunAddress(c.sock.local_endpoint()));
  const auto results = stun::findTcpResults(got->first);
  REQUIRE(results);
  CHECK(*results == std::vector<stun::TcpResult>{{open.local_endpoint().port(), stun::TcpReach::reachable},
                                                  {closed, stun::TcpReach::refused},
                                                  {full.port(), stun::TcpReach::timeout}});
  r.finish();
  CHECK(r.server->stats().tcpChecks == 1);
  CHECK(r.server->stats().dropped.at("tcp_check_busy") == 1);
  CHECK(r.server->stats().answered == 1);
}

TEST_CASE("stun server: TCP reachability over the limit is answered 'limited' at once") {
  StunServerConfig cfg = twoAddresses();
  cfg.tcpLimits.maxInFlight = 0;
  Running r(cfg);
  Client c;
  auto got = c.ask(tcpCheckRequest({8}, {closedTcpPort()}), r.server->primary());
  REQUIRE(got);
  const auto results = stun::findTcpResults(got->first);
  REQUIRE(results);
  REQUIRE(results->size() == 1);
  CHECK((*results)[0].reach == stun::TcpReach::limited);
  r.finish();
  CHECK(r.server->stats().tcpLimited == 1);
  CHECK(r.server->stats().tcpChecks == 0);
}
