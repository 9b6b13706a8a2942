// p2pmon-peer: one Chord overlay peer, or a swarm of them in one process
// (--swarm N), on UDP, each optionally a SIP registrar/proxy. Prints
// `peer <node-id> <addr>:<port>[ sip=..][ stun=..][ stun-alt=..][ rtp=..]` per
// peer once bound (each an <addr>:<port>) and
// `ready <N> peers` once all are; SIGTERM/SIGINT leave gracefully.
#include <atomic>
#include <csignal>
#include <iostream>
#include <map>
#include <memory>
#include <thread>

#include <unistd.h>

#include "core/log.hpp"
#include "core/version.hpp"
#include "overlay-agent/media_services.hpp"
#include "overlay-agent/overlay_port.hpp"
#include "overlay-agent/peer_agent.hpp"
#include "overlay-agent/peer_options.hpp"
#include "overlay-agent/peer_swarm.hpp"
#include "overlay-agent/result_pusher.hpp"
#include "overlay-agent/sip_service.hpp"
#include "overlay-agent/sofia_loop.hpp"

using namespace p2pmon;
namespace asio = boost::asio;
using asio::ip::udp;

namespace {
// After the Leave messages: time for their answers and retransmissions
// (PeerConfig::requestTimeoutMs is 300 ms per attempt).
constexpr std::chrono::milliseconds kLeaveGrace{300};
// At exit, what the agent's outbox still holds may be sent this long; the
// rest stays in the spool for the next start.
constexpr std::chrono::milliseconds kOutboxGrace{2000};

udp::endpoint resolve(udp::resolver& resolver, const core::HostPort& hp, const char* option) {
  boost::system::error_code ec;
  auto results = resolver.resolve(udp::v4(), hp.host, std::to_string(hp.port),
                                  udp::resolver::numeric_service, ec);
  if (ec || results.empty()) {
    results =
        resolver.resolve(hp.host, std::to_string(hp.port), udp::resolver::numeric_service, ec);
  }
  if (ec || results.empty()) {
    throw std::runtime_error(std::string("--") + option + " " + hp.str() + ": cannot resolve" +
                             (ec ? ": " + ec.message() : ""));
  }
  return results.begin()->endpoint();
}

// The SIP side of every peer: one SofiaLoop thread, one SipService per
// peer. Started before the engines, so that each engine's diagnostics
// name its SIP port; each service reaches its engine once the swarm has
// started it (attach).
struct SipSide {
  std::unique_ptr<overlay::SofiaLoop> loop;
  std::vector<std::unique_ptr<overlay::UdpHostPort>> ports;
  std::vector<std::unique_ptr<overlay::SipService>> services;
  std::map<core::NodeId, std::size_t> byId;

  void start(const overlay::PeerOptions& opts, asio::io_context& io, overlay::UdpHost& host,
             overlay::SwarmPlan& plan, asio::ip::udp::resolver& resolver) {
    loop = std::make_unique<overlay::SofiaLoop>();
    for (std::size_t i = 0; i < plan.configs.size(); ++i) {
      overlay::SipConfig c;
      const auto bind = overlay::sipBindAddress(opts, i);
      c.host = resolve(resolver, bind, "sip-listen").address().to_string();
      c.port = bind.port;
      c.domain = opts.domain;
      c.nodeId = plan.configs[i].id;
      c.version = kVersion;
      c.limits.minExpires = opts.sipMinExpires;
      c.limits.maxExpires = opts.sipMaxExpires;
      ports.push_back(std::make_unique<overlay::UdpHostPort>(io, host, *loop));
      loop->run([&] {
        try {
          services.push_back(
              std::make_unique<overlay::SipService>(loop->root(), c, *ports.back()));
        } catch (const std::exception& e) {
          const std::string who = plan.configs.size() > 1 ? "peer " + std::to_string(i) + ": " : "";
          throw std::runtime_error(who + e.what());
        }
      });
      plan.configs[i].sipPort = services.back()->port();
      byId[c.nodeId] = i;
    }
  }
  std::string address(const overlay::ChordPeer& p) const {
    auto it = byId.find(p.config().id);
    if (it == byId.end()) return {};
    return services[it->second]->uri().substr(4);  // without "sip:"
  }
  void attach(overlay::ChordPeer& p) {
    if (auto it = byId.find(p.config().id); it != byId.end()) ports[it->second]->attach(p);
  }
  // The services go first (on their thread), then the thread.
  void stop() {
    if (!loop) return;
    loop->run([this] { services.clear(); });
    loop->stop();
  }
};
}  // namespace

int main(int argc, char** argv) try {
  auto parsed = overlay::parsePeerOptions(argc, argv, std::cout);
  if (!parsed) return 0;
  const overlay::PeerOptions& opts = *parsed;
  core::setLogLevel(opts.logLevel);

  // Signals are taken by sigwait below; the io thread started later inherits the mask.
  sigset_t stopSignals;
  sigemptyset(&stopSignals);
  sigaddset(&stopSignals, SIGINT);
  sigaddset(&stopSignals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);

  asio::io_context io;
  udp::resolver resolver(io);
  overlay::SwarmPlan plan;
  for (const auto& b : opts.bootstrap) {
    plan.bootstrap.push_back(overlay::fromAsio(resolve(resolver, b, "bootstrap")));
  }
  // Every Node-ID is read (or created) before anything binds: a bad state
  // directory is a start-up error, not a half-started swarm.
  for (std::size_t i = 0; i < overlay::peerCount(opts); ++i) {
    const std::string path = overlay::nodeIdPath(opts, i);
    const auto id = path.empty() ? overlay::randomNodeId() : overlay::loadOrCreateNodeId(path);
    plan.configs.push_back(overlay::peerConfig(opts, id));
    plan.binds.push_back(resolve(resolver, overlay::bindAddress(opts, i), "listen"));
  }

  overlay::UdpHost host(io);
  SipSide sip;
  if (opts.sip) sip.start(opts, io, host, plan, resolver);
  overlay::MediaServices media;
  std::map<core::NodeId, std::string> mediaLine;  // " stun=.. rtp=.." per peer
  for (std::size_t i = 0; i < plan.configs.size(); ++i) {
    const auto bound = media.add(opts, i);
    plan.configs[i].stunPort = bound.stunPort;
    plan.configs[i].rtpPort = bound.rtpPort;
    std::string& line = mediaLine[plan.configs[i].id];
    if (!bound.stun.empty()) line += " stun=" + bound.stun;
    if (!bound.stunAlt.empty()) line += " stun-alt=" + bound.stunAlt;
    if (!bound.rtp.empty()) line += " rtp=" + bound.rtp;
  }
  media.run();
  // The embedded agent (docs/operations.md): on when a push target is given.
  std::unique_ptr<agent::ResultOutbox> outbox;
  std::unique_ptr<overlay::PeerAgent> peerAgent;
  if (opts.agent.enabled) {
    auto made = agent::makeOutbox(opts.agent.push);
    if (!made) throw std::runtime_error("agent: " + made.error().message);
    outbox = std::move(made).value();
    peerAgent = std::make_unique<overlay::PeerAgent>(io, host, opts.agent, *outbox);
    peerAgent->start();
  }
  overlay::PeerSwarm swarm(io, host, plan);
  std::atomic<bool> failed{false};
  swarm.start(
      [&sip, &mediaLine, &peerAgent, index = std::size_t{0}](overlay::ChordPeer& p) mutable {
        if (peerAgent) peerAgent->addPeer(p, index++);
        std::string line = "peer " + p.config().id.hex() + " " + p.config().endpoint.str();
        if (sip.loop) {
          line += " sip=" + sip.address(p);
          sip.attach(p);
        }
        if (auto it = mediaLine.find(p.config().id); it != mediaLine.end()) line += it->second;
        std::cout << line << std::endl;
      },
      [n = plan.configs.size(), &opts] {
        std::cout << "ready " << n << " peers" << std::endl;
        core::logInfo("p2pmon-peer: " + std::to_string(n) + " peer(s) started in overlay '" +
                      opts.overlay + "'" +
                      (opts.bootstrap.empty() ? ", a new overlay"
                                              : ", joining through " + opts.bootstrap[0].str()));
      },
      [&failed](const std::string& why) {
        core::logError(why);
        failed = true;
        kill(getpid(), SIGTERM);  // ends the sigwait below; exit 2
      });
  auto work = asio::make_work_guard(io);
  std::thread ioThread([&io] { io.run(); });

  int sig = 0;
  sigwait(&stopSignals, &sig);
  core::logInfo(std::string("stopping on ") + (sig == SIGINT ? "SIGINT" : "SIGTERM") +
                ": every peer leaves the overlay");
  if (peerAgent) peerAgent->stop();  // before the peers go, so no check sees them leave
  sip.stop();
  media.stop();
  asio::post(io, [&] {
    swarm.stop();
    host.leaveAll();
  });
  std::this_thread::sleep_for(kLeaveGrace);
  io.stop();
  ioThread.join();

  const auto health = overlay::healthOf(host.peers());
  core::logInfo("stopped " + std::to_string(health.peers) + " peer(s); sent " +
                std::to_string(health.sent) + ", received " + std::to_string(health.received) +
                ", request timeouts " + std::to_string(health.timeouts) +
                "; dropped datagrams: " + overlay::formatDropped(health.dropped));
  if (!media.empty()) core::logInfo("media services: " + media.summary());
  if (peerAgent) {
    core::logInfo(peerAgent->summary());
    outbox->stop(kOutboxGrace);
    const auto o = outbox->stats();
    core::logInfo("agent outbox: submitted " + std::to_string(o.submitted) + ", sent " +
                  std::to_string(o.sent) + ", rejected " + std::to_string(o.rejected) +
                  ", dropped (spool full) " + std::to_string(o.droppedFull) + ", left in spool " +
                  std::to_string(o.queued));
  }
  return failed ? 2 : 0;
} catch (const std::exception& e) {
  std::cerr << "p2pmon-peer: " << e.what() << "\n";
  return 2;
}
