#include <memory>

#include "core/http_sender.hpp"
#include "core/log.hpp"
#include "core/nsca_sender.hpp"
#include "overlay-agent/result_pusher.hpp"

namespace p2pmon::agent {

namespace {
// The collector takes up to 100,000 results per request (docs/api.md).
constexpr std::size_t kMaxBatch = 100'000;
// Below this a spool could not hold one batch of large results.
constexpr std::uint64_t kMinSpoolBytes = 64 * 1024;
}  // namespace

core::Expected<std::unique_ptr<ResultOutbox>> makeOutbox(const PushConfig& config) {
  if (config.httpUrl.empty() == !config.nsca.has_value()) {
    return core::makeError("bad_config", "push to exactly one of an HTTP URL and an NSCA server");
  }
  if (config.batchSize == 0 || config.batchSize > kMaxBatch) {
    return core::makeError("bad_config", "batch size must be 1.." + std::to_string(kMaxBatch));
  }
  if (config.flushInterval.count() <= 0) {
    return core::makeError("bad_config", "flush interval must be positive");
  }
  if (config.spoolMaxBytes < kMinSpoolBytes) {
    return core::makeError("bad_config", "spool bound must be at least 64 KiB");
  }
  if (config.nsca && config.nscaEncryption != 0 && config.nscaEncryption != 1) {
    return core::makeError("bad_config", "NSCA encryption must be 0 (none) or 1 (XOR)");
  }
  std::unique_ptr<core::ResultSink> sink;
  if (config.nsca) {
    core::NscaSenderConfig nsca;
    nsca.host = config.nsca->host;
    nsca.port = config.nsca->port;
    nsca.password = config.nscaPassword;
    nsca.encryption = static_cast<core::nsca::Encryption>(config.nscaEncryption);
    sink = std::make_unique<core::NscaSender>(nsca);
  } else {
    core::HttpSenderConfig http;
    http.baseUrl = config.httpUrl;
    while (!http.baseUrl.empty() && http.baseUrl.back() == '/') http.baseUrl.pop_back();
    http.token = config.token;
    sink = std::make_unique<core::HttpSender>(http);
  }
  auto spool = ResultSpool::open({.dir = config.spoolDir, .maxBytes = config.spoolMaxBytes});
  if (!spool) return spool.error();
  if (config.spoolDir.empty()) {
    core::logWarning("results spool in memory only: results not yet sent are lost at exit");
  }
  PusherOptions options;
  options.batchSize = config.batchSize;
  options.flushInterval = config.flushInterval;
  options.requireUtf8 = !config.nsca.has_value();
  return std::unique_ptr<ResultOutbox>(
      std::make_unique<ResultPusher>(std::move(spool).value(), std::move(sink), options));
}

}  // namespace p2pmon::agent
