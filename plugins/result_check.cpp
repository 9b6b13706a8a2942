#include "plugins/result_check.hpp"

#include <algorithm>
#include <cmath>

#include "core/perfdata.hpp"

namespace p2pmon::plugins {

namespace {
std::string ageText(double seconds) { return core::formatNumber(std::round(seconds)) + "s"; }
}  // namespace

Outcome decideResultCheck(const ResultCheckOptions& o, const CollectorAnswer& a, double now) {
  const std::string what = o.host + (o.service.empty() ? "" : "/" + o.service);
  switch (a.kind) {
    case CollectorAnswer::Kind::Unreachable:
      return {core::State::Unknown, "cannot reach the collector: " + a.detail, "", {}};
    case CollectorAnswer::Kind::BadReply:
      return {core::State::Unknown, "unexpected collector reply: " + a.detail, "", {}};
    case CollectorAnswer::Kind::Missing:
      return {core::State::Unknown, "no result for " + what + " at the collector", "", {}};
    case CollectorAnswer::Kind::Found: break;
  }
  const double age = std::max(0.0, now - a.last.time);
  core::PerfValue agePerf{"age", std::round(age), "s", "", "", "", ""};
  if (o.maxAge > 0) agePerf.crit = core::formatNumber(o.maxAge);
  std::string perf = core::formatPerfValue(agePerf);
  if (!a.last.perfdata.empty()) perf += " " + a.last.perfdata;

  Outcome out;
  out.perfdata = perf;
  std::string first = a.last.output.substr(0, a.last.output.find('\n'));
  if (o.maxAge > 0 && age > o.maxAge) {
    out.state = o.staleState;
    out.text = "last result for " + what + " is " + ageText(age) + " old (max " +
               ageText(o.maxAge) + "): " + first;
  } else {
    out.state = a.last.serviceState();
    out.text = first + " (" + ageText(age) + " ago)";
  }
  // Long output of the stored result follows, as the agent reported it.
  auto nl = a.last.output.find('\n');
  while (nl != std::string::npos) {
    auto next = a.last.output.find('\n', nl + 1);
    out.longOutput.push_back(a.last.output.substr(nl + 1, next == std::string::npos
                                                              ? std::string::npos
                                                              : next - nl - 1));
    nl = next;
  }
  if (o.verbose > 0) {
    out.longOutput.push_back("source: " + a.last.source);
    out.longOutput.push_back("last state change: " +
                             core::formatNumber(std::round(now - a.lastStateChange)) + "s ago");
  }
  return out;
}

}  // namespace p2pmon::plugins
