#include "plugins/rtp_check.hpp"

#include <algorithm>
#include <cmath>

#include "core/perfdata.hpp"
#include "core/state.hpp"

namespace p2pmon::plugins {

namespace {

double round3(double v) { return std::round(v * 1000.0) / 1000.0; }
double round2(double v) { return std::round(v * 100.0) / 100.0; }

std::string text(const std::optional<core::Range>& r) { return r ? r->text : ""; }

std::string fmt(double v, const char* unit) { return core::formatNumber(v) + unit; }

}  // namespace

core::Expected<core::Range> parseMosThreshold(const std::string& text) {
  const bool plain = text.find_first_of(":@~") == std::string::npos;
  return core::parseRange(plain ? text + ":" : text);
}

Outcome decideRtpCheck(const RtpCheckOptions& o, const probes::RtpTargetRun& run) {
  const auto& r = run.result;
  Outcome out;
  if (run.error) {
    // No reflection at all: no media gets through to this peer.
    out.state = o.timeoutState;
    if (run.error->code == "timeout") {
      out.text = "no reply from " + o.target + " (" + std::to_string(r.sent) + " packets sent)";
    } else {
      out.text = "cannot reach " + o.target + " (" + run.error->code + ": " + run.error->message + ")";
    }
    return out;
  }
  const double mos = round2(r.mos);
  const double rf = round2(r.r);
  const double loss = round2(r.lossPercent);
  const double jitter = round3(r.jitterMs);
  const double rtt = round3(r.rtt.medianMs);
  out.state = core::evaluate(mos, o.mosWarning, o.mosCritical);
  out.state = core::worse(out.state, core::evaluate(loss, o.lossWarning, o.lossCritical));
  out.state = core::worse(out.state, core::evaluate(jitter, o.jitterWarning, o.jitterCritical));
  out.text = "MOS " + core::formatNumber(mos) + " (R " + core::formatNumber(rf) + "), loss " +
             fmt(round2(std::max(0.0, r.forward.lostPercent)), "%") + " forward / " +
             fmt(round2(std::max(0.0, r.back.lostPercent)), "%") + " return, jitter " +
             fmt(round3(r.forward.jitterMs), " ms") + " / " + fmt(round3(r.back.jitterMs), " ms") +
             ", rtt " + fmt(rtt, " ms") + " to " + o.target;
  std::vector<core::PerfValue> p;
  p.push_back({"mos", mos, "", text(o.mosWarning), text(o.mosCritical), "1", "4.5"});
  p.push_back({"r_factor", rf, "", "", "", "0", "100"});
  p.push_back({"loss", loss, "%", text(o.lossWarning), text(o.lossCritical), "0", "100"});
  p.push_back({"jitter", jitter, "ms", text(o.jitterWarning), text(o.jitterCritical), "0", ""});
  p.push_back({"rtt", rtt, "ms", "", "", "0", ""});
  out.perfdata = core::formatPerfdata(p);
  if (o.verbose > 0) {
    auto dir = [](const char* name, const probes::RtpDirectionStats& d) {
      return std::string(name) + ": " + std::to_string(d.received) + " of " + std::to_string(d.expected) +
             " received, lost " + std::to_string(d.lost) + ", jitter " + core::formatNumber(round3(d.jitterMs)) +
             " ms (max " + core::formatNumber(round3(d.jitterMaxMs)) + "), MOS " +
             core::formatNumber(round2(d.emodel.mos));
    };
    out.longOutput.push_back("address " + run.address + ", " + std::to_string(r.sent) + " packets sent, " +
                             std::to_string(r.reflections) + " reflections");
    out.longOutput.push_back(dir("forward", r.forward));
    out.longOutput.push_back(dir("return", r.back));
    out.longOutput.push_back("rtt min " + core::formatNumber(round3(r.rtt.minMs)) + " ms, median " +
                             core::formatNumber(rtt) + " ms, max " + core::formatNumber(round3(r.rtt.maxMs)) +
                             " ms; one-way delay for the E-model " + core::formatNumber(round3(r.delayMs)) + " ms");
  }
  return out;
}

}  // namespace p2pmon::plugins
