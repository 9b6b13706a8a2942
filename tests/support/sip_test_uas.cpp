#include "tests/support/sip_test_uas.hpp"

#include <chrono>
#include <stdexcept>

#include <sofia-sip/nta.h>
#include <sofia-sip/nta_stateless.h>
#include <sofia-sip/nta_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/su.h>
#include <sofia-sip/su_wait.h>
#include <sofia-sip/url.h>

namespace p2pmon::testing {

namespace {
int onMessage(nta_agent_magic_t* magic, nta_agent_t* agent, msg_t* msg, sip_t* sip) {
  reinterpret_cast<SipTestUas*>(magic)->onRequest(agent, msg, sip);
  return 0;
}
}  // namespace

SipTestUas::SipTestUas(int status, std::string nodeId) : status_(status), nodeId_(std::move(nodeId)) {
  thread_ = std::thread([this] { run(); });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (port_.load() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (port_.load() == 0) {
    stop_ = true;
    thread_.join();
    throw std::runtime_error("SipTestUas did not start");
  }
}

SipTestUas::~SipTestUas() {
  stop_ = true;
  thread_.join();
}

void SipTestUas::onRequest(void* agent, void* msg, const void* sipv) {
  auto* a = static_cast<nta_agent_t*>(agent);
  auto* m = static_cast<msg_t*>(msg);
  const auto* sip = static_cast<const sip_t*>(sipv);
  if (sip == nullptr || sip->sip_request == nullptr) {
    msg_destroy(m);
    return;
  }
  const std::string header = "X-P2PMON-Node-ID: " + nodeId_;
  nta_msg_treply(a, m, status_, sip_status_phrase(status_), SIPTAG_SERVER_STR("p2pmon-unit-uas"),
                 SIPTAG_ALLOW_STR("OPTIONS, INVITE"),
                 TAG_IF(!nodeId_.empty(), SIPTAG_HEADER_STR(header.c_str())), TAG_END());
  ++answered_;
}

void SipTestUas::run() {
  su_init();
  su_root_t* root = su_root_create(nullptr);
  nta_agent_t* agent =
      nta_agent_create(root, URL_STRING_MAKE("sip:127.0.0.1:*;transport=udp"), onMessage,
                       reinterpret_cast<nta_agent_magic_t*>(this), NTATAG_UA(0), TAG_END());
  if (agent == nullptr) {
    su_root_destroy(root);
    return;
  }
  port_ = static_cast<std::uint16_t>(std::stoi(nta_agent_contact(agent)->m_url->url_port));
  while (!stop_.load()) su_root_step(root, 20);
  nta_agent_destroy(agent);
  su_root_destroy(root);
}

}  // namespace p2pmon::testing
