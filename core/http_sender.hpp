// ResultSink posting results as JSON to the collector's HTTP API
// (`POST {base}/api/v1/results`, bearer token when configured). A 200 reply
// means the collector committed them; per-result refusals come back by index.
#pragma once

#include <chrono>
#include <string>

#include "core/http_client.hpp"
#include "core/result_sink.hpp"

namespace p2pmon::core {

struct HttpSenderConfig {
  std::string baseUrl = "http://127.0.0.1:8080";
  std::string token;
  std::chrono::milliseconds timeout{10000};
};

class HttpSender final : public ResultSink {
 public:
  explicit HttpSender(HttpSenderConfig config) : config_(std::move(config)) {}
  SendReport send(std::span<const CheckResult> results) override;
  std::string describe() const override { return config_.baseUrl; }

 private:
  HttpSenderConfig config_;
  HttpClient client_;
};

// Reads the collector's reply to POST /api/v1/results into a report.
SendReport parseIngestReply(long status, const std::string& body, std::size_t batchSize);

}  // namespace p2pmon::core
