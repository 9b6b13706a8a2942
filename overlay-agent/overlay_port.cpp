#include "overlay-agent/overlay_port.hpp"

#include "overlay-agent/sofia_loop.hpp"
#include "overlay-agent/udp_host.hpp"

namespace p2pmon::overlay {

UdpHostPort::UdpHostPort(boost::asio::io_context& io, UdpHost& host, SofiaLoop& loop)
    : io_(io), host_(host), loop_(loop) {}

OverlayPort::Done UdpHostPort::onSofia(Done done) const {
  return [&loop = loop_, done = std::move(done)](const OpResult& r) {
    loop.post([done, r] { done(r); });
  };
}

void UdpHostPort::onEngine(Done cb, const std::function<void(ChordPeer&, std::int64_t)>& fn) {
  if (peer_ == nullptr || !peer_->joined()) {
    OpResult r;
    r.error = "not_joined";
    cb(r);
    return;
  }
  host_.call(*peer_, fn);
}

void UdpHostPort::get(RecordKind kind, const std::string& name, Done done) {
  boost::asio::post(io_, [this, kind, name, cb = onSofia(std::move(done))] {
    onEngine(cb, [&](ChordPeer& p, std::int64_t now) { p.get(kind, name, cb, now); });
  });
}

void UdpHostPort::put(Record record, Done done) {
  boost::asio::post(io_, [this, record = std::move(record), cb = onSofia(std::move(done))] {
    onEngine(cb, [&](ChordPeer& p, std::int64_t now) { p.put(record, cb, now); });
  });
}

}  // namespace p2pmon::overlay
