// A fake overlay peer for the crawler's tests over real UDP: it answers
// DiagReq (and nothing else) the way a broken or hostile peer might. It
// prints "fake <node-id> 127.0.0.1:<port>" once bound and runs until
// SIGTERM/SIGINT or --seconds pass.
//   --mode loop        names only itself in every list
//   --mode huge        full lists (32 each) naming random ones of its own
//                      --sockets N ports under fresh random Node-IDs, new in
//                      every answer: an overlay that seems to have no end
//   --mode contradict  a different Node-ID in every answer and lists in
//                      random order naming the --peer arguments
//   --mode garbage     malformed answers in turn: truncated, with bytes
//                      after the body, random bytes (never a valid one)
//   --mode bridge      successors: the --peer arguments given with
//                      --successor, predecessors: those given with --predecessor
// Peers are given as ID@ADDR:PORT.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstring>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "overlay-agent/overlay_client.hpp"
#include "overlay-agent/wire_codec.hpp"

using namespace p2pmon;
using namespace p2pmon::overlay;

namespace {
volatile std::sig_atomic_t stopRequested = 0;
void onSignal(int) {
  stopRequested = 1;
}

PeerRef parsePeer(const std::string& s) {
  const auto at = s.find('@');
  auto id = NodeId::fromHex(s.substr(0, at));
  auto ep = resolveEndpoint(at == std::string::npos ? "" : s.substr(at + 1));
  if (at == std::string::npos || !id || !ep)
    throw std::runtime_error("bad peer " + s + " (ID@ADDR:PORT)");
  return PeerRef{*id, *ep};
}

NodeId randomId(std::mt19937_64& rng) {
  NodeId id{rng(), rng()};
  if (id == NodeId{}) id.lo = 1;
  return id;
}
}  // namespace

int main(int argc, char** argv) try {
  std::string mode = "loop", overlayName = "p2pmon";
  std::vector<PeerRef> successors, predecessors;
  double seconds = 300;
  std::size_t sockets = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--mode")
      mode = next();
    else if (a == "--overlay")
      overlayName = next();
    else if (a == "--successor")
      successors.push_back(parsePeer(next()));
    else if (a == "--predecessor")
      predecessors.push_back(parsePeer(next()));
    else if (a == "--seconds")
      seconds = std::stod(next());
    else if (a == "--sockets")
      sockets = std::clamp<std::size_t>(std::stoul(next()), 1, 900);
    else
      throw std::runtime_error("unknown argument " + a);
  }
  std::vector<pollfd> fds;
  std::vector<std::uint16_t> ports;
  for (std::size_t i = 0; i < sockets; ++i) {
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0)
      throw std::runtime_error(std::string("cannot bind: ") + std::strerror(errno));
    fds.push_back({fd, POLLIN, 0});
    ports.push_back(ntohs(sa.sin_port));
  }
  std::mt19937_64 rng(std::random_device{}());
  const PeerRef self{randomId(rng), Endpoint::v4(0x7f000001, ports.front())};
  std::cout << "fake " << self.id.hex() << " " << self.endpoint.str() << std::endl;
  std::signal(SIGTERM, onSignal);
  std::signal(SIGINT, onSignal);
  const std::uint32_t hash = overlayHash(overlayName);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  std::vector<std::uint8_t> buf(65536);
  std::uint64_t answers = 0;
  while (stopRequested == 0 && std::chrono::steady_clock::now() < deadline) {
    if (::poll(fds.data(), fds.size(), 100) <= 0) continue;
    for (auto& p : fds) {
      if ((p.revents & POLLIN) == 0) continue;
      const int fd = p.fd;
      sockaddr_in from{};
      socklen_t fromLen = sizeof from;
      const auto n =
          ::recvfrom(fd, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &fromLen);
      if (n <= 0) continue;
      auto m = decode(std::span<const std::uint8_t>(buf.data(), static_cast<std::size_t>(n)), hash);
      if (!m || !std::holds_alternative<DiagReq>(m->body)) continue;
      Message ans;
      ans.header = m->header;
      ans.header.sender = self.id;
      DiagAns d;
      d.self = self;
      d.uptime = 100;
      d.softwareVersion = "fake-peer " + mode;
      if (mode == "loop") {
        d.successors = d.predecessors = d.fingers = {self, self, self};
      } else if (mode == "huge") {
        for (auto* list : {&d.successors, &d.predecessors, &d.fingers})
          for (std::size_t k = 0; k < kMaxPeerList; ++k)
            list->push_back({randomId(rng), Endpoint::v4(0x7f000001, ports[rng() % ports.size()])});
      } else if (mode == "contradict") {
        ans.header.sender = randomId(rng);
        d.self.id = ans.header.sender;
        d.successors = successors;
        std::shuffle(d.successors.begin(), d.successors.end(), rng);
        d.predecessors = d.successors;
        std::shuffle(d.predecessors.begin(), d.predecessors.end(), rng);
      } else if (mode == "garbage") {
        d.successors = {self};
      } else if (mode == "bridge") {
        d.successors = successors;
        d.predecessors = predecessors;
      } else {
        throw std::runtime_error("unknown mode " + mode);
      }
      ans.body = d;
      auto bytes = encode(ans);
      if (mode == "garbage") {
        switch (answers % 3) {
          case 0:
            bytes.resize(bytes.size() - 1);
            break;
          case 1:
            bytes.insert(bytes.end(), 100, 0x5a);
            break;
          default:
            for (auto& b : bytes) b = static_cast<std::uint8_t>(rng());
        }
      }
      ++answers;
      ::sendto(fd, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&from), fromLen);
    }
  }
  for (const auto& p : fds) ::close(p.fd);
  return 0;
} catch (const std::exception& e) {
  std::cerr << "fake_diag_peer: " << e.what() << "\n";
  return 2;
}
