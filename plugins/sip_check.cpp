#include "plugins/sip_check.hpp"

#include <charconv>
#include <cmath>

#include "core/perfdata.hpp"

namespace p2pmon::plugins {

namespace {

// Microsecond resolution: the state is decided on the figure the graph shows.
double roundMs(double ms) { return std::round(ms * 1000.0) / 1000.0; }

std::optional<int> parseCode(std::string_view s) {
  int v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.size() != 3 || v < 100 || v > 699) {
    return std::nullopt;
  }
  return v;
}

std::string retransText(int n) {
  return std::to_string(n) + (n == 1 ? " retransmission" : " retransmissions");
}

std::string perfdata(const SipCheckOptions& o, const probes::SipProbeResult& r, double rtt) {
  std::vector<core::PerfValue> items;
  items.push_back({"rtt", rtt, "ms", o.warning ? o.warning->text : "",
                   o.critical ? o.critical->text : "", "0", core::formatNumber(o.timeoutMs)});
  items.push_back({"retransmissions", static_cast<double>(r.retransmissions), "", "", "", "0", ""});
  return core::formatPerfdata(items);
}

}  // namespace

bool SipExpect::matches(int code) const {
  for (const auto& [lo, hi] : spans) {
    if (code >= lo && code <= hi) return true;
  }
  return false;
}

core::Expected<SipExpect> parseSipExpect(std::string_view text) {
  SipExpect e;
  e.text = std::string(text);
  std::string_view rest = text;
  while (true) {
    const auto comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    const auto bad = core::makeError(
        "bad_expect", "'" + std::string(item) + "' is not a code (200), class (2xx) or span (200-299)");
    if (item.size() == 3 && (item[1] == 'x' || item[1] == 'X') && (item[2] == 'x' || item[2] == 'X') &&
        item[0] >= '1' && item[0] <= '6') {
      const int c = (item[0] - '0') * 100;
      e.spans.emplace_back(c, c + 99);
    } else if (auto dash = item.find('-'); dash != std::string_view::npos) {
      auto lo = parseCode(item.substr(0, dash));
      auto hi = parseCode(item.substr(dash + 1));
      if (!lo || !hi || *lo > *hi) return bad;
      e.spans.emplace_back(*lo, *hi);
    } else if (auto c = parseCode(item)) {
      e.spans.emplace_back(*c, *c);
    } else {
      return bad;
    }
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  return e;
}

Outcome decideSipCheck(const SipCheckOptions& o, const probes::SipProbeResult& r) {
  const double rtt = roundMs(r.rttMs);
  const std::string ms = core::formatNumber(rtt) + " ms";
  Outcome out;
  out.perfdata = perfdata(o, r, rtt);
  if (r.answered) {
    out.text = std::to_string(r.status) + " " + r.reason + " in " + ms + " from " + o.target;
    if (!r.nodeId.empty()) out.text += " (node " + r.nodeId.substr(0, 8) + ")";
    if (r.retransmissions > 0) out.text += ", " + retransText(r.retransmissions);
    if (o.expect.matches(r.status)) {
      out.state = core::evaluate(rtt, o.warning, o.critical);
    } else {
      out.state = core::State::Critical;
      out.text += " (expected " + o.expect.text + ")";
    }
  } else if (r.error == "timeout") {
    out.state = o.timeoutState;
    out.text = "no response from " + o.target + " within " + ms + " (timeout, " +
               retransText(r.retransmissions) + ")";
  } else if (r.error == "refused") {
    out.state = core::State::Critical;
    out.text = o.target + " refused the request after " + ms + " (refused: port closed)";
  } else if (r.error == "unreachable") {
    out.state = core::State::Critical;
    out.text = "cannot reach " + o.target + " (unreachable: " + r.detail + ")";
  } else if (r.error == "bad_response") {
    out.state = core::State::Critical;
    out.text = "bad response from " + o.target + " after " + ms + " (bad_response: " + r.detail + ")";
  } else {
    // bad_usage, internal: the check could not measure.
    out.state = core::State::Unknown;
    out.text = "cannot probe " + o.target + ": " + r.error + (r.detail.empty() ? "" : ": " + r.detail);
  }
  if (o.verbose > 0) {
    if (!r.address.empty()) out.longOutput.push_back("address " + r.address + " over " + r.transport);
    out.longOutput.push_back("request-uri " + r.requestUri);
    if (!r.server.empty()) out.longOutput.push_back("server " + r.server);
    if (!r.allow.empty()) {
      std::string line = "allow";
      for (const auto& m : r.allow) line += " " + m;
      out.longOutput.push_back(line);
    }
    if (!r.nodeId.empty()) out.longOutput.push_back("node-id " + r.nodeId);
    out.longOutput.push_back(retransText(r.retransmissions));
    if (!r.answered && !r.detail.empty()) out.longOutput.push_back(r.detail);
  }
  return out;
}

}  // namespace p2pmon::plugins
