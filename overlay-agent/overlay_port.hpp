// What the SIP side needs from its overlay peer: get and put a record,
// with the answer delivered back on the sofia-sip thread. The interface
// keeps sip_service.cpp free of Asio; UdpHostPort is the real one (the
// engine runs on the io_context, the answer is posted to the SofiaLoop).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "overlay-agent/chord_peer.hpp"

namespace boost::asio {
class io_context;
}

namespace p2pmon::overlay {

class SofiaLoop;
class UdpHost;

class OverlayPort {
 public:
  using Done = std::function<void(const OpResult&)>;
  virtual ~OverlayPort() = default;
  // From the sofia thread; `done` runs later on the sofia thread, unless the
  // SIP side is shut down first (then it never runs).
  virtual void get(RecordKind kind, const std::string& name, Done done) = 0;
  virtual void put(Record record, Done done) = 0;
};

class UdpHostPort final : public OverlayPort {
 public:
  UdpHostPort(boost::asio::io_context& io, UdpHost& host, SofiaLoop& loop);
  // The engine, once the swarm has started it (its SIP side starts first,
  // so that the engine's diagnostics can name the SIP port). On the
  // io_context's thread, or before it runs. Until then requests fail with
  // not_joined.
  void attach(ChordPeer& peer) { peer_ = &peer; }
  void get(RecordKind kind, const std::string& name, Done done) override;
  void put(Record record, Done done) override;

 private:
  Done onSofia(Done done) const;
  void onEngine(Done cb, const std::function<void(ChordPeer&, std::int64_t)>& fn);

  boost::asio::io_context& io_;
  UdpHost& host_;
  SofiaLoop& loop_;
  ChordPeer* peer_ = nullptr;
};

}  // namespace p2pmon::overlay
