// A SIP UAS for unit tests: an NTA agent on 127.0.0.1 (UDP, free port) in
// its own thread and su_root, answering every OPTIONS statelessly (so it
// keeps no server transactions) with a fixed code and Node-ID header.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

namespace p2pmon::testing {

class SipTestUas {
 public:
  explicit SipTestUas(int status = 200, std::string nodeId = "");
  ~SipTestUas();  // stops the thread
  SipTestUas(const SipTestUas&) = delete;
  SipTestUas& operator=(const SipTestUas&) = delete;

  std::uint16_t port() const { return port_; }
  std::size_t answered() const { return answered_.load(); }

  // Called on the UAS thread; public for the C callback only.
  void onRequest(void* agent, void* msg, const void* sip);

 private:
  void run();
  int status_;
  std::string nodeId_;
  std::atomic<std::uint16_t> port_{0};
  std::atomic<bool> stop_{false};
  std::atomic<std::size_t> answered_{0};
  std::thread thread_;
};

}  // namespace p2pmon::testing
