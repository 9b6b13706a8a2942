#include "overlay-agent/agent_checks.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "core/perfdata.hpp"
#include "plugins/lookup_check.hpp"
#include "plugins/nat_check.hpp"
#include "plugins/sip_check.hpp"

namespace p2pmon::overlay {

namespace {

constexpr std::size_t kMaxLongLines = 32;  // per result: output stays far below its bound

std::string text(const std::optional<core::Range>& r) { return r ? r->text : ""; }

// Rounded to `decimals` places (v * 10^d, not v / 0.1: that leaves 20.400000000000002).
double roundTo(double v, int decimals) {
  const double k = std::pow(10.0, decimals);
  return std::round(v * k) / k;
}

std::string plural(std::uint64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

// One perfdata item judged against its thresholds; an alert is noted for the text.
struct Judge {
  explicit Judge(const AgentCheckConfig& c) : config(c) {}
  const AgentCheckConfig& config;
  core::State state = core::State::Ok;
  std::vector<core::PerfValue> perf;
  std::vector<std::string> alerts;

  void metric(const std::string& name, double value, const char* uom, std::string min,
              std::string max, const std::string& shown) {
    const auto& t = config.metric(name);
    const core::State s = core::evaluate(value, t.warning, t.critical);
    if (s != core::State::Ok) {
      const auto& r = s == core::State::Critical ? t.critical : t.warning;
      alerts.push_back(shown + " outside " + r->text);
    }
    state = core::worse(state, s);
    perf.push_back({name, value, uom, text(t.warning), text(t.critical), std::move(min),
                    std::move(max)});
  }
};

std::string joined(const std::vector<std::string>& items, const char* sep) {
  std::string s;
  for (const auto& i : items) s += (s.empty() ? "" : sep) + i;
  return s;
}

}  // namespace

std::string_view outputLabel(AgentCheck c) {
  static constexpr std::array<std::string_view, kAgentChecks> kLabels{"PEER", "SIP", "RTP", "NAT",
                                                                      "DHT"};
  return kLabels[static_cast<std::size_t>(c)];
}

core::CheckResult makeResult(AgentCheck c, const plugins::Outcome& o, const std::string& host,
                             const std::string& source, double time) {
  core::CheckResult r;
  r.host = host;
  r.service = std::string(checkName(c));
  r.state = o.state;
  r.output = std::string(outputLabel(c)) + " " + std::string(core::stateName(o.state)) + " - " +
             o.text;
  for (std::size_t i = 0; i < o.longOutput.size() && i < kMaxLongLines; ++i) {
    r.output += "\n" + o.longOutput[i];
  }
  r.perfdata = o.perfdata;
  r.time = time;
  r.source = source;
  return r;
}

plugins::Outcome decidePeerHealth(const AgentCheckConfig& c, const HealthSample& now,
                                  const std::optional<HealthSample>& previous) {
  auto since = [&](std::uint64_t HealthSample::*field) {
    const std::uint64_t v = now.*field;
    if (!previous || (*previous).*field > v) return v;
    return v - (*previous).*field;
  };
  const auto stabilizations = since(&HealthSample::stabilizations);
  const auto timeouts = since(&HealthSample::timeouts);
  const auto drops = since(&HealthSample::drops);
  Judge j{c};
  auto n = [](std::size_t v) { return static_cast<double>(v); };
  j.metric("successors", n(now.successors), "", "0", std::to_string(now.successorsMax),
           "successors " + std::to_string(now.successors));
  j.metric("predecessors", n(now.predecessors), "", "0", std::to_string(now.predecessorsMax),
           "predecessors " + std::to_string(now.predecessors));
  j.metric("fingers", n(now.fingers), "", "0", std::to_string(now.fingersMax),
           "fingers " + std::to_string(now.fingers));
  j.metric("stabilizations", static_cast<double>(stabilizations), "", "0", "",
           "stabilisations " + std::to_string(stabilizations));
  j.metric("records", n(now.records), "", "0", "", "records " + std::to_string(now.records));
  j.metric("timeouts", static_cast<double>(timeouts), "", "0", "",
           "timeouts " + std::to_string(timeouts));
  j.metric("drops", static_cast<double>(drops), "", "0", "", "drops " + std::to_string(drops));
  if (now.rssMB) {
    j.metric("rss", roundTo(*now.rssMB, 1), "MB", "0", "",
             "RSS " + core::formatNumber(roundTo(*now.rssMB, 1)) + " MB");
  }
  j.perf.push_back({"sent", static_cast<double>(since(&HealthSample::sent)), "", "", "", "0", ""});
  j.perf.push_back(
      {"received", static_cast<double>(since(&HealthSample::received)), "", "", "", "0", ""});

  plugins::Outcome out;
  out.state = j.state;
  std::string base = std::to_string(now.successors) + "/" + std::to_string(now.successorsMax) +
                     " successors, " + std::to_string(now.predecessors) + "/" +
                     std::to_string(now.predecessorsMax) + " predecessors, " +
                     plural(now.fingers, "finger", "fingers") + ", " +
                     plural(now.records, "record", "records") + "; since last run " +
                     plural(stabilizations, "stabilisation", "stabilisations") + ", " +
                     plural(timeouts, "timeout", "timeouts") + ", " +
                     plural(drops, "dropped datagram", "dropped datagrams");
  if (now.rssMB) base += "; process RSS " + core::formatNumber(roundTo(*now.rssMB, 1)) + " MB";
  std::string lead;
  if (!now.joined) {
    out.state = core::State::Critical;
    lead = "not joined the overlay";
  } else if (now.successors == 0) {
    out.state = core::State::Critical;
    lead = "joined but no successor";
  } else {
    lead = "joined";
  }
  if (!j.alerts.empty()) lead += ", " + joined(j.alerts, ", ");
  out.text = lead + "; " + base;
  out.perfdata = core::formatPerfdata(j.perf);
  return out;
}

std::optional<double> rssMBFromStatm(std::string_view statm, long pageSize) {
  // "size resident shared text lib data dt", in pages.
  const auto space = statm.find(' ');
  if (space == std::string_view::npos || pageSize <= 0) return std::nullopt;
  std::string_view rest = statm.substr(space + 1);
  std::uint64_t pages = 0;
  auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), pages);
  if (ec != std::errc() || end == rest.data()) return std::nullopt;
  return static_cast<double>(pages) * static_cast<double>(pageSize) / (1024.0 * 1024.0);
}

plugins::Outcome decideSipNeighbours(const AgentCheckConfig& c, const SipNeighbours& n) {
  plugins::Outcome out;
  const std::size_t asked = n.results.size();
  if (asked == 0) {
    out.state = core::State::Unknown;
    out.text = "no neighbour with a known SIP port to ask" +
               (n.unknown > 0 ? " (" + plural(n.unknown, "neighbour", "neighbours") +
                                    " without diagnostics or SIP)"
                              : std::string(" (no neighbours)"));
    return out;
  }
  plugins::SipCheckOptions o;
  const auto& rtt = c.metric("rtt");
  o.warning = rtt.warning;
  o.critical = rtt.critical;
  o.timeoutMs = n.timeoutMs;
  o.timeoutState = core::State::Critical;
  o.expect = *plugins::parseSipExpect(plugins::kDefaultExpect);
  core::State state = core::State::Ok;
  std::vector<double> rtts;
  std::vector<std::string> problems;
  for (const auto& r : n.results) {
    o.target = r.target;
    const auto d = plugins::decideSipCheck(o, r);
    if (r.answered) {
      rtts.push_back(roundTo(r.rttMs, 3));
      state = core::worse(state, d.state);
    }
    if (d.state != core::State::Ok) problems.push_back(d.text);
  }
  const std::size_t answered = rtts.size();
  const std::size_t failed = asked - answered;
  const auto& f = c.metric("failed");
  state = core::worse(state, core::evaluate(static_cast<double>(failed), f.warning, f.critical));
  if (answered == 0) state = core::State::Critical;
  std::sort(rtts.begin(), rtts.end());
  std::optional<double> median, max;
  if (!rtts.empty()) {
    const std::size_t m = rtts.size() / 2;
    median = rtts.size() % 2 == 1 ? rtts[m] : roundTo((rtts[m - 1] + rtts[m]) / 2, 3);
    max = rtts.back();
  }
  out.state = state;
  out.text = std::to_string(answered) + " of " + plural(asked, "neighbour", "neighbours") +
             " answered OPTIONS";
  if (median) {
    out.text += ", RTT median " + core::formatNumber(*median) + " ms, max " +
                core::formatNumber(*max) + " ms";
  }
  if (n.unknown > 0) out.text += ", " + std::to_string(n.unknown) + " not asked (no SIP port known)";
  if (!problems.empty()) {
    out.text += "; " + problems.front();
    if (problems.size() > 1) out.text += " (and " + std::to_string(problems.size() - 1) + " more)";
    out.longOutput = problems;
  }
  const std::string total = std::to_string(asked);
  std::vector<core::PerfValue> p;
  p.push_back({"answered", static_cast<double>(answered), "", "", "", "0", total});
  p.push_back({"failed", static_cast<double>(failed), "", text(f.warning), text(f.critical), "0",
               total});
  p.push_back({"rtt_median", median, "ms", "", "", "0", ""});
  p.push_back({"rtt_max", max, "ms", text(rtt.warning), text(rtt.critical), "0",
               core::formatNumber(n.timeoutMs)});
  out.perfdata = core::formatPerfdata(p);
  return out;
}

std::string canaryName(const core::NodeId& id, const std::string& overlay) {
  return "canary." + id.hex() + "@" + overlay;
}

plugins::Outcome decideCanary(const AgentCheckConfig& c, const CanaryRun& r) {
  const auto& lat = c.metric("latency");
  const auto& hops = c.metric("hops");
  plugins::Outcome out;
  if (!r.putError.empty()) {
    out.state = core::State::Critical;
    out.text = "cannot store the canary " + r.name + " (" + r.putError + ")";
    return out;
  }
  plugins::LookupCheckOptions o;
  o.aor = r.name;
  o.peer = "this peer";
  o.warning = lat.warning;
  o.critical = lat.critical;
  o.timeoutMs = r.timeoutMs;
  plugins::LookupAnswer a;
  a.kind = r.found                  ? plugins::LookupAnswer::Kind::Found
           : r.error == "not_found" ? plugins::LookupAnswer::Kind::NotFound
                                    : plugins::LookupAnswer::Kind::Failed;
  a.responsible = r.responsible;
  a.responsibleAddress = r.responsibleAddress;
  a.hops = r.hops;
  a.latencyMs = r.latencyMs;
  a.error = r.error;
  out = plugins::decideLookupCheck(o, a);
  if (r.found) {
    out.state = core::worse(out.state,
                            core::evaluate(static_cast<double>(r.hops), hops.warning, hops.critical));
    if (!r.contentOk) {
      out.state = core::State::Critical;
      out.text += ", but it holds '" + r.contentSeen + "', not what was stored";
    }
  }
  std::vector<core::PerfValue> p;
  p.push_back({"latency", roundTo(r.latencyMs, 3), "ms", text(lat.warning), text(lat.critical),
               "0", core::formatNumber(r.timeoutMs)});
  p.push_back({"hops", static_cast<double>(r.hops), "", text(hops.warning), text(hops.critical),
               "0", ""});
  out.perfdata = core::formatPerfdata(p);
  return out;
}

plugins::RtpCheckOptions rtpCheckOptions(const AgentCheckConfig& c, const std::string& target) {
  plugins::RtpCheckOptions o;
  o.target = target;
  o.mosWarning = c.metric("mos").warning;
  o.mosCritical = c.metric("mos").critical;
  o.lossWarning = c.metric("loss").warning;
  o.lossCritical = c.metric("loss").critical;
  o.jitterWarning = c.metric("jitter").warning;
  o.jitterCritical = c.metric("jitter").critical;
  o.timeoutState = core::State::Critical;
  return o;
}

plugins::Outcome decideNatBehaviour(const probes::nat::NatReport& r,
                                    std::optional<probes::nat::NatType> previous) {
  plugins::NatCheckOptions o;
  o.warnOnChange = true;  // the peer's path to the world changed under it
  return plugins::decideNatCheck(o, r, previous);
}

}  // namespace p2pmon::overlay
