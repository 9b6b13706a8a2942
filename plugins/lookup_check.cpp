#include "plugins/lookup_check.hpp"

#include <cmath>

#include "core/perfdata.hpp"

namespace p2pmon::plugins {

namespace {
// Microsecond resolution: the state is decided on the figure the graph shows.
double roundMs(double ms) { return std::round(ms * 1000.0) / 1000.0; }

std::string hopsText(int hops) {
  return std::to_string(hops) + (hops == 1 ? " hop" : " hops");
}

std::string shortId(const std::string& hex) { return hex.substr(0, 8); }

std::string perfdata(const LookupCheckOptions& o, double latency, std::optional<int> hops) {
  std::vector<core::PerfValue> items;
  items.push_back({"latency", latency, "ms", o.warning ? o.warning->text : "",
                   o.critical ? o.critical->text : "", "0", core::formatNumber(o.timeoutMs)});
  if (hops) items.push_back({"hops", static_cast<double>(*hops), "", "", "", "0", ""});
  return core::formatPerfdata(items);
}
}  // namespace

Outcome decideLookupCheck(const LookupCheckOptions& o, const LookupAnswer& a) {
  const double latency = roundMs(a.latencyMs);
  const std::string ms = core::formatNumber(latency) + " ms";
  Outcome out;
  switch (a.kind) {
    case LookupAnswer::Kind::Found:
      out.state = core::evaluate(latency, o.warning, o.critical);
      out.text = o.aor + " found at " + shortId(a.responsible) + " in " + hopsText(a.hops) + ", " + ms;
      out.perfdata = perfdata(o, latency, a.hops);
      if (o.verbose > 0) {
        out.longOutput.push_back("responsible peer " + a.responsible + " at " + a.responsibleAddress);
        for (const auto& c : a.contacts) {
          std::string line = "contact " + c.contact + ":";
          for (const auto& t : c.transports) line += " " + t;
          out.longOutput.push_back(line);
        }
      }
      return out;
    case LookupAnswer::Kind::NotFound:
      out.state = core::State::Critical;
      out.text = o.aor + " not found (asked " + shortId(a.responsible) + " in " + hopsText(a.hops) +
                 ", " + ms + ")";
      out.perfdata = perfdata(o, latency, a.hops);
      if (o.verbose > 0) {
        out.longOutput.push_back("responsible peer " + a.responsible + " at " + a.responsibleAddress);
      }
      return out;
    case LookupAnswer::Kind::NoAnswer:
      // The time waited is a figure (graphs show the outage as the timeout
      // rather than a gap); no route was walked, so no hop count.
      out.state = o.timeoutState;
      out.text = "no answer from " + o.peer + " (" + a.error + " after " + ms + ")";
      out.perfdata = perfdata(o, latency, std::nullopt);
      break;
    case LookupAnswer::Kind::Failed:
      out.state = core::State::Critical;
      out.text = "lookup of " + o.aor + " failed after " + hopsText(a.hops) + ", " + ms + ": " +
                 a.error;
      out.perfdata = perfdata(o, latency, a.hops);
      break;
  }
  if (o.verbose > 0 && !a.detail.empty()) out.longOutput.push_back(a.detail);
  return out;
}

}  // namespace p2pmon::plugins
