#include "overlay-agent/sip_service.hpp"

#include <stdexcept>

#include <sofia-sip/msg_header.h>
#include <sofia-sip/nta_stateless.h>
#include <sofia-sip/nta_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/url.h>

#include "core/log.hpp"
#include "overlay-agent/sip_service_impl.hpp"
#include "overlay-agent/udp_host.hpp"

namespace p2pmon::overlay {

namespace {
constexpr const char* kAllow = "INVITE, ACK, CANCEL, BYE, OPTIONS, MESSAGE, REGISTER";
constexpr const char* kAccept = "application/sdp, text/plain";

int messageCallback(nta_agent_magic_t* magic, nta_agent_t*, msg_t* msg, sip_t* sip) {
  reinterpret_cast<SipService::Impl*>(magic)->onMessage(msg, sip);
  return 0;
}

int strayResponse(nta_outgoing_magic_t* magic, nta_outgoing_t* orq, sip_t const* sip) {
  reinterpret_cast<SipService::Impl*>(magic)->forwardStray(orq, sip);
  return 0;
}

std::uint16_t portOf(url_t const* url) {
  if (url->url_port == nullptr || *url->url_port == '\0') return 5060;
  return static_cast<std::uint16_t>(std::strtoul(url->url_port, nullptr, 10));
}
}  // namespace

std::string uriHost(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

std::string transportOf(url_t const* url) {
  char proto[16] = "udp";
  if (url->url_params != nullptr) {
    url_param(url->url_params, "transport", proto, sizeof proto);
  }
  std::string p(proto);
  for (auto& c : p) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const std::string host = url->url_host != nullptr ? url->url_host : "";
  return p + ":" + host + ":" + std::to_string(portOf(url));
}

std::string routeUriOf(const std::string& transport) {
  const auto colon = transport.find(':');
  if (colon == std::string::npos || colon + 1 >= transport.size()) return {};
  return "sip:" + transport.substr(colon + 1) + ";transport=" + transport.substr(0, colon);
}

SipService::Impl::Impl(su_root_t* r, SipConfig c, OverlayPort& o)
    : config(std::move(c)), overlay(o), root(r) {
  const std::string bind =
      "sip:" + uriHost(config.host) + ":" + (config.port == 0 ? "*" : std::to_string(config.port));
  // With a message callback and no default leg, NTA hands over every new
  // request (retransmissions of known ones it still absorbs) and this side
  // decides which deserve a server transaction: a stateful NTA keeps each
  // UDP one for 32 s (timer J, ~12 KB), which under a probe sweep of
  // 10,000 OPTIONS/s grew a 200-peer swarm to 3.5 GB.
  agent = nta_agent_create(root, URL_STRING_MAKE(bind.c_str()), messageCallback,
                           reinterpret_cast<nta_agent_magic_t*>(this), NTATAG_UA(0),
                           NTATAG_MAXSIZE(static_cast<usize_t>(config.maxMessageBytes)), NTATAG_SERVER_RPORT(1),
                           TAG_END());
  if (agent == nullptr) {
    throw std::runtime_error("cannot bind SIP " + config.host + ":" + std::to_string(config.port));
  }
  port = portOf(nta_agent_contact(agent)->m_url);
  myUri = "sip:" + uriHost(config.host) + ":" + std::to_string(port);
  statelessServer = nta_incoming_default(agent);
  statelessClient =
      nta_outgoing_default(agent, strayResponse, reinterpret_cast<nta_outgoing_magic_t*>(this));
  if (statelessServer == nullptr || statelessClient == nullptr) {
    if (statelessServer != nullptr) nta_incoming_destroy(statelessServer);
    if (statelessClient != nullptr) nta_outgoing_destroy(statelessClient);
    nta_agent_destroy(agent);
    throw std::runtime_error("sofia-sip: cannot set up the SIP agent on " + myUri);
  }
}

SipService::Impl::~Impl() {
  *alive = false;
  for (auto& [id, t] : transactions) {
    if (t->client != nullptr) nta_outgoing_destroy(t->client);
    if (t->server != nullptr) nta_incoming_destroy(t->server);
    if (t->forward != nullptr) msg_destroy(t->forward);
  }
  transactions.clear();
  nta_incoming_destroy(statelessServer);
  nta_outgoing_destroy(statelessClient);
  nta_agent_destroy(agent);
}

OverlayPort::Done SipService::Impl::guarded(std::function<void(const OpResult&)> fn) {
  return [weak = std::weak_ptr<bool>(alive), fn = std::move(fn)](const OpResult& r) {
    if (auto a = weak.lock(); a && *a) fn(r);
  };
}

SipTransaction* SipService::Impl::newTransaction(nta_incoming_t* irq) {
  if (transactions.size() >= config.maxTransactions) return nullptr;
  auto t = std::make_unique<SipTransaction>();
  t->service = this;
  t->id = nextId++;
  t->server = irq;
  auto* raw = t.get();
  transactions.emplace(raw->id, std::move(t));
  return raw;
}

SipTransaction* SipService::Impl::find(std::uint64_t id) {
  auto it = transactions.find(id);
  return it == transactions.end() ? nullptr : it->second.get();
}

void SipService::Impl::destroy(std::uint64_t id) {
  auto it = transactions.find(id);
  if (it == transactions.end()) return;
  auto& t = *it->second;
  if (t.client != nullptr) nta_outgoing_destroy(t.client);
  if (t.server != nullptr) nta_incoming_destroy(t.server);
  if (t.forward != nullptr) msg_destroy(t.forward);
  transactions.erase(it);
}

void SipService::Impl::reply(nta_incoming_t* irq, int status, const std::string& phrase) {
  if (status >= 300) ++stats.rejected;
  const std::string server = "p2pmon/" + config.version;
  // 503 here means the overlay could not answer (not joined yet, a lookup
  // timed out): worth retrying soon, so say when (RFC 3261 §21.5.4).
  nta_incoming_treply(irq, status, phrase.c_str(), SIPTAG_SERVER_STR(server.c_str()),
                      TAG_IF(status == 503, SIPTAG_RETRY_AFTER_STR("5")), TAG_END());
}

bool SipService::Impl::isMe(url_t const* url) const {
  if (url == nullptr || url->url_host == nullptr) return false;
  return sip::sameHost(url->url_host, uriHost(config.host)) && portOf(url) == port;
}

bool SipService::Impl::servesDomain(url_t const* url) const {
  // sip:user@DOMAIN names an AOR; with a port of another server (a contact
  // such as sip:alice@DOMAIN:5070 when the domain is a host name) it does not.
  if (url == nullptr || url->url_host == nullptr || !sip::sameHost(url->url_host, config.domain)) {
    return false;
  }
  return url->url_port == nullptr || *url->url_port == '\0' || portOf(url) == port;
}

bool SipService::Impl::isLocal(sip_t const* sip) const {
  url_t const* target = sip->sip_request->rq_url;
  const bool routed = sip->sip_route != nullptr && !isMe(sip->sip_route->r_url);
  return !routed && (sip->sip_route == nullptr || sip->sip_route->r_next == nullptr) &&
         (isMe(target) || (servesDomain(target) && target->url_user == nullptr));
}

void SipService::Impl::onMessage(msg_t* msg, sip_t* sip) {
  if (sip == nullptr || sip->sip_request == nullptr) {
    msg_destroy(msg);  // a stray response the default client did not take
    return;
  }
  ++stats.requests;
  const auto method = sip->sip_request->rq_method;
  if (method == sip_method_ack) return forwardAck(msg);
  if (method == sip_method_options && isLocal(sip)) return answerOptions(msg);
  nta_incoming_t* irq = nta_incoming_create(agent, nullptr, msg, sip, TAG_END());
  if (irq == nullptr) {
    nta_msg_treply(agent, msg, SIP_500_INTERNAL_SERVER_ERROR, TAG_END());
    return;
  }
  onRequest(irq, sip);
}

void SipService::Impl::onRequest(nta_incoming_t* irq, sip_t const* sip) {
  const auto method = sip->sip_request->rq_method;
  const bool routed = sip->sip_route != nullptr && !isMe(sip->sip_route->r_url);
  if (method == sip_method_register && !routed) {
    handleRegister(irq, sip);
    return;
  }
  if (isLocal(sip)) {
    nta_incoming_treply(irq, SIP_405_METHOD_NOT_ALLOWED, SIPTAG_ALLOW_STR(kAllow), TAG_END());
    ++stats.rejected;
    nta_incoming_destroy(irq);
    return;
  }
  proxy(irq, sip);
}

void SipService::Impl::answerOptions(msg_t* msg) {
  // Stateless (RFC 3261 §8.2.7 allows it for a UAS): a retransmitted
  // OPTIONS is simply answered again, and nothing is kept per request.
  const std::string server = "p2pmon/" + config.version;
  const std::string node = std::string(kNodeIdHeader) + ": " + config.nodeId.hex();
  nta_msg_treply(agent, msg, SIP_200_OK, SIPTAG_SERVER_STR(server.c_str()),
                 SIPTAG_ALLOW_STR(kAllow), SIPTAG_ACCEPT_STR(kAccept),
                 SIPTAG_HEADER_STR("Supported: "), SIPTAG_HEADER_STR(node.c_str()), TAG_END());
}

void SipService::Impl::handleRegister(nta_incoming_t* irq, sip_t const* sip) {
  url_t const* ruri = sip->sip_request->rq_url;
  if (!servesDomain(ruri) && !isMe(ruri)) {
    reply(irq, 403, "Forbidden (domain not served here)");
    nta_incoming_destroy(irq);
    return;
  }
  url_t const* to = sip->sip_to != nullptr ? sip->sip_to->a_url : nullptr;
  if (to == nullptr || !servesDomain(to)) {
    // RFC 3261 §10.3 step 3: an AOR not of this domain.
    reply(irq, 404, "Not Found (not an address of " + config.domain + ")");
    nta_incoming_destroy(irq);
    return;
  }
  auto aor = sip::canonicalAor(to->url_user != nullptr ? to->url_user : "", to->url_host);
  if (!aor) {
    reply(irq, 400, "Bad Request (To has no user part)");
    nta_incoming_destroy(irq);
    return;
  }
  sip::RegisterRequest req;
  req.aor = *aor;
  req.registrar = myUri;
  if (sip->sip_expires != nullptr) req.expiresHeader = sip->sip_expires->ex_delta;
  su_home_t home[1] = {SU_HOME_INIT(home)};
  for (sip_contact_t const* m = sip->sip_contact; m != nullptr; m = m->m_next) {
    if (m->m_url->url_type == url_any) {
      req.wildcard = true;
      continue;
    }
    sip::ContactRequest c;
    url_t u = *m->m_url;
    u.url_headers = nullptr;
    char* text = url_as_string(home, &u);
    c.contact = text != nullptr ? text : "";
    c.transport = transportOf(m->m_url);
    if (m->m_expires != nullptr) {
      char* end = nullptr;
      const long v = std::strtol(m->m_expires, &end, 10);
      if (end == m->m_expires || *end != '\0' || v < 0) {
        su_home_deinit(home);
        reply(irq, 400, "Bad Request (bad expires parameter)");
        nta_incoming_destroy(irq);
        return;
      }
      c.expires = v;
    }
    req.contacts.push_back(std::move(c));
  }
  su_home_deinit(home);

  SipTransaction* t = newTransaction(irq);
  if (t == nullptr) {
    nta_incoming_treply(irq, SIP_503_SERVICE_UNAVAILABLE, SIPTAG_RETRY_AFTER_STR("5"), TAG_END());
    nta_incoming_destroy(irq);
    return;
  }
  const auto id = t->id;
  const std::string name = req.aor;
  overlay.get(RecordKind::UserLocation, name,
              guarded([this, id, req = std::move(req)](const OpResult& r) mutable {
                finishRegister(id, std::move(req), r);
              }));
}

void SipService::Impl::finishRegister(std::uint64_t id, sip::RegisterRequest req,
                                      const OpResult& current) {
  SipTransaction* t = find(id);
  if (t == nullptr) return;
  if (!current.ok && current.error != "not_found") {
    ++stats.overlayErrors;
    reply(t->server, 503, "Service Unavailable (overlay: " + current.error + ")");
    destroy(id);
    return;
  }
  req.nowMs = wallClockMs();
  auto plan = sip::planRegister(req, current.ok ? current.record : std::nullopt, config.limits);
  if (plan.status != 200) {
    if (plan.status == 423) {
      ++stats.rejected;
      const std::string min = std::to_string(config.limits.minExpires);
      nta_incoming_treply(t->server, SIP_423_INTERVAL_TOO_BRIEF,
                          SIPTAG_MIN_EXPIRES_STR(min.c_str()), TAG_END());
    } else {
      reply(t->server, plan.status, plan.phrase);
    }
    destroy(id);
    return;
  }
  auto answer = [this, id, bindings = plan.bindings, nowMs = req.nowMs](const OpResult& stored) {
    SipTransaction* tx = find(id);
    if (tx == nullptr) return;
    if (!stored.ok) {
      ++stats.overlayErrors;
      reply(tx->server, 503, "Service Unavailable (overlay: " + stored.error + ")");
      destroy(id);
      return;
    }
    std::string contacts;
    for (const auto& b : bindings) {
      if (!contacts.empty()) contacts += ", ";
      contacts += "<" + b.contact + ">;expires=" + std::to_string(b.remainingSeconds(nowMs));
    }
    ++stats.registrations;
    const std::string server = "p2pmon/" + config.version;
    nta_incoming_treply(tx->server, SIP_200_OK, SIPTAG_SERVER_STR(server.c_str()),
                        TAG_IF(!contacts.empty(), SIPTAG_CONTACT_STR(contacts.c_str())),
                        TAG_END());
    destroy(id);
  };
  if (plan.update.entries.empty()) {
    OpResult ok;
    ok.ok = true;
    answer(ok);
    return;
  }
  overlay.put(std::move(plan.update), guarded(answer));
}

SipService::SipService(su_root_s* root, SipConfig config, OverlayPort& overlay)
    : impl_(std::make_unique<Impl>(root, std::move(config), overlay)) {}
SipService::~SipService() = default;
std::uint16_t SipService::port() const { return impl_->port; }
std::string SipService::uri() const { return impl_->myUri; }
const SipStats& SipService::stats() const { return impl_->stats; }

}  // namespace p2pmon::overlay
