#include "core/http_client.hpp"

#include <mutex>

#include <curl/curl.h>

namespace p2pmon::core {

namespace {
std::once_flag gCurlInit;

std::size_t onBody(char* data, std::size_t size, std::size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

Error curlError(CURLcode rc, const char* detail) {
  std::string code = "bad_response";
  switch (rc) {
    case CURLE_OPERATION_TIMEDOUT: code = "timeout"; break;
    case CURLE_COULDNT_CONNECT: code = "refused"; break;
    case CURLE_COULDNT_RESOLVE_HOST: code = "resolve"; break;
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR: code = "unreachable"; break;
    default: break;
  }
  return makeError(code, detail[0] != '\0' ? detail : curl_easy_strerror(rc));
}
}  // namespace

HttpClient::HttpClient() {
  std::call_once(gCurlInit, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  curl_ = curl_easy_init();
}

HttpClient::~HttpClient() { curl_easy_cleanup(curl_); }

std::string HttpClient::escape(const std::string& text) {
  char* e = curl_easy_escape(nullptr, text.c_str(), static_cast<int>(text.size()));
  std::string out = e != nullptr ? e : "";
  curl_free(e);
  return out;
}

Expected<HttpResponse> HttpClient::get(const std::string& url, std::chrono::milliseconds timeout,
                                       const std::vector<std::string>& headers) {
  return perform(url, nullptr, "", timeout, headers);
}

Expected<HttpResponse> HttpClient::post(const std::string& url, const std::string& body,
                                        const std::string& contentType,
                                        std::chrono::milliseconds timeout,
                                        const std::vector<std::string>& headers) {
  return perform(url, &body, contentType, timeout, headers);
}

Expected<HttpResponse> HttpClient::perform(const std::string& url, const std::string* body,
                                           const std::string& contentType,
                                           std::chrono::milliseconds timeout,
                                           const std::vector<std::string>& headers) {
  if (curl_ == nullptr) return makeError("internal", "curl_easy_init failed");
  curl_easy_reset(curl_);
  HttpResponse response;
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_slist* list = nullptr;
  for (const auto& h : headers) list = curl_slist_append(list, h.c_str());
  std::string ct;
  if (body != nullptr) {
    ct = "Content-Type: " + contentType;
    list = curl_slist_append(list, ct.c_str());
    list = curl_slist_append(list, "Expect:");  // no 100-continue round trip
    curl_easy_setopt(curl_, CURLOPT_POST, 1L);
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, body->data());
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body->size()));
  }
  curl_easy_setopt(curl_, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, onBody);
  curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &response.body);
  curl_easy_setopt(curl_, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(curl_, CURLOPT_USERAGENT, "p2pmon");
  CURLcode rc = curl_easy_perform(curl_);
  curl_slist_free_all(list);
  if (rc != CURLE_OK) return curlError(rc, errbuf);
  curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

}  // namespace p2pmon::core
