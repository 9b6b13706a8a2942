#include "overlay-agent/overlay_client.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <random>
#include <set>

#include "core/address.hpp"
#include "overlay-agent/wire_codec.hpp"

namespace p2pmon::overlay {

namespace asio = boost::asio;
using asio::ip::udp;

namespace {
using Clock = std::chrono::steady_clock;

double msBetween(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

// State of one ask(): shared with the pending receive so that a late
// completion after the call returned touches nothing freed.
struct AskState {
  AskState(asio::io_context& io, std::uint32_t overlayHash) : socket(io), overlay(overlayHash) {}
  udp::socket socket;
  std::uint32_t overlay;
  Endpoint peer;
  std::array<std::uint8_t, kMaxMessageSize + 1> buffer{};  // +1 detects oversized datagrams
  std::map<std::uint64_t, Clock::time_point> sent;          // transaction -> send time
  std::optional<core::Expected<Message>> result;
  double rttMs = 0;
};

core::Error refused(const Endpoint& peer, const std::string& why) {
  return core::makeError("refused", why + " from " + peer.str());
}

void receiveAnswer(const std::shared_ptr<AskState>& st) {
  st->socket.async_receive(asio::buffer(st->buffer), [st](boost::system::error_code ec,
                                                          std::size_t n) {
    if (st->result || ec == asio::error::operation_aborted) return;
    if (ec == asio::error::connection_refused) {
      st->result = refused(st->peer, "port unreachable");
      return;
    }
    if (ec) {
      st->result = core::makeError("unreachable", ec.message() + " (" + st->peer.str() + ")");
      return;
    }
    auto m = decode(std::span(st->buffer.data(), n), st->overlay);
    if (!m) {
      st->result = core::makeError("bad_response", "undecodable answer from " + st->peer.str() +
                                                       " (" + m.error().code + ")");
      return;
    }
    auto it = st->sent.find(m->header.transaction);
    if (it == st->sent.end()) return receiveAnswer(st);  // stale or foreign: keep waiting
    st->rttMs = msBetween(it->second, Clock::now());
    if (const auto* err = std::get_if<ErrorAns>(&m->body)) {
      st->result = refused(st->peer, "error answer " +
                                         std::to_string(static_cast<unsigned>(err->code)) +
                                         " '" + err->text + "'");
      return;
    }
    st->result = *m;
  });
}

std::uint64_t randomWord() {
  static std::mt19937_64 rng{std::random_device{}()};
  return rng();
}
}  // namespace

core::Expected<Endpoint> resolveEndpoint(std::string_view hostPort) {
  auto hp = core::parseHostPort(hostPort);
  if (!hp) return hp.error();
  if (hp->port == 0) return core::makeError("bad_address", "port 0 in '" + std::string(hostPort) + "'");
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(hp->host, ec);
  if (!ec) return fromAsio(udp::endpoint(addr, hp->port));
  asio::io_context io;
  udp::resolver resolver(io);
  auto results = resolver.resolve(hp->host, std::to_string(hp->port), ec);
  if (ec || results.empty()) {
    return core::makeError("unreachable", "cannot resolve '" + hp->host + "': " + ec.message());
  }
  return fromAsio(results.begin()->endpoint());
}

OverlayClient::OverlayClient(ClientOptions options)
    : options_(std::move(options)),
      // A lookup hop is retried by the engine (3 attempts); keep them inside the call's budget.
      attemptTimeout_(std::clamp<std::int64_t>(options_.timeout.count() / 3, 10, 300)),
      nextTransaction_(randomWord()) {
  PeerConfig config;
  config.overlay = options_.overlay;
  config.client = true;
  config.id = NodeId{randomWord(), randomWord()};
  config.requestTimeoutMs = attemptTimeout_.count();
  config.attempts = 3;
  const udp::endpoint bind(options_.peer.family == 6 ? udp::v6() : udp::v4(), 0);
  peer_ = &host_.add(config, bind, {options_.peer});
}

OverlayClient::~OverlayClient() = default;

void OverlayClient::runUntil(const std::function<bool()>& done, Clock::time_point deadline) {
  while (!done() && Clock::now() < deadline) {
    if (io_.run_one_until(deadline) == 0) io_.restart();
  }
}

std::uint64_t OverlayClient::answersReceived() const {
  std::uint64_t n = 0;
  for (auto c : peer_->stats().received) n += c;
  return n;
}

core::Expected<OverlayClient::Answer> OverlayClient::ask(const Endpoint& to, Body body,
                                                         Clock::time_point deadline) {
  auto st = std::make_shared<AskState>(io_, peer_->overlayHash());
  st->peer = to;
  boost::system::error_code ec;
  st->socket.open(to.family == 6 ? udp::v6() : udp::v4(), ec);
  if (!ec) st->socket.connect(toAsio(to), ec);  // connected: ICMP errors reach us
  if (ec) return core::makeError("unreachable", ec.message() + " (" + to.str() + ")");
  receiveAnswer(st);
  Message m;
  m.header.overlay = peer_->overlayHash();
  m.header.sender = peer_->config().id;
  m.header.ttl = static_cast<std::uint8_t>(std::min(peer_->config().maxHops, 255));
  m.header.code = codeOf(body);
  m.body = std::move(body);
  while (!st->result && Clock::now() < deadline) {
    // A fresh transaction per attempt: the answer tells which one it was, so
    // the round-trip time excludes the attempts that were lost.
    m.header.transaction = nextTransaction_++;
    const auto bytes = encode(m);
    st->sent[m.header.transaction] = Clock::now();
    st->socket.send(asio::buffer(bytes), 0, ec);
    if (ec == asio::error::connection_refused) {
      st->result = refused(to, "port unreachable");
    } else if (ec) {
      st->result = core::makeError("unreachable", ec.message() + " (" + to.str() + ")");
    }
    runUntil([&] { return st->result.has_value(); },
             std::min(deadline, Clock::now() + attemptTimeout_));
  }
  st->socket.close(ec);  // the pending receive completes as aborted and frees st
  if (!st->result) {
    return core::makeError("timeout", "no answer from " + to.str() + " within " +
                                          std::to_string(options_.timeout.count()) + " ms");
  }
  if (!*st->result) return st->result->error();
  return Answer{st->result->value(), st->rttMs};
}

core::Expected<DiagReply> OverlayClient::diag(const Endpoint& peer, std::uint64_t flags) {
  auto a = ask(peer, DiagReq{flags}, Clock::now() + options_.timeout);
  if (!a) return a.error();
  const auto* ans = std::get_if<DiagAns>(&a->message.body);
  if (ans == nullptr) {
    return core::makeError("bad_response", "answer from " + peer.str() + " is not a DiagAns");
  }
  return DiagReply{*ans, a->message.header.sender, a->rttMs};
}

ClientOp OverlayClient::runOp(
    const std::function<void(ChordPeer&, std::function<void(const OpResult&)>, std::int64_t)>&
        start) {
  struct Done {
    std::optional<OpResult> result;
    Clock::time_point at;
  };
  auto done = std::make_shared<Done>();  // the engine may call back after a timeout
  const std::uint64_t before = answersReceived();
  const auto started = Clock::now();
  host_.call(*peer_, [&](ChordPeer& p, std::int64_t now) {
    start(
        p,
        [done](const OpResult& r) {
          if (done->result) return;
          done->result = r;
          done->at = Clock::now();
        },
        now);
  });
  runUntil([&] { return done->result.has_value(); }, started + options_.timeout);
  ClientOp out;
  out.answered = answersReceived() > before;
  if (done->result) {
    out.op = *done->result;
    out.latencyMs = msBetween(started, done->at);
  } else {
    out.op.error = "timeout";
    out.latencyMs = msBetween(started, Clock::now());
  }
  return out;
}

ClientOp OverlayClient::put(const Record& record) {
  return runOp([&](ChordPeer& p, std::function<void(const OpResult&)> done, std::int64_t now) {
    p.put(record, std::move(done), now);
  });
}

ClientOp OverlayClient::get(RecordKind kind, const std::string& name) {
  return runOp([&](ChordPeer& p, std::function<void(const OpResult&)> done, std::int64_t now) {
    p.get(kind, name, std::move(done), now);
  });
}

PathTrace OverlayClient::pathTrack(const NodeId& target, int maxHops) {
  PathTrace trace;
  trace.target = target;
  const auto deadline = Clock::now() + options_.timeout;
  std::set<NodeId> visited;
  Endpoint next = options_.peer;
  for (;;) {
    if (static_cast<int>(trace.hops.size()) >= maxHops) {
      trace.error = "ttl_exceeded";
      trace.detail = "no responsible peer within " + std::to_string(maxHops) + " hops";
      break;
    }
    auto a = ask(next, PathTrackReq{target}, deadline);
    if (!a) {
      trace.error = a.error().code;
      trace.detail = a.error().message;
      break;
    }
    const auto* ans = std::get_if<PathTrackAns>(&a->message.body);
    if (ans == nullptr) {
      trace.error = "bad_response";
      trace.detail = "answer from " + next.str() + " is not a PathTrackAns";
      break;
    }
    const NodeId id = a->message.header.sender;
    trace.hops.push_back(PathHop{next, id, a->rttMs, *ans});
    // Loop protection: a peer met twice means the routing steps go round.
    if (!visited.insert(id).second) {
      trace.error = "loop";
      trace.detail = "peer " + id.shortHex() + " met twice";
      break;
    }
    const FindAns& step = ans->step;
    if (step.done && step.peer.id == id) {
      trace.responsible = PeerRef{id, next};
      break;
    }
    // Not done: the next hop. Done but naming another peer: that peer is
    // responsible; ask it too so the path ends with its own diagnostics.
    next = step.peer.endpoint;
  }
  return trace;
}

}  // namespace p2pmon::overlay
