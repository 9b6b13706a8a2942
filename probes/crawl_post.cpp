#include "probes/crawl_post.hpp"

#include <thread>

#include <nlohmann/json.hpp>

#include "core/http_client.hpp"

namespace p2pmon::probes {

core::Expected<std::string> postCrawl(const CrawlPostOptions& o, const std::string& document) {
  std::string base = o.url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  const std::string target = base + "/api/v1/crawls";
  std::vector<std::string> headers;
  if (!o.token.empty()) headers.push_back("Authorization: Bearer " + o.token);
  core::HttpClient client;
  std::string why;
  for (int attempt = 1; attempt <= o.attempts; ++attempt) {
    if (attempt > 1) std::this_thread::sleep_for(o.pause);
    auto reply = client.post(target, document, "application/json", o.timeout, headers);
    if (!reply) {
      why = reply.error().message + " (" + target + ")";
      continue;
    }
    const auto j = nlohmann::json::parse(reply->body, nullptr, false);
    if (reply->status == 200 || reply->status == 201) {
      if (!j.is_object() || !j.contains("id")) {
        return core::makeError("post_failed", "unexpected reply from " + target);
      }
      std::string line = "crawl " + j["id"].dump() + (j.value("duplicate", false) ? " was stored before" : " stored") +
                         " at " + base + ", " + j.value("results", nlohmann::json(0)).dump() +
                         " peer results";
      return line;
    }
    why = "HTTP " + std::to_string(reply->status);
    if (j.is_object() && j.contains("error")) {
      why += " " + j.value("error", std::string()) + ": " + j.value("message", std::string());
    }
    why += " (" + target + ")";
    if (reply->status != 503 && reply->status < 500) break;  // refused: the same again would be too
  }
  return core::makeError("post_failed", why);
}

}  // namespace p2pmon::probes
