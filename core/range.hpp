// Nagios threshold ranges `[@]start:end` with the alert semantics of the
// monitoring-plugins developer guidelines (outside the range alerts; with '@',
// inside alerts; endpoints inclusive; '~' is minus infinity; no end is +inf).
#pragma once

#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "core/expected.hpp"
#include "core/state.hpp"

namespace p2pmon::core {

struct Range {
  double start = 0;
  double end = std::numeric_limits<double>::infinity();
  bool inside = false;  // '@': alert when start <= value <= end
  std::string text;     // as written, for perfdata

  // True when `value` should raise the alert this range guards.
  bool alerts(double value) const;
};

Expected<Range> parseRange(std::string_view text);

// CRITICAL if `critical` alerts, else WARNING if `warning` alerts, else OK
// (critical is checked first, as the guidelines' examples do).
State evaluate(double value, const std::optional<Range>& warning,
               const std::optional<Range>& critical);

}  // namespace p2pmon::core
