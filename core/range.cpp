#include "core/range.hpp"

#include <charconv>
#include <cmath>

namespace p2pmon::core {

bool Range::alerts(double value) const {
  bool within = value >= start && value <= end;
  return inside ? within : !within;
}

namespace {
// Full-match number parse: decimals and negatives, nothing trailing.
std::optional<double> parseNumber(std::string_view s) {
  if (s.empty()) return std::nullopt;
  if (s.front() == '+') s.remove_prefix(1);
  double v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}
}  // namespace

Expected<Range> parseRange(std::string_view text) {
  Range r;
  r.text = std::string(text);
  std::string_view s = text;
  if (s.empty()) return makeError("bad_range", "empty threshold range");
  if (s.front() == '@') {
    r.inside = true;
    s.remove_prefix(1);
  }
  auto colon = s.find(':');
  if (colon == std::string_view::npos) {
    auto end = parseNumber(s);
    if (!end) return makeError("bad_range", "bad threshold range '" + r.text + "'");
    r.start = 0;
    r.end = *end;
  } else {
    std::string_view a = s.substr(0, colon);
    std::string_view b = s.substr(colon + 1);
    if (a == "~") {
      r.start = -std::numeric_limits<double>::infinity();
    } else if (a.empty()) {
      r.start = 0;
    } else {
      auto v = parseNumber(a);
      if (!v) return makeError("bad_range", "bad threshold range '" + r.text + "'");
      r.start = *v;
    }
    if (b.empty()) {
      r.end = std::numeric_limits<double>::infinity();
    } else {
      auto v = parseNumber(b);
      if (!v) return makeError("bad_range", "bad threshold range '" + r.text + "'");
      r.end = *v;
    }
  }
  if (r.start > r.end) {
    return makeError("bad_range", "threshold range '" + r.text + "' has start > end");
  }
  return r;
}

State evaluate(double value, const std::optional<Range>& warning,
               const std::optional<Range>& critical) {
  if (critical && critical->alerts(value)) return State::Critical;
  if (warning && warning->alerts(value)) return State::Warning;
  return State::Ok;
}

}  // namespace p2pmon::core
