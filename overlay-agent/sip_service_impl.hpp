// Internals of SipService shared by sip_service.cpp (agent, dispatch,
// OPTIONS, registrar) and sip_proxy.cpp (forwarding). Not a public header.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <sofia-sip/nta.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/su_wait.h>

#include "overlay-agent/overlay_port.hpp"
#include "overlay-agent/sip_service.hpp"

namespace p2pmon::overlay {

// One request this peer is working on: a registration waiting for the
// overlay, or a proxied request (waiting for the lookup, then for the
// next hop's answers).
// NTA callbacks get it as their magic: NTA calls none of them once the
// transaction has destroyed its handles.
struct SipTransaction {
  SipService::Impl* service = nullptr;
  std::uint64_t id = 0;
  nta_incoming_t* server = nullptr;
  nta_outgoing_t* client = nullptr;
  msg_t* forward = nullptr;  // the request to forward once the lookup answers
  bool cancelled = false;
};

struct SipService::Impl {
  Impl(su_root_t* root, SipConfig config, OverlayPort& overlay);
  ~Impl();

  // sip_service.cpp
  // Every request that is not a retransmission NTA absorbed: OPTIONS to
  // this peer is answered statelessly, ACK forwarded statelessly, the rest
  // gets a server transaction (onRequest).
  void onMessage(msg_t* msg, sip_t* sip);
  bool isLocal(sip_t const* sip) const;
  void onRequest(nta_incoming_t* irq, sip_t const* sip);
  bool isMe(url_t const* url) const;
  bool servesDomain(url_t const* url) const;
  void answerOptions(msg_t* msg);
  void handleRegister(nta_incoming_t* irq, sip_t const* sip);
  void finishRegister(std::uint64_t id, sip::RegisterRequest req, const OpResult& current);
  void reply(nta_incoming_t* irq, int status, const std::string& phrase);
  SipTransaction* newTransaction(nta_incoming_t* irq);
  SipTransaction* find(std::uint64_t id);
  void destroy(std::uint64_t id);
  // Wraps an overlay answer so that it is dropped once this service is gone.
  OverlayPort::Done guarded(std::function<void(const OpResult&)> fn);

  // sip_proxy.cpp
  void proxy(nta_incoming_t* irq, sip_t const* sip);
  void forwardAck(msg_t* msg);
  void routeToAor(std::uint64_t id, const std::string& aor, const OpResult& found);
  void send(SipTransaction& t, url_string_t const* routeUrl, sip_request_t* newLine);
  int onResponse(SipTransaction& t, nta_outgoing_t* orq, sip_t const* sip);
  int onCancel(SipTransaction& t, sip_t const* sip);
  void forwardStray(nta_outgoing_t* orq, sip_t const* sip);
  // Max-Forwards (483) and own-Via loop detection (482) on the copy to
  // forward; returns the status to answer, or 0.
  int checkHops(msg_t* msg, sip_t* sip) const;
  void addRecordRoute(msg_t* msg, sip_t* sip);

  SipConfig config;
  OverlayPort& overlay;
  su_root_t* root;
  nta_agent_t* agent = nullptr;
  nta_incoming_t* statelessServer = nullptr;  // answers forwarded statelessly
  nta_outgoing_t* statelessClient = nullptr;  // answers to requests already finished
  std::uint16_t port = 0;
  std::string myUri;  // sip:HOST:PORT
  SipStats stats;
  std::uint64_t nextId = 1;
  std::map<std::uint64_t, std::unique_ptr<SipTransaction>> transactions;
  std::shared_ptr<bool> alive = std::make_shared<bool>(true);
};

// The host as it stands in a URI: an IPv6 address in brackets.
std::string uriHost(const std::string& host);
// "udp:HOST:PORT" / "tcp:HOST:PORT" of a SIP URI (default port 5060).
std::string transportOf(url_t const* url);
// "sip:HOST:PORT;transport=udp" from "udp:HOST:PORT"; empty when malformed.
std::string routeUriOf(const std::string& transport);

}  // namespace p2pmon::overlay
