// Splitting and joining Nagios plugin output: "text | perfdata" on the first
// line, long output on later lines, whose first '|' starts more perfdata
// (Nagios 3+ multi-line format, monitoring-plugins developer guidelines).
#pragma once

#include <string>
#include <string_view>

namespace p2pmon::core {

struct SplitOutput {
  std::string text;      // first line plus long output lines, perfdata removed
  std::string perfdata;  // all perfdata pieces joined by single spaces
};

SplitOutput splitPluginOutput(std::string_view raw);

// Inverse: puts the perfdata after the first line of `text`.
std::string joinPluginOutput(std::string_view text, std::string_view perfdata);

}  // namespace p2pmon::core
