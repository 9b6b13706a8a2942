// The decision of check_p2p_lookup apart from its I/O: given how the lookup
// of an AOR through one overlay peer went and the latency thresholds, what
// to report. Pure, so every case is unit-tested.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/range.hpp"
#include "plugins/plugin.hpp"

namespace p2pmon::plugins {

struct LookupCheckOptions {
  std::string aor;                      // "sip:alice@example.org"
  std::string peer;                     // "127.0.0.1:4000", for messages
  std::optional<core::Range> warning;   // on the latency in ms
  std::optional<core::Range> critical;
  double timeoutMs = 10000;             // the latency's perfdata max
  core::State timeoutState = core::State::Unknown;  // when the peer does not answer
  int verbose = 0;
};

struct LookupContact {
  std::string contact;
  std::vector<std::string> transports;
};

struct LookupAnswer {
  // Found, NotFound: the overlay answered. NoAnswer: the peer asked first
  // never did. Failed: it did, but the lookup broke further on.
  enum class Kind { Found, NotFound, NoAnswer, Failed } kind = Kind::NoAnswer;
  std::string responsible;         // Node-ID (32 hex) of the peer that answered the fetch
  std::string responsibleAddress;  // its "IP:port"
  int hops = 0;                    // peers asked on the way to it
  double latencyMs = 0;            // also on failure: how long it took to fail
  std::string error;               // NoAnswer, Failed: a stable code (probe_error.hpp)
  std::string detail;              // for humans, may be empty
  std::vector<LookupContact> contacts;  // Found
};

Outcome decideLookupCheck(const LookupCheckOptions& o, const LookupAnswer& a);

}  // namespace p2pmon::plugins
