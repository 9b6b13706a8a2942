// ResultSink: where check results go (an NSCA server, the collector's HTTP
// API, later the agent's spool). Contract: send() is synchronous, never
// throws, and reports per result whether it was refused and, for the batch,
// whether the transport failed (then nothing may be assumed delivered).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/check_result.hpp"
#include "core/expected.hpp"

namespace p2pmon::core {

struct Rejection {
  std::size_t index = 0;  // position in the batch handed to send()
  Error error;
};

struct SendReport {
  std::size_t accepted = 0;          // delivered (NSCA: written; no acknowledgement exists)
  std::vector<Rejection> rejected;   // refused one by one, will never be accepted as they are
  std::optional<Error> failure;      // transport failure: retry the batch later
  bool ok() const { return !failure.has_value(); }
};

class ResultSink {
 public:
  virtual ~ResultSink() = default;
  virtual SendReport send(std::span<const CheckResult> results) = 0;
  virtual std::string describe() const = 0;  // for logs: "nsca://host:5667"
};

}  // namespace p2pmon::core
