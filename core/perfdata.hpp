// Nagios performance data: `'label'=value[UOM];[warn];[crit];[min];[max]`,
// space separated, per the monitoring-plugins developer guidelines.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"

namespace p2pmon::core {

struct PerfValue {
  std::string label;
  std::optional<double> value;  // nullopt: 'U', could not be determined
  std::string uom;              // "", "s", "ms", "us", "%", "B", "KB", "MB", "TB", "c"
  std::string warn;             // range text, may be empty
  std::string crit;
  std::string min;
  std::string max;
  bool operator==(const PerfValue&) const = default;
};

// One item, label quoted when it needs to be, trailing empty fields dropped.
std::string formatPerfValue(const PerfValue& p);
// Several items joined by spaces.
std::string formatPerfdata(const std::vector<PerfValue>& items);
// Shortest decimal text that reads back as the same double ("1.8", "250").
std::string formatNumber(double v);

// Strict parse of a whole perfdata string; the error names the bad item.
Expected<std::vector<PerfValue>> parsePerfdata(std::string_view text);

}  // namespace p2pmon::core
