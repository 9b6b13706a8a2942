// ResultOutbox: where the embedded agent hands its check results. The
// implementation (result_spool.* + result_pusher.*) writes them to an
// on-disk spool at once and a pusher thread sends them, in order and
// batched, to the collector's HTTP API or to any NSCA server, keeping them
// while the far end is away; nothing accepted by submit() is lost across a
// restart of the agent.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/address.hpp"
#include "core/check_result.hpp"
#include "core/expected.hpp"

namespace p2pmon::agent {

// Where and how results are pushed: exactly one of httpUrl and nsca.
struct PushConfig {
  std::string httpUrl;                 // collector base URL: POST {httpUrl}/api/v1/results
  std::string token;                   // bearer token for the HTTP API
  std::optional<core::HostPort> nsca;  // an NSCA 2.9/2.10 server (p2pmon-collector or stock nsca)
  std::string nscaPassword;
  int nscaEncryption = 1;              // send_nsca's encryption_method numbers
  std::string spoolDir;                // empty: a spool in memory only (lost at exit; logged)
  std::uint64_t spoolMaxBytes = 64ull << 20;
  std::size_t batchSize = 500;                     // results per send
  std::chrono::milliseconds flushInterval{1000};   // a partial batch waits at most this long
};

struct OutboxStats {
  std::uint64_t submitted = 0;
  std::uint64_t sent = 0;
  std::uint64_t rejected = 0;       // refused one by one by the far end (dropped, logged)
  std::uint64_t droppedFull = 0;    // oldest results dropped because the spool hit its bound
  std::uint64_t queued = 0;         // waiting in the spool now
  std::uint64_t queuedBytes = 0;
  std::uint64_t sendFailures = 0;   // transport failures (the batch is retried)
  bool farEndUp = true;             // the last send reached the far end
};

class ResultOutbox {
 public:
  virtual ~ResultOutbox() = default;
  // Thread-safe; returns once the results are in the spool (on disk when
  // spoolDir is set). Invalid results (core::validate) are dropped, logged
  // and counted as rejected.
  virtual void submit(std::vector<core::CheckResult> results) = 0;
  virtual OutboxStats stats() const = 0;
  // Tries to send what is queued for up to `grace`, then stops the pusher;
  // what is left stays in the spool for the next start.
  virtual void stop(std::chrono::milliseconds grace) = 0;
};

}  // namespace p2pmon::agent
