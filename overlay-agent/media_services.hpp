// The media services of the peers of one p2pmon-peer process: a STUN server
// (--stun-listen, --stun-alt-listen) and an RTP reflector (--rtp-reflector)
// per peer, all on one io_context and thread of their own, so that media
// load never delays the overlay's timers and a busy overlay never adds
// jitter to a reflected stream. Bound before the engines start, so that each
// engine's diagnostics name the ports (PeerConfig::stunPort, rtpPort).
#pragma once

#include <utility>  // before Boost.Asio: Boost 1.74 + C++20 needs it (toolchain.md)

#include <boost/asio.hpp>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "overlay-agent/peer_options.hpp"

namespace p2pmon::probes {
class StunServer;
class RtpReflector;
}  // namespace p2pmon::probes

namespace p2pmon::overlay {

class MediaServices {
 public:
  MediaServices();
  ~MediaServices();  // stop()
  MediaServices(const MediaServices&) = delete;
  MediaServices& operator=(const MediaServices&) = delete;

  // Binds peer `index`'s services as `opts` asks (none when it asks for
  // none) and returns what they listen on. Throws std::runtime_error naming
  // the option when a socket cannot be bound. Before run().
  struct Bound {
    std::string stun;      // "ADDR:PORT", empty without a STUN server
    std::string stunAlt;   // the alternate A2:P2, empty without one
    std::string rtp;       // the reflector, empty without one
    std::uint16_t stunPort = 0;
    std::uint16_t rtpPort = 0;
  };
  Bound add(const PeerOptions& opts, std::size_t index);
  bool empty() const { return stun_.empty() && rtp_.empty(); }

  void run();   // starts serving on the services' own thread
  void stop();  // closes every socket and joins the thread; idempotent

  // One line for the log: datagrams received, answered and dropped by reason, summed.
  std::string summary() const;

 private:
  boost::asio::io_context io_;
  std::vector<std::unique_ptr<probes::StunServer>> stun_;
  std::vector<std::unique_ptr<probes::RtpReflector>> rtp_;
  std::thread thread_;
  bool running_ = false;
};

}  // namespace p2pmon::overlay
