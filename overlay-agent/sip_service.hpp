// The SIP side of one overlay peer, on sofia-sip's NTA (transaction layer):
// registrar for the overlay's domain (bindings stored in the DHT as
// user-location records, sip_binding.hpp), stateful proxy with Record-Route
// for requests to the domain's AORs and for in-dialog requests, and an
// OPTIONS responder that names the peer. Behaviour: docs/sip.md.
// Lives on the SofiaLoop thread: construct and destroy it through
// SofiaLoop::run.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/node_id.hpp"
#include "overlay-agent/sip_binding.hpp"

struct su_root_s;

namespace p2pmon::overlay {

class OverlayPort;

struct SipConfig {
  std::string host = "127.0.0.1";  // IP address to bind (UDP and TCP)
  std::uint16_t port = 0;          // 0: a free port
  std::string domain;              // the overlay's SIP domain (AORs sip:user@domain)
  core::NodeId nodeId;             // sent in X-P2PMON-Node-ID
  std::string version;             // Server: p2pmon/VERSION
  sip::RegisterLimits limits;
  std::size_t maxTransactions = 4096;  // lookups and proxied requests at once; beyond: 503
  std::size_t maxMessageBytes = 65536;  // larger SIP messages are refused by NTA
};

// Counters for diagnostics and the log.
struct SipStats {
  std::uint64_t requests = 0;
  std::uint64_t registrations = 0;  // REGISTERs answered 200
  std::uint64_t forwarded = 0;      // requests proxied
  std::uint64_t rejected = 0;       // answered >= 300 by this peer
  std::uint64_t overlayErrors = 0;  // lookups or stores that failed (503)
};

inline constexpr const char* kNodeIdHeader = "X-P2PMON-Node-ID";

class SipService {
 public:
  // Binds UDP and TCP on config.host:config.port; throws std::runtime_error
  // when it cannot. On the sofia thread.
  SipService(su_root_s* root, SipConfig config, OverlayPort& overlay);
  ~SipService();
  SipService(const SipService&) = delete;
  SipService& operator=(const SipService&) = delete;

  std::uint16_t port() const;
  std::string uri() const;  // "sip:127.0.0.1:5060"
  const SipStats& stats() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace p2pmon::overlay
