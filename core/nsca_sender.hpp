// ResultSink speaking NSCA to any NSCA 2.9/2.10 server (the stock `nsca`
// daemon or p2pmon-collector), as send_nsca does: connect, read the init
// packet, write data packets back to back, close.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "core/nsca_codec.hpp"
#include "core/result_sink.hpp"

namespace p2pmon::core {

struct NscaSenderConfig {
  std::string host = "127.0.0.1";
  std::uint16_t port = 5667;
  std::string password;
  nsca::Encryption encryption = nsca::Encryption::Xor;
  bool legacy = false;  // 720-byte packets: one connection per result (nsca 2.7 peers)
  std::chrono::milliseconds timeout{10000};
};

class NscaSender final : public ResultSink {
 public:
  explicit NscaSender(NscaSenderConfig config) : config_(std::move(config)) {}
  SendReport send(std::span<const CheckResult> results) override;
  std::string describe() const override;

 private:
  // Sends results[first, last) on one connection; returns the transport error.
  std::optional<Error> sendOn(std::span<const CheckResult> results, std::size_t first,
                              std::size_t last, SendReport& report);
  NscaSenderConfig config_;
};

}  // namespace p2pmon::core
