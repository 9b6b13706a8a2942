#include "probes/sip_prober.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <strings.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdarg>
#include <deque>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <vector>

#include <sofia-sip/msg.h>
#include <sofia-sip/msg_addr.h>
#include <sofia-sip/nta.h>
#include <sofia-sip/nta_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/su.h>
#include <sofia-sip/su_log.h>
#include <sofia-sip/su_wait.h>
#include <sofia-sip/url.h>

#include "core/version.hpp"
#include "probes/udp_stamp.hpp"

// Exported by libsofia-sip-ua but not declared in its headers.
extern "C" {
extern su_log_t nta_log[];
extern su_log_t tport_log[];
}

namespace p2pmon::probes {

using Clock = std::chrono::steady_clock;

namespace {

void quietLog(void*, char const*, va_list) {}

void initSofia() {
  static std::once_flag once;
  std::call_once(once, [] {
    su_init();
    // Transport errors are results here, not stderr noise.
    su_log_redirect(tport_log, quietLog, nullptr);
    su_log_redirect(nta_log, quietLog, nullptr);
  });
}

double msSince(Clock::time_point t0, Clock::time_point t1) {
  return std::chrono::duration<double, std::milli>(t1 - t0).count();
}

struct AgentCounters {
  usize_t retries = 0;  // requests retransmitted
  usize_t bad = 0;      // messages that did not parse
};

AgentCounters counters(nta_agent_t* agent) {
  AgentCounters c;
  nta_agent_get_stats(agent, NTATAG_S_RETRY_REQUEST_REF(c.retries),
                      NTATAG_S_BAD_MESSAGE_REF(c.bad), TAG_END());
  return c;
}

// NTA hands its own 408 (timer F) and 503 (transport error) over as a
// sip_t too, with the request's Via and a To tag of its own; what only a
// response from the network has is the address it came from.
bool fromNetwork(nta_outgoing_t* orq) {
  msg_t* response = orq != nullptr ? nta_outgoing_getresponse(orq) : nullptr;
  if (response == nullptr) return false;
  su_sockaddr_t from{};
  socklen_t len = sizeof from;
  const bool network = msg_get_address(response, &from, &len) == 0 && from.su_family != 0;
  msg_destroy(response);
  return network;
}

std::string headerText(const sip_generic_t* h) {
  return h != nullptr && h->g_string != nullptr ? std::string(h->g_string) : std::string();
}

}  // namespace

core::Expected<std::string> resolveSipHost(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* list = nullptr;
  if (int rc = getaddrinfo(host.c_str(), nullptr, &hints, &list); rc != 0) {
    return core::makeError("unreachable", "cannot resolve '" + host + "': " + gai_strerror(rc));
  }
  const addrinfo* pick = nullptr;
  for (auto* a = list; a != nullptr; a = a->ai_next) {
    if (a->ai_family == AF_INET) {
      pick = a;
      break;
    }
    if (pick == nullptr && a->ai_family == AF_INET6) pick = a;
  }
  char text[INET6_ADDRSTRLEN] = {};
  bool ok = false;
  if (pick != nullptr && pick->ai_family == AF_INET) {
    ok = inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(pick->ai_addr)->sin_addr, text,
                   sizeof text) != nullptr;
  } else if (pick != nullptr) {
    ok = inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(pick->ai_addr)->sin6_addr,
                   text, sizeof text) != nullptr;
  }
  freeaddrinfo(list);
  if (!ok) return core::makeError("unreachable", "no IPv4 or IPv6 address for '" + host + "'");
  return std::string(text);
}

struct SipProber::Impl {
  struct Request;
  struct Slot {
    nta_agent_t* agent[2] = {nullptr, nullptr};  // by SipTransport
    int udpSocket = -1;  // the UDP agent's socket, for the kernel's receive time
    Request* request = nullptr;
  };
  struct Request {
    Impl* impl = nullptr;
    Slot* slot = nullptr;
    nta_agent_t* agent = nullptr;
    nta_leg_t* leg = nullptr;
    nta_outgoing_t* orq = nullptr;
    SipProbeResult result;
    Clock::time_point start;
    std::chrono::system_clock::time_point startWall;  // the same instant, for SIOCGSTAMP
    AgentCounters before;
    bool done = false;  // finished; erased from `live` by reap()
  };

  SipProberOptions o;
  su_root_t* root = nullptr;
  std::vector<Slot> slots;
  std::vector<std::unique_ptr<Request>> live;
  std::vector<SipProbeResult> finished;  // handed out after each loop step
  SipProberStats stats;
  std::string bindContact;  // "sip:0.0.0.0:*"
  // When finished transactions went into timer K (--linger), oldest first:
  // held() counts NTA's transactions from it in O(1), since asking every
  // agent (ntaTransactions) on every loop turn delayed the reading of
  // answers by tens of microseconds per slot and so inflated the RTTs.
  std::deque<Clock::time_point> lingering;
  Clock::time_point lastExactCount{};

  explicit Impl(SipProberOptions opts) : o(std::move(opts)) {
    if (o.maxInFlight < 1 || o.maxInFlight > kMaxInFlight) {
      throw std::runtime_error("max in flight must be 1.." + std::to_string(kMaxInFlight));
    }
    if (o.timeout.count() < 1 || o.timeout.count() > 3'600'000) {
      throw std::runtime_error("timeout must be 1..3600000 ms");
    }
    if (o.t1.count() < 1) throw std::runtime_error("T1 must be at least 1 ms");
    if (o.linger.count() < 1) o.linger = std::chrono::milliseconds(1);
    if (o.maxTransactions == 0) o.maxTransactions = 128 * o.maxInFlight;
    if (o.maxTransactions < o.maxInFlight) {
      throw std::runtime_error("max transactions must be at least max in flight");
    }
    if (o.userAgent.empty()) o.userAgent = std::string("p2pmon-probe/") + kVersion;
    initSofia();
    root = su_root_create(nullptr);
    if (root == nullptr) throw std::runtime_error("su_root_create failed");
    slots.resize(o.maxInFlight);
    bindContact = "sip:" + hostPortText(o.bindAddress, 0);
    bindContact.replace(bindContact.rfind(":0"), 2, ":*");
  }

  ~Impl() {
    for (auto& r : live) {
      if (r->orq != nullptr) nta_outgoing_destroy(r->orq);
      if (r->leg != nullptr) nta_leg_destroy(r->leg);
    }
    live.clear();
    for (auto& s : slots) {
      for (auto*& a : s.agent) {
        if (a != nullptr) nta_agent_destroy(a);
        a = nullptr;
      }
    }
    su_root_destroy(root);
  }

  nta_agent_t* agentFor(Slot& slot, SipTransport t) {
    auto& a = slot.agent[static_cast<int>(t)];
    if (a != nullptr) return a;
    const std::string contact = bindContact + ";transport=" + std::string(transportName(t));
    const auto t1 = static_cast<unsigned>(std::min(o.t1, o.timeout).count());
    a = nta_agent_create(root, URL_STRING_MAKE(contact.c_str()), nullptr, nullptr,
                         NTATAG_UA(0), NTATAG_SIP_T1(t1),
                         NTATAG_SIP_T1X64(static_cast<unsigned>(o.timeout.count())),
                         NTATAG_SIP_T4(static_cast<unsigned>(o.linger.count())),
                         NTATAG_USE_SRV(0), NTATAG_USE_NAPTR(0), TAG_END());
    if (a != nullptr && t == SipTransport::Udp) slot.udpSocket = findUdpSocket(a);
    return a;
  }

  // The RTT up to the moment the kernel received the answer (SIOCGSTAMP on
  // the slot's UDP socket: the last datagram read, which NTA has just read)
  // instead of the moment this loop got to it: with many requests in
  // flight the loop is busy with the others, and that wait is the probe's,
  // not the network's. nullopt when the stamp is not plausible.
  std::optional<double> kernelRtt(const Request& rq) const {
    const auto received = lastReceiveStamp(rq.slot->udpSocket);
    if (!received) return std::nullopt;
    const double ms = std::chrono::duration<double, std::milli>(*received - rq.startWall).count();
    const double loop = msSince(rq.start, Clock::now());
    if (ms < 0 || ms > loop + 1.0) return std::nullopt;  // clock step, or another datagram
    return ms;
  }

  // NTA does not export its sockets: find the UDP one by the port the
  // agent bound (one scan per agent, at its creation).
  static int findUdpSocket(nta_agent_t* agent) {
    const sip_contact_t* m = nta_agent_contact(agent);
    if (m == nullptr || m->m_url->url_port == nullptr) return -1;
    return findUdpSocketByPort(
        static_cast<std::uint16_t>(std::strtoul(m->m_url->url_port, nullptr, 10)));
  }

  static int onResponse(nta_outgoing_magic_t* magic, nta_outgoing_t* orq, sip_t const* sip) {
    auto* rq = reinterpret_cast<Request*>(magic);
    const int status = sip != nullptr && sip->sip_status != nullptr ? sip->sip_status->st_status
                                                                    : nta_outgoing_status(orq);
    if (status < 200) return 0;  // provisional: keep waiting
    rq->impl->complete(*rq, orq, sip, status);
    return 0;
  }

  // The request's result: from the response (sip may be null for NTA's own
  // answers), then the transaction and leg are destroyed and the slot freed.
  void complete(Request& rq, nta_outgoing_t* orq, sip_t const* sip, int status) {
    auto& r = rq.result;
    r.rttMs = msSince(rq.start, Clock::now());
    if (sip != nullptr && rq.slot != nullptr && rq.agent == rq.slot->agent[0]) {
      if (auto wire = kernelRtt(rq)) r.rttMs = *wire;
    }
    const AgentCounters after = counters(rq.agent);
    r.retransmissions = static_cast<int>(after.retries - rq.before.retries);
    if (sip != nullptr && sip->sip_call_id != nullptr && sip->sip_call_id->i_id != nullptr) {
      r.callId = sip->sip_call_id->i_id;
    }
    SipRawOutcome raw;
    raw.status = status;
    raw.fromFarEnd = sip != nullptr && sip->sip_status != nullptr && fromNetwork(orq);
    raw.badMessageSeen = after.bad != rq.before.bad;
    if (sip != nullptr && sip->sip_status != nullptr && sip->sip_status->st_phrase != nullptr) {
      raw.phrase = sip->sip_status->st_phrase;
    }
    if (orq != nullptr && !raw.fromFarEnd) {
      if (msg_t* request = nta_outgoing_getrequest(orq)) {
        raw.sendErrno = msg_errno(request);
        msg_destroy(request);
      }
    }
    const auto verdict = classifySipOutcome(raw, static_cast<double>(o.timeout.count()));
    r.answered = verdict.answered;
    r.error = verdict.error;
    r.detail = verdict.detail;
    if (r.answered) {
      r.status = status;
      r.reason = raw.phrase;
      r.server = headerText(reinterpret_cast<const sip_generic_t*>(sip->sip_server));
      if (r.server.empty()) {
        r.server = headerText(reinterpret_cast<const sip_generic_t*>(sip->sip_user_agent));
      }
      for (auto* allow = reinterpret_cast<const msg_list_t*>(sip->sip_allow); allow != nullptr;
           allow = allow->k_next) {
        for (auto* item = allow->k_items; item != nullptr && *item != nullptr; ++item) {
          r.allow.emplace_back(*item);
        }
      }
      for (auto* un = sip->sip_unknown; un != nullptr; un = un->un_next) {
        if (un->un_name != nullptr && un->un_value != nullptr &&
            strcasecmp(un->un_name, std::string(kNodeIdHeader).c_str()) == 0) {
          r.nodeId = normalizeNodeId(un->un_value).value_or("");
          break;
        }
      }
    }
    finish(rq, orq);
  }

  void finish(Request& rq, nta_outgoing_t* orq) {
    if (orq != nullptr) nta_outgoing_destroy(orq);
    if (rq.leg != nullptr) nta_leg_destroy(rq.leg);
    rq.orq = nullptr;
    rq.leg = nullptr;
    if (rq.slot != nullptr) rq.slot->request = nullptr;
    rq.slot = nullptr;
    rq.done = true;
    if (orq != nullptr) lingering.push_back(Clock::now());
    finished.push_back(std::move(rq.result));
    ++stats.finished;
  }

  // Not from inside finish(): NTA may call back while nta_outgoing_tcreate
  // still runs, and the Request must outlive that call.
  void reap() {
    std::erase_if(live, [](const std::unique_ptr<Request>& p) { return p->done; });
  }

  void failEarly(SipProbeResult r, std::string code, std::string detail) {
    r.answered = false;
    r.error = std::move(code);
    r.detail = std::move(detail);
    finished.push_back(std::move(r));
    ++stats.started;
    ++stats.finished;
  }

  // Starts one request; a target that cannot be sent to finishes at once.
  void start(const SipTarget& target, const std::string& requestUri) {
    SipProbeResult r;
    r.target = target.uri();
    r.transport = std::string(transportName(target.transport));
    if (requestUri.empty()) {
      r.requestUri = "sip:" + (target.user.empty() ? "" : target.user + "@") +
                     hostPortText(target.host, target.port) +
                     (target.transport == SipTransport::Tcp ? ";transport=tcp" : "");
    } else {
      r.requestUri = requestUri;
    }
    const auto ip = resolveSipHost(target.host);
    if (!ip) return failEarly(std::move(r), ip.error().code, ip.error().message);
    r.address = hostPortText(*ip, target.port);
    const bool v6Target = ip->find(':') != std::string::npos;
    const bool v6Bind = o.bindAddress.find(':') != std::string::npos;
    if (v6Target != v6Bind) {
      return failEarly(std::move(r), "unreachable",
                       "target " + r.address + " and bind address " + o.bindAddress +
                           " are of different IP families");
    }
    auto slot = std::find_if(slots.begin(), slots.end(),
                             [](const Slot& s) { return s.request == nullptr; });
    if (slot == slots.end()) throw std::logic_error("SipProber: no free slot");
    nta_agent_t* agent = agentFor(*slot, target.transport);
    if (agent == nullptr) {
      return failEarly(std::move(r), "internal", "cannot bind an NTA agent on " + bindContact);
    }
    auto rq = std::make_unique<Request>();
    rq->impl = this;
    rq->slot = &*slot;
    rq->agent = agent;
    rq->result = std::move(r);
    const std::string route = "sip:" + rq->result.address + ";transport=" + rq->result.transport;
    const std::string to = "<" + rq->result.requestUri + ">";
    const std::string from = "<" + o.fromUri + ">";
    rq->leg = nta_leg_tcreate(agent, nullptr, nullptr, SIPTAG_FROM_STR(from.c_str()),
                              SIPTAG_TO_STR(to.c_str()), TAG_END());
    if (rq->leg == nullptr) {
      return failEarly(std::move(rq->result), "bad_usage",
                       "NTA rejects From " + from + " or To " + to);
    }
    nta_leg_tag(rq->leg, nullptr);
    rq->before = counters(agent);
    slot->request = rq.get();
    Request* raw = rq.get();
    live.push_back(std::move(rq));
    ++stats.started;
    stats.peakInFlight = std::max(stats.peakInFlight, live.size());
    raw->startWall = std::chrono::system_clock::now();
    raw->start = Clock::now();
    nta_outgoing_t* orq = nta_outgoing_tcreate(
        raw->leg, onResponse, reinterpret_cast<nta_outgoing_magic_t*>(raw),
        URL_STRING_MAKE(route.c_str()), SIP_METHOD_OPTIONS,
        URL_STRING_MAKE(raw->result.requestUri.c_str()), SIPTAG_USER_AGENT_STR(o.userAgent.c_str()),
        SIPTAG_MAX_FORWARDS_STR("70"), SIPTAG_ACCEPT_STR("application/sdp"), TAG_END());
    if (orq == nullptr && !raw->done) {
      raw->result.error = "bad_usage";
      raw->result.detail = "NTA cannot make an OPTIONS to " + raw->result.requestUri + " via " + route;
      raw->result.rttMs = msSince(raw->start, Clock::now());
      finish(*raw, nullptr);
    } else if (!raw->done) {
      raw->orq = orq;  // else already answered and destroyed in the callback
    }
    reap();
  }

  // One turn of the loop: sofia's timers and sockets, then a safety net in
  // case NTA never reports (it always should: timer F).
  void step(std::chrono::milliseconds wait) {
    su_root_step(root, static_cast<su_duration_t>(std::max<long long>(1, wait.count())));
    const auto now = Clock::now();
    const auto limit = o.timeout + std::chrono::seconds(2);
    for (auto& p : live) {
      Request& rq = *p;
      if (!rq.done && now - rq.start > limit) {
        rq.result.rttMs = msSince(rq.start, now);
        rq.result.error = "timeout";
        rq.result.detail = "NTA did not report within the timeout";
        finish(rq, rq.orq);
      }
    }
    reap();
    // The exact count now and then, for the statistics only.
    if (now - lastExactCount > std::chrono::milliseconds(50)) {
      lastExactCount = now;
      stats.peakNtaTransactions = std::max(stats.peakNtaTransactions, ntaTransactions());
    }
  }

  // NTA's live and lingering transactions, from our own bookkeeping: the
  // live requests, and the finished ones whose timer K may still run (with
  // a margin for NTA's timer granularity, so this never undercounts).
  std::size_t held() {
    const auto horizon = Clock::now() - o.linger - std::chrono::milliseconds(200);
    while (!lingering.empty() && lingering.front() < horizon) lingering.pop_front();
    return live.size() + lingering.size();
  }

  std::size_t ntaTransactions() const {
    std::size_t n = 0;
    for (const auto& s : slots) {
      for (auto* a : s.agent) {
        if (a == nullptr) continue;
        usize_t used = 0;
        nta_agent_get_stats(a, NTATAG_S_ORQ_HASH_USED_REF(used), TAG_END());
        n += used;
      }
    }
    return n;
  }
};

SipProber::SipProber(SipProberOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
SipProber::~SipProber() = default;

SipProbeResult SipProber::probe(const SipTarget& target, const std::string& requestUri) {
  impl_->finished.clear();
  impl_->start(target, requestUri);
  while (impl_->finished.empty()) impl_->step(std::chrono::milliseconds(100));
  SipProbeResult r = std::move(impl_->finished.front());
  impl_->finished.clear();
  return r;
}

void SipProber::sweep(const std::function<std::optional<SipSweepItem>()>& next,
                      const std::function<void(SipProbeResult)>& done) {
  auto& im = *impl_;
  im.finished.clear();
  bool exhausted = false;
  while (true) {
    std::size_t held = im.held();
    while (!exhausted && im.live.size() < im.o.maxInFlight && held < im.o.maxTransactions) {
      ++held;
      auto item = next();
      if (!item) {
        exhausted = true;
        break;
      }
      auto target = parseSipTarget(item->target);
      if (!target) {
        SipProbeResult r;
        r.target = item->target;
        r.requestUri = item->requestUri;
        im.failEarly(std::move(r), "bad_usage", target.error().message);
      } else {
        im.start(*target, item->requestUri);
      }
      // Hand out early failures at once so they never pile up.
      for (auto& r : im.finished) done(std::move(r));
      im.finished.clear();
    }
    im.stats.peakNtaTransactions = std::max(im.stats.peakNtaTransactions, held);
    if (exhausted && im.live.empty()) break;
    im.step(std::chrono::milliseconds(100));
    for (auto& r : im.finished) done(std::move(r));
    im.finished.clear();
  }
}

std::size_t SipProber::inFlight() const { return impl_->live.size(); }
std::size_t SipProber::ntaTransactions() const { return impl_->ntaTransactions(); }

void SipProber::runFor(std::chrono::milliseconds d) {
  const auto end = Clock::now() + d;
  for (auto now = Clock::now(); now < end; now = Clock::now()) {
    impl_->step(std::chrono::duration_cast<std::chrono::milliseconds>(end - now));
  }
}

std::size_t SipProber::drain(std::chrono::milliseconds d) {
  const auto end = Clock::now() + d;
  while (impl_->ntaTransactions() > 0 && Clock::now() < end) {
    impl_->step(std::chrono::milliseconds(20));
  }
  return impl_->ntaTransactions();
}

const SipProberStats& SipProber::stats() const { return impl_->stats; }
const SipProberOptions& SipProber::options() const { return impl_->o; }

}  // namespace p2pmon::probes
