#include "overlay-agent/media_services.hpp"

#include <map>
#include <stdexcept>

#include "probes/rtp_reflector.hpp"
#include "probes/stun_server.hpp"

namespace p2pmon::overlay {

namespace asio = boost::asio;
using asio::ip::udp;

namespace {
udp::endpoint resolve(asio::io_context& io, const core::HostPort& hp, const char* option) {
  udp::resolver resolver(io);
  boost::system::error_code ec;
  auto results = resolver.resolve(hp.host, std::to_string(hp.port),
                                  udp::resolver::numeric_service, ec);
  if (ec || results.empty()) {
    throw std::runtime_error(std::string("--") + option + " " + hp.str() + ": cannot resolve" +
                             (ec ? ": " + ec.message() : ""));
  }
  return results.begin()->endpoint();
}

std::string str(const udp::endpoint& ep) {
  const auto a = ep.address();
  return (a.is_v6() ? "[" + a.to_string() + "]" : a.to_string()) + ":" +
         std::to_string(ep.port());
}

// The constructors throw "cannot bind ..." without saying which option.
template <typename F>
auto named(const char* option, std::size_t index, F&& make) {
  try {
    return make();
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("--") + option + " (peer " + std::to_string(index) +
                             "): " + e.what());
  }
}
}  // namespace

MediaServices::MediaServices() = default;

MediaServices::~MediaServices() {
  stop();
}

MediaServices::Bound MediaServices::add(const PeerOptions& opts, std::size_t index) {
  Bound b;
  if (opts.stunListen) {
    probes::StunServerConfig c;
    c.primary = resolve(io_, serviceBindAddress(opts, *opts.stunListen, index), "stun-listen");
    if (opts.stunAltListen) {
      c.alternate =
          resolve(io_, serviceBindAddress(opts, *opts.stunAltListen, index), "stun-alt-listen");
    }
    c.software = "p2pmon-peer";
    stun_.push_back(named("stun-listen", index, [&] {
      return std::make_unique<probes::StunServer>(io_, std::move(c));
    }));
    b.stun = str(stun_.back()->primary());
    b.stunPort = stun_.back()->primary().port();
    if (auto alt = stun_.back()->alternate()) b.stunAlt = str(*alt);
  }
  if (opts.rtpReflector) {
    probes::RtpReflectorConfig c;
    c.listen = resolve(io_, serviceBindAddress(opts, *opts.rtpReflector, index), "rtp-reflector");
    rtp_.push_back(named("rtp-reflector", index, [&] {
      return std::make_unique<probes::RtpReflector>(io_, std::move(c));
    }));
    b.rtp = str(rtp_.back()->endpoint());
    b.rtpPort = rtp_.back()->endpoint().port();
  }
  return b;
}

void MediaServices::run() {
  if (running_ || empty()) return;
  for (auto& s : stun_) s->start();
  for (auto& r : rtp_) r->start();
  running_ = true;
  thread_ = std::thread([this] {
    auto work = asio::make_work_guard(io_);
    io_.run();
  });
}

void MediaServices::stop() {
  if (!running_) return;
  running_ = false;
  // stop() closes sockets, so it runs on the services' thread.
  asio::post(io_, [this] {
    for (auto& s : stun_) s->stop();
    for (auto& r : rtp_) r->stop();
    io_.stop();
  });
  thread_.join();
}

std::string MediaServices::summary() const {
  if (empty()) return "no media services";
  std::uint64_t received = 0, answered = 0;
  std::map<std::string, std::uint64_t> dropped;
  for (const auto& s : stun_) {
    received += s->stats().received;
    answered += s->stats().answered + s->stats().errorAnswers;
    for (const auto& [why, n] : s->stats().dropped) dropped["stun_" + why] += n;
  }
  std::uint64_t rtpReceived = 0, reflected = 0;
  for (const auto& r : rtp_) {
    rtpReceived += r->stats().received;
    reflected += r->stats().reflected;
    for (const auto& [why, n] : r->stats().dropped) dropped["rtp_" + why] += n;
  }
  std::string drops;
  for (const auto& [why, n] : dropped) drops += (drops.empty() ? "" : " ") + why + "=" + std::to_string(n);
  return "STUN requests " + std::to_string(received) + ", answered " + std::to_string(answered) +
         "; RTP packets " + std::to_string(rtpReceived) + ", reflected " +
         std::to_string(reflected) + "; dropped: " + (drops.empty() ? "none" : drops);
}

}  // namespace p2pmon::overlay
