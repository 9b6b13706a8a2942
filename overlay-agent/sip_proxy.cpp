// SipService's proxy (RFC 3261 §16, transaction-stateful): requests to the
// domain's AORs are looked up in the overlay and sent to the registered
// contact, through the peer that holds the registration when that is
// another peer; other requests follow their Route header or Request-URI.
// Every forwarded dialog-creating request gets this peer's Record-Route.
#include <sofia-sip/msg_header.h>
#include <sofia-sip/nta_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/sip_util.h>
#include <sofia-sip/url.h>

#include "core/log.hpp"
#include "overlay-agent/sip_service_impl.hpp"
#include "overlay-agent/udp_host.hpp"

namespace p2pmon::overlay {

namespace {
constexpr unsigned kDefaultMaxForwards = 70;

int responseCallback(nta_outgoing_magic_t* magic, nta_outgoing_t* orq, sip_t const* sip);
int cancelCallback(nta_incoming_magic_t* magic, nta_incoming_t*, sip_t const* sip);

msg_t* copyOfRequest(nta_incoming_t* irq) {
  msg_t* ref = nta_incoming_getrequest(irq);
  msg_t* copy = msg_dup(ref);
  msg_destroy(ref);
  return copy;
}
}  // namespace

int SipService::Impl::checkHops(msg_t* msg, sip_t* sip) const {
  for (sip_via_t const* v = sip->sip_via; v != nullptr; v = v->v_next) {
    const std::uint16_t vport =
        v->v_port != nullptr ? static_cast<std::uint16_t>(std::strtoul(v->v_port, nullptr, 10)) : 5060;
    if (v->v_host != nullptr && sip::sameHost(v->v_host, uriHost(config.host)) && vport == port) {
      return 482;  // this request passed here before (RFC 3261 §16.3 step 4)
    }
  }
  if (sip->sip_max_forwards != nullptr) {
    if (sip->sip_max_forwards->mf_count == 0) return 483;
    --sip->sip_max_forwards->mf_count;
    msg_fragment_clear(sip->sip_max_forwards->mf_common);
  } else {
    sip_add_tl(msg, sip, SIPTAG_MAX_FORWARDS_STR(std::to_string(kDefaultMaxForwards).c_str()),
               TAG_END());
  }
  return 0;
}

void SipService::Impl::addRecordRoute(msg_t* msg, sip_t* sip) {
  const std::string rr = "<" + myUri + ";lr>";
  auto* h = sip_record_route_make(msg_home(msg), rr.c_str());
  if (h != nullptr) msg_header_insert(msg, reinterpret_cast<msg_pub_t*>(sip), reinterpret_cast<msg_header_t*>(h));
}

void SipService::Impl::forwardAck(msg_t* msg) {
  // An ACK for a 2xx is its own transaction with no answer (RFC 3261 §16.11
  // stateless forwarding): pop our Route, forward, forget.
  sip_t* sip = sip_object(msg);
  if (sip->sip_route != nullptr && isMe(sip->sip_route->r_url)) sip_route_remove(msg, sip);
  if (checkHops(msg, sip) != 0) {
    msg_destroy(msg);
    return;
  }
  url_string_t const* next =
      sip->sip_route != nullptr ? reinterpret_cast<url_string_t const*>(sip->sip_route->r_url) : nullptr;
  if (nta_outgoing_mcreate(agent, nullptr, nullptr, next, msg, TAG_END()) == nullptr) {
    core::logDebug("SIP: could not forward an ACK");
  }
  ++stats.forwarded;
}

void SipService::Impl::proxy(nta_incoming_t* irq, sip_t const* in) {
  SipTransaction* t = newTransaction(irq);
  if (t == nullptr) {
    ++stats.rejected;
    nta_incoming_treply(irq, SIP_503_SERVICE_UNAVAILABLE, SIPTAG_RETRY_AFTER_STR("5"), TAG_END());
    nta_incoming_destroy(irq);
    return;
  }
  const auto id = t->id;
  nta_incoming_bind(irq, cancelCallback, reinterpret_cast<nta_incoming_magic_t*>(t));
  t->forward = copyOfRequest(irq);
  sip_t* sip = sip_object(t->forward);
  if (sip->sip_route != nullptr && isMe(sip->sip_route->r_url)) sip_route_remove(t->forward, sip);
  if (const int status = checkHops(t->forward, sip); status != 0) {
    reply(irq, status, status == 482 ? "Loop Detected" : "Too Many Hops");
    destroy(id);
    return;
  }
  const bool dialogCreating = in->sip_to == nullptr || in->sip_to->a_tag == nullptr;
  if (dialogCreating) addRecordRoute(t->forward, sip);
  if (in->sip_request->rq_method == sip_method_invite) {
    nta_incoming_treply(irq, SIP_100_TRYING, TAG_END());
  }

  url_t const* target = sip->sip_request->rq_url;
  if (sip->sip_route == nullptr && servesDomain(target) && target->url_user != nullptr) {
    auto aor = sip::canonicalAor(target->url_user, target->url_host);
    overlay.get(RecordKind::UserLocation, *aor,
                guarded([this, id, aor = *aor](const OpResult& r) { routeToAor(id, aor, r); }));
    return;
  }
  // Normal SIP routing: the next Route, else the Request-URI.
  send(*t,
       sip->sip_route != nullptr ? reinterpret_cast<url_string_t const*>(sip->sip_route->r_url)
                                 : nullptr,
       nullptr);
}

void SipService::Impl::routeToAor(std::uint64_t id, const std::string& aor, const OpResult& found) {
  SipTransaction* t = find(id);
  if (t == nullptr) return;
  if (t->cancelled) {
    reply(t->server, 487, "Request Terminated");
    destroy(id);
    return;
  }
  if (!found.ok && found.error != "not_found") {
    ++stats.overlayErrors;
    reply(t->server, 503, "Service Unavailable (overlay: " + found.error + ")");
    destroy(id);
    return;
  }
  const auto target = sip::chooseTarget(found.ok ? found.record : std::nullopt, wallClockMs());
  if (target.status != 0) {
    reply(t->server, target.status, target.phrase);
    destroy(id);
    return;
  }
  const sip::Binding& b = target.binding;
  msg_t* msg = t->forward;
  sip_t* sip = sip_object(msg);
  auto* line = sip_request_create(msg_home(msg), sip->sip_request->rq_method,
                                  sip->sip_request->rq_method_name,
                                  URL_STRING_MAKE(b.contact.c_str()), nullptr);
  std::string next;
  if (!b.registrar.empty() && b.registrar != myUri) {
    // The registration is held by another peer: through it (it has the
    // flow to the UA), as a loose route.
    next = b.registrar;
    const std::string route = "<" + b.registrar + ";lr>";
    auto* r = sip_route_make(msg_home(msg), route.c_str());
    if (r != nullptr) msg_header_insert(msg, reinterpret_cast<msg_pub_t*>(sip), reinterpret_cast<msg_header_t*>(r));
  } else {
    next = routeUriOf(b.transport);
  }
  if (line == nullptr || next.empty()) {
    core::logWarning("SIP: bad binding for " + aor + ": " + b.contact);
    reply(t->server, 500, "Server Internal Error (bad binding)");
    destroy(id);
    return;
  }
  send(*t, URL_STRING_MAKE(next.c_str()), line);
}

void SipService::Impl::send(SipTransaction& t, url_string_t const* routeUrl, sip_request_t* newLine) {
  msg_t* msg = t.forward;
  t.forward = nullptr;
  t.client = nta_outgoing_mcreate(agent, responseCallback,
                                  reinterpret_cast<nta_outgoing_magic_t*>(&t),
                                  routeUrl, msg, TAG_IF(newLine != nullptr, SIPTAG_REQUEST(newLine)),
                                  TAG_END());
  if (t.client == nullptr) {
    reply(t.server, 502, "Bad Gateway (cannot forward)");
    destroy(t.id);
    return;
  }
  ++stats.forwarded;
}

int SipService::Impl::onResponse(SipTransaction& t, nta_outgoing_t* orq, sip_t const* sip) {
  const int status = sip != nullptr && sip->sip_status != nullptr ? sip->sip_status->st_status
                                                                  : nta_outgoing_status(orq);
  if (sip != nullptr) {
    msg_t* response = nta_outgoing_getresponse(orq);
    sip_via_remove(response, sip_object(response));
    nta_incoming_mreply(t.server, response);
  } else {
    reply(t.server, status >= 300 ? status : 408, "Request Timeout");
  }
  return status >= 200 ? 1 : 0;
}

int SipService::Impl::onCancel(SipTransaction& t, sip_t const* sip) {
  if (sip == nullptr) return 0;  // the server transaction ended
  if (sip->sip_request != nullptr && sip->sip_request->rq_method == sip_method_cancel) {
    if (t.client != nullptr) {
      nta_outgoing_tcancel(t.client, nullptr, nullptr, TAG_END());
    } else {
      t.cancelled = true;  // still looking up: answered 487 when the lookup returns
    }
    return 200;
  }
  return 500;
}

void SipService::Impl::forwardStray(nta_outgoing_t* orq, sip_t const* sip) {
  // Retransmitted 2xx to an INVITE already answered: upstream, statelessly.
  if (sip == nullptr) return;
  msg_t* response = nta_outgoing_getresponse(orq);
  sip_via_remove(response, sip_object(response));
  nta_incoming_mreply(statelessServer, response);
}

namespace {
int responseCallback(nta_outgoing_magic_t* magic, nta_outgoing_t* orq, sip_t const* sip) {
  auto* t = reinterpret_cast<SipTransaction*>(magic);
  if (t->client != orq) return 0;
  auto* service = t->service;
  if (service->onResponse(*t, orq, sip) != 0) service->destroy(t->id);
  return 0;
}

int cancelCallback(nta_incoming_magic_t* magic, nta_incoming_t*, sip_t const* sip) {
  auto* t = reinterpret_cast<SipTransaction*>(magic);
  return t->service->onCancel(*t, sip);
}
}  // namespace

}  // namespace p2pmon::overlay
