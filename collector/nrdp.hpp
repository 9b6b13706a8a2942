// NRDP compatibility (NagiosEnterprises/nrdp): the JSON check result
// document of `cmd=submitcheck` and NRDP's reply envelopes, so existing
// NRDP clients can push to the collector. Pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/check_result.hpp"
#include "core/expected.hpp"

namespace p2pmon::collector {

struct NrdpItem {
  std::size_t index = 0;
  core::Expected<core::CheckResult> result;
};

// {"checkresults":[{"checkresult":{"type":"service"},"hostname":"h",
//   "servicename":"s","state":"1","output":"text | perf"}, ...]}
// Whole-document problems are an error ("BAD JSON"); per-item problems come
// back as items holding an error.
core::Expected<std::vector<NrdpItem>> parseNrdpJson(std::string_view text, double now,
                                                    const std::string& source);

// {"result":{"status":0,"message":"OK","meta":{"output":"2 checks processed"}}}
// or {"result":{"status":-1,"message":"BAD TOKEN"}}.
std::string nrdpJsonReply(int status, const std::string& message, const std::string& output = "");
std::string nrdpXmlReply(int status, const std::string& message, const std::string& output = "");
std::string nrdpHelloReply(const std::string& version);

}  // namespace p2pmon::collector
