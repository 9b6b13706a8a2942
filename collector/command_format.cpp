#include "collector/command_format.hpp"

#include <cmath>

#include "core/plugin_output.hpp"

namespace p2pmon::collector {

std::string escapeCommandOutput(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c != '\r') {
      out += c;
    }
  }
  return out;
}

std::string formatExternalCommand(const core::CheckResult& r) {
  // Appended piece by piece: `"[" + std::to_string(...)` trips GCC 12's
  // -Wrestrict false positive at -O3 (Release builds, `make bench`).
  std::string line = "[";
  line += std::to_string(static_cast<long long>(std::floor(r.time)));
  line += "] ";
  if (r.isHostCheck()) {
    line += "PROCESS_HOST_CHECK_RESULT;" + r.host + ";";
  } else {
    line += "PROCESS_SERVICE_CHECK_RESULT;" + r.host + ";" + r.service + ";";
  }
  line += std::to_string(static_cast<int>(r.state));
  line += ';';
  line += escapeCommandOutput(core::joinPluginOutput(r.output, r.perfdata));
  line += '\n';
  return line;
}

}  // namespace p2pmon::collector
