// The decision of check_p2p_nat apart from its I/O: given the NAT probe's
// report, the expected NAT types and the type seen last time, what to
// report. Pure, so every case is unit-tested.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"
#include "core/state.hpp"
#include "plugins/plugin.hpp"
#include "probes/nat_verdict.hpp"

namespace p2pmon::plugins {

struct NatCheckOptions {
  std::vector<probes::nat::NatType> expect;  // empty: every type is fine
  core::State unexpectedState = core::State::Warning;
  bool warnOnChange = false;
  // With --tcp-port: a port the server could not connect to.
  core::State tcpState = core::State::Warning;
  int verbose = 0;
};

// "full_cone,restricted_cone" (the names of nat_verdict.hpp, also
// "blocked" and "open"). Errors: code "bad_expect".
core::Expected<std::vector<probes::nat::NatType>> parseNatExpect(std::string_view text);

// `previous` is the type the last run saw (the state file), if any.
// UDP blocked is CRITICAL whatever --expect says (unless it lists
// "blocked"); a type that could not be determined is UNKNOWN.
Outcome decideNatCheck(const NatCheckOptions& o, const probes::nat::NatReport& r,
                       std::optional<probes::nat::NatType> previous);

// What the state file holds after a run: the type, when it was determined.
std::optional<probes::nat::NatType> typeToRemember(const probes::nat::NatReport& r);

}  // namespace p2pmon::plugins
