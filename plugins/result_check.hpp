// The decision of check_p2p_result, apart from its I/O: given what the
// collector answered (or that it could not be reached) and the thresholds,
// what to report. Pure, so every case is unit-tested.
#pragma once

#include <optional>
#include <string>

#include "core/check_result.hpp"
#include "plugins/plugin.hpp"

namespace p2pmon::plugins {

struct ResultCheckOptions {
  std::string host;
  std::string service;
  double maxAge = 900;                          // seconds; 0 disables the staleness check
  core::State staleState = core::State::Critical;
  int verbose = 0;
};

struct CollectorAnswer {
  enum class Kind { Found, Missing, Unreachable, BadReply } kind = Kind::Unreachable;
  core::CheckResult last;        // Found
  double lastStateChange = 0;    // Found
  std::string detail;            // Unreachable / BadReply: why
};

Outcome decideResultCheck(const ResultCheckOptions& o, const CollectorAnswer& a, double now);

}  // namespace p2pmon::plugins
