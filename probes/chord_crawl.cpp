#include "probes/chord_crawl.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <random>
#include <unordered_map>

#include "overlay-agent/peer_options.hpp"  // randomNodeId
#include "overlay-agent/wire_codec.hpp"
#include "probes/udp4_socket.hpp"

namespace p2pmon::probes {

using overlay::Endpoint;

ChordCrawlResult crawlChord(const ChordCrawlOptions& o) {
  using crawl::Clock;
  const auto started = Clock::now();
  Udp4Socket sock;
  const std::uint32_t overlayHash = overlay::overlayHash(o.overlay);
  const auto self = overlay::randomNodeId();

  std::unordered_map<std::string, Endpoint> endpoints;
  // The Node-ID other peers name an address with: how an unreachable
  // peer is known to the ring analysis (pointers to it are dangling).
  std::unordered_map<std::string, overlay::NodeId> namedId;
  std::vector<std::string> bootstrap;
  for (const auto& b : o.bootstrap) {
    endpoints[b.str()] = b;
    bootstrap.push_back(b.str());
  }
  crawl::CrawlEngine engine(o.limits, bootstrap, started);
  std::unordered_map<std::uint64_t, std::uint64_t> tokenOf;  // transaction id -> engine token
  std::uint64_t nextTransaction = std::random_device{}();
  std::vector<ChordPeerVisit> data;  // by visit index
  ChordCrawlResult result;
  auto lastProgress = started;
  std::array<std::uint8_t, 65536> buf{};

  overlay::Message req;
  req.header.overlay = overlayHash;
  req.header.sender = self;
  req.header.ttl = 1;
  req.header.code = overlay::MessageCode::DiagReq;
  req.body = overlay::DiagReq{overlay::kDiagAll | overlay::kDiagStoredKeys};

  while (!engine.done()) {
    auto now = Clock::now();
    for (const auto& r : engine.take(now)) {
      req.header.transaction = nextTransaction++;
      tokenOf[req.header.transaction] = r.token;
      const auto it = endpoints.find(r.address);
      if (it == endpoints.end() || !sock.send(it->second, overlay::encode(req))) {
        tokenOf.erase(req.header.transaction);
        engine.failed(r.token, it == endpoints.end() || it->second.family != 4 ? "unsupported_address"
                                                                              : "unreachable",
                      false, now);
      }
    }
    int waitMs = 100;
    if (auto d = engine.nextDeadline()) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*d - now).count() + 1;
      waitMs = static_cast<int>(std::clamp<long long>(left, 0, 100));
    }
    pollfd p{sock.fd(), POLLIN, 0};
    if (::poll(&p, 1, waitMs) == 1) {
      // Drain what has arrived, then go back to sending.
      for (int i = 0; i < 256; ++i) {
        const auto n = ::recv(sock.fd(), buf.data(), buf.size(), 0);
        if (n < 0) break;
        now = Clock::now();
        auto m = overlay::decode(std::span<const std::uint8_t>(buf.data(), static_cast<std::size_t>(n)),
                                 overlayHash);
        const auto t = m ? tokenOf.find(m->header.transaction) : tokenOf.end();
        const auto* ans = m ? std::get_if<overlay::DiagAns>(&m->body) : nullptr;
        if (t == tokenOf.end() || ans == nullptr) {
          ++result.badAnswers;
          continue;
        }
        const std::uint64_t token = t->second;
        tokenOf.erase(t);
        const auto visit = engine.visitOf(token);
        if (!visit) continue;  // timed out already
        if (data.size() <= *visit) data.resize(*visit + 1);
        ChordPeerVisit& v = data[*visit];
        v.peer.id = m->header.sender;
        v.peer.reachable = true;
        v.peer.uptimeS = ans->uptime;
        v.softwareVersion = ans->softwareVersion;
        v.routingTableSize = ans->routingTableSize;
        v.recordsStored = ans->recordsStored;
        v.bytesStored = ans->bytesStored;
        v.sipPort = ans->sipPort;
        v.stunPort = ans->stunPort;
        v.rtpPort = ans->rtpPort;
        v.storedKeys = ans->storedKeys;
        std::vector<std::string> next;
        auto take = [&](const std::vector<overlay::PeerRef>& refs, std::vector<overlay::NodeId>& ids) {
          for (const auto& ref : refs) {
            ids.push_back(ref.id);
            const auto a = ref.endpoint.str();
            endpoints.emplace(a, ref.endpoint);
            namedId.emplace(a, ref.id);
            next.push_back(a);
          }
        };
        take(ans->successors, v.peer.successors);
        take(ans->predecessors, v.peer.predecessors);
        take(ans->fingers, v.peer.fingers);
        engine.answered(token, next, now);
      }
    }
    now = Clock::now();
    engine.tick(now);
    if (o.progress && now - lastProgress >= std::chrono::milliseconds(100)) {
      lastProgress = now;
      const auto s = engine.summary();
      o.progress(s.answered + s.failed, s.discovered);
    }
  }

  const auto& visits = engine.visits();
  data.resize(visits.size());
  for (std::size_t i = 0; i < visits.size(); ++i) {
    ChordPeerVisit& v = data[i];
    v.peer.address = visits[i].address;
    v.attempts = visits[i].attempts;
    v.rttMs = visits[i].rttMs;
    if (visits[i].state != crawl::VisitState::answered) {
      v.peer.reachable = false;
      if (auto it = namedId.find(v.peer.address); it != namedId.end()) v.peer.id = it->second;
      v.error = visits[i].error.empty() ? "not_visited" : visits[i].error;
    }
  }
  result.peers = std::move(data);
  result.summary = engine.summary();
  result.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  return result;
}

}  // namespace p2pmon::probes
