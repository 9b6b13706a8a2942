#include "core/http_sender.hpp"

#include <nlohmann/json.hpp>

namespace p2pmon::core {

SendReport parseIngestReply(long status, const std::string& body, std::size_t batchSize) {
  SendReport report;
  if (status == 401 || status == 403) {
    report.failure = makeError("auth", "collector refused the token (HTTP " +
                                           std::to_string(status) + ")");
    return report;
  }
  // 400 with a "rejected" list: every result of the batch was refused.
  if (status != 200 && status != 400) {
    report.failure = makeError("bad_response", "collector answered HTTP " + std::to_string(status));
    return report;
  }
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("accepted")) {
    if (status == 400) {
      report.failure = makeError("bad_response", "collector answered HTTP 400");
      return report;
    }
    report.failure = makeError("bad_response", "collector reply is not the ingest JSON");
    return report;
  }
  report.accepted = j.value("accepted", std::size_t{0});
  if (auto it = j.find("rejected"); it != j.end() && it->is_array()) {
    for (const auto& r : *it) {
      if (!r.is_object()) continue;
      std::size_t index = r.value("index", batchSize);
      if (index >= batchSize) continue;
      report.rejected.push_back(
          {index, makeError(r.value("code", std::string("rejected")), r.value("message", ""))});
    }
  }
  return report;
}

SendReport HttpSender::send(std::span<const CheckResult> results) {
  if (results.empty()) return {};
  nlohmann::json batch = nlohmann::json::array();
  for (const auto& r : results) batch.push_back(toJson(r));
  std::vector<std::string> headers;
  if (!config_.token.empty()) headers.push_back("Authorization: Bearer " + config_.token);
  auto response = client_.post(config_.baseUrl + "/api/v1/results", batch.dump(),
                               "application/json", config_.timeout, headers);
  if (!response) {
    SendReport report;
    report.failure = response.error();
    return report;
  }
  return parseIngestReply(response->status, response->body, results.size());
}

}  // namespace p2pmon::core
