// SipProber sends SIP OPTIONS (RFC 3261 §11) with sofia-sip's NTA and
// measures the answer: one target at a time, or a sweep of many with a bound
// on requests in flight. The I/O adapter around sip_target and sip_result.
//
// Threading: a SipProber owns its su_root and runs it only inside probe()
// and sweep(); make it, use it and destroy it on one thread. su_init() is
// done once per process (the first SipProber), never undone.
//
// Each request in flight has an NTA agent (UDP or TCP socket) of its own, so
// the agent's own counters belong to that one request: retransmissions are
// NTA's retransmitted-request counter read before and after, and garbage
// from the far end shows in its bad-message counter (bad_response).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "probes/sip_result.hpp"
#include "probes/sip_target.hpp"

namespace p2pmon::probes {

struct SipProberOptions {
  std::chrono::milliseconds timeout{2000};  // per request: NTA timer F (64*T1), local 408
  std::chrono::milliseconds t1{500};        // RFC 3261 T1: first UDP retransmission
  // Timer K: how long NTA keeps a finished UDP transaction to absorb
  // retransmitted responses (RFC 3261 T4, 5 s). Shorter keeps a fast sweep's
  // memory small; a late duplicate response is then simply dropped.
  std::chrono::milliseconds linger{500};
  std::size_t maxInFlight = 32;             // requests (and agents) live at once, 1..kMaxInFlight
  // Client transactions NTA may hold, live ones and finished ones in timer
  // K together (about 5 kB each); a sweep waits for old ones to go before it
  // starts more. 0: 128 per request in flight. This bounds a sweep's memory
  // whatever the answer rate.
  std::size_t maxTransactions = 0;
  std::string bindAddress = "0.0.0.0";      // local address of the probe's sockets
  std::string fromUri = "sip:p2pmon-probe@invalid";
  std::string userAgent;                    // default "p2pmon-probe/<version>"
};

inline constexpr std::size_t kMaxInFlight = 256;  // two sockets per slot, far below the fd limit

// One target of a sweep: the URI text as written (parsed by the prober, so a
// bad line becomes a result with error "bad_usage"), and an optional
// Request-URI other than the target itself.
struct SipSweepItem {
  std::string target;
  std::string requestUri;  // empty: the target URI without its transport parameter
};

struct SipProberStats {
  std::size_t started = 0;
  std::size_t finished = 0;
  std::size_t peakInFlight = 0;       // most requests live at once
  std::size_t peakNtaTransactions = 0;  // most client transactions NTA held (incl. timer K)
};

class SipProber {
 public:
  // Throws std::runtime_error when the options are out of range.
  explicit SipProber(SipProberOptions options);
  ~SipProber();
  SipProber(const SipProber&) = delete;
  SipProber& operator=(const SipProber&) = delete;

  // One OPTIONS to `target`; blocks until the answer or the timeout.
  // `requestUri` empty: the target URI without its transport parameter.
  SipProbeResult probe(const SipTarget& target, const std::string& requestUri = {});

  // Pulls items from `next` until it returns nullopt, keeps at most
  // maxInFlight requests live and hands every result to `done` as it comes
  // (from this thread, never from inside a sofia callback). Results come in
  // completion order; nothing is kept once handed over.
  void sweep(const std::function<std::optional<SipSweepItem>()>& next,
             const std::function<void(SipProbeResult)>& done);

  // Requests sent and not yet finished (0 between calls).
  std::size_t inFlight() const;
  // Client transactions NTA still holds in all agents, including finished
  // ones in timer K (returns to 0 within `linger` after the last answer).
  std::size_t ntaTransactions() const;
  // Runs the loop with nothing to send (late responses are absorbed) for `d`.
  void runFor(std::chrono::milliseconds d);
  // Runs the loop for up to `d` or until NTA holds no transaction; returns
  // ntaTransactions().
  std::size_t drain(std::chrono::milliseconds d);
  const SipProberStats& stats() const;
  const SipProberOptions& options() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Host names resolved with getaddrinfo (sofia's own resolver does not use
// /etc/hosts): the first address, IPv4 preferred. Error code "unreachable".
core::Expected<std::string> resolveSipHost(const std::string& host);

}  // namespace p2pmon::probes
