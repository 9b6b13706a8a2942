#include "core/plugin_output.hpp"

namespace p2pmon::core {

namespace {
std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

void appendPerf(std::string& perf, std::string_view piece) {
  piece = trim(piece);
  if (piece.empty()) return;
  if (!perf.empty()) perf += ' ';
  perf += piece;
}
}  // namespace

SplitOutput splitPluginOutput(std::string_view raw) {
  SplitOutput out;
  std::size_t pos = 0;
  bool first = true;
  bool inPerf = false;  // after the long output's '|', every line is perfdata
  while (pos <= raw.size()) {
    std::size_t nl = raw.find('\n', pos);
    std::string_view line =
        raw.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? raw.size() + 1 : nl + 1;
    if (inPerf) {
      appendPerf(out.perfdata, line);
      continue;
    }
    std::size_t bar = line.find('|');
    std::string_view textPart = bar == std::string_view::npos ? line : line.substr(0, bar);
    if (bar != std::string_view::npos) appendPerf(out.perfdata, line.substr(bar + 1));
    if (first) {
      out.text = std::string(trim(textPart));
      first = false;
    } else {
      // Keep long output lines as they were (only the perfdata tail trimmed),
      // but do not add an empty line that was only perfdata.
      if (bar == std::string_view::npos || !trim(textPart).empty()) {
        out.text += '\n';
        out.text += bar == std::string_view::npos ? line : trim(textPart);
      }
      if (bar != std::string_view::npos) inPerf = true;
    }
  }
  while (!out.text.empty() && (out.text.back() == '\n' || out.text.back() == ' ')) {
    out.text.pop_back();
  }
  return out;
}

std::string joinPluginOutput(std::string_view text, std::string_view perfdata) {
  if (perfdata.empty()) return std::string(text);
  std::size_t nl = text.find('\n');
  std::string out(text.substr(0, nl));
  out += " | ";
  out += perfdata;
  if (nl != std::string_view::npos) out += text.substr(nl);
  return out;
}

}  // namespace p2pmon::core
