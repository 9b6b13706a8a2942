// A small synchronous HTTP client over libcurl, for plugins and result sinks.
// One object per thread; it keeps its curl handle so connections are reused.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "core/expected.hpp"

typedef void CURL;  // NOLINT: matches <curl/curl.h> without including it

namespace p2pmon::core {

struct HttpResponse {
  long status = 0;
  std::string body;
};

class HttpClient {
 public:
  HttpClient();
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Errors: timeout, refused, unreachable, resolve, bad_response (with the
  // curl message). Any HTTP status is a successful exchange.
  Expected<HttpResponse> get(const std::string& url, std::chrono::milliseconds timeout,
                             const std::vector<std::string>& headers = {});
  Expected<HttpResponse> post(const std::string& url, const std::string& body,
                              const std::string& contentType, std::chrono::milliseconds timeout,
                              const std::vector<std::string>& headers = {});

  // Percent-encodes one URL path segment or query value.
  static std::string escape(const std::string& text);

 private:
  Expected<HttpResponse> perform(const std::string& url, const std::string* body,
                                 const std::string& contentType,
                                 std::chrono::milliseconds timeout,
                                 const std::vector<std::string>& headers);
  CURL* curl_;
};

}  // namespace p2pmon::core
