#include "probes/sip_result.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>

#include "core/perfdata.hpp"

namespace p2pmon::probes {

namespace {

double round3(double ms) { return std::round(ms * 1000.0) / 1000.0; }

std::string msText(double ms) { return core::formatNumber(round3(ms)) + " ms"; }

SipJson orNull(const std::string& s) { return s.empty() ? SipJson(nullptr) : SipJson(s); }

}  // namespace

SipVerdict classifySipOutcome(const SipRawOutcome& raw, double timeoutMs) {
  const std::string nta = "NTA " + std::to_string(raw.status);
  if (raw.fromFarEnd) {
    if (raw.status >= 200 && raw.status <= 699) return {true, "", ""};
    return {false, "bad_response", "final status " + std::to_string(raw.status) + " out of range"};
  }
  // Garbage that NTA dropped while this transaction waited: the far end
  // talks, but not SIP (or not a response NTA could match).
  if (raw.badMessageSeen) {
    return {false, "bad_response", "the far end sent bytes that are not a valid SIP response"};
  }
  if (raw.status == 408) {
    return {false, "timeout",
            "no response within " + core::formatNumber(timeoutMs) + " ms (" + nta + ", local)"};
  }
  switch (raw.sendErrno) {
    case ECONNREFUSED:
      return {false, "refused", "port closed: ICMP port unreachable or TCP reset (" + nta + ", local)"};
    case EHOSTUNREACH:
    case ENETUNREACH:
    case EHOSTDOWN:
    case ENETDOWN:
    case EADDRNOTAVAIL:
      return {false, "unreachable", std::string("no route to the target: ") +
                                        (raw.sendErrno == ENETUNREACH ? "network" : "host") +
                                        " unreachable (" + nta + ", local)"};
    case ETIMEDOUT:
      return {false, "timeout", "connection timed out (" + nta + ", local)"};
    default:
      break;
  }
  if (raw.status == 503) {
    // NTA's transport error without an errno: ICMP port unreachable on UDP
    // and a refused TCP connect both end here.
    return {false, "refused", "the target refused the request (" + nta + ", local)"};
  }
  return {false, "unreachable",
          "NTA could not send the request (" + nta + (raw.phrase.empty() ? "" : " " + raw.phrase) +
              ", local)"};
}

std::optional<std::string> normalizeNodeId(std::string_view value) {
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value.front())) != 0) {
    value.remove_prefix(1);
  }
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back())) != 0) {
    value.remove_suffix(1);
  }
  if (value.size() != 32) return std::nullopt;
  std::string out;
  for (char c : value) {
    if (std::isxdigit(static_cast<unsigned char>(c)) == 0) return std::nullopt;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

SipJson sipResultJson(const SipProbeResult& r) {
  SipJson j;
  j["target"] = r.target;
  j["request_uri"] = r.requestUri;
  j["address"] = orNull(r.address);
  j["transport"] = r.transport;
  j["ok"] = r.answered;
  j["error"] = r.answered ? SipJson(nullptr) : SipJson(r.error);
  j["detail"] = orNull(r.detail);
  j["status"] = r.answered ? SipJson(r.status) : SipJson(nullptr);
  j["reason"] = r.answered ? SipJson(r.reason) : SipJson(nullptr);
  j["server"] = orNull(r.server);
  j["allow"] = r.allow;
  j["node_id"] = orNull(r.nodeId);
  j["call_id"] = orNull(r.callId);
  j["rtt_ms"] = round3(r.rttMs);
  j["retransmissions"] = r.retransmissions;
  return j;
}

std::string sipResultLine(const SipProbeResult& r) {
  std::string line = r.target + ": ";
  const std::string retrans = std::to_string(r.retransmissions) +
                              (r.retransmissions == 1 ? " retransmission" : " retransmissions");
  if (r.answered) {
    line += std::to_string(r.status) + " " + r.reason + " in " + msText(r.rttMs) + ", " + retrans;
    if (!r.server.empty()) line += ", server \"" + r.server + "\"";
    if (!r.nodeId.empty()) line += ", node " + r.nodeId;
    if (!r.allow.empty()) {
      line += ", allow ";
      for (std::size_t i = 0; i < r.allow.size(); ++i) line += (i ? "," : "") + r.allow[i];
    }
    return line;
  }
  line += r.error;
  if (!r.detail.empty()) line += ": " + r.detail;
  line += " after " + msText(r.rttMs) + ", " + retrans;
  return line;
}

SipSummary summarize(const std::vector<SipProbeResult>& results) {
  SipSummary s;
  double sum = 0;
  for (const auto& r : results) {
    ++s.sent;
    if (!r.answered) continue;
    if (s.answered == 0) {
      s.rttMin = s.rttMax = r.rttMs;
    } else {
      s.rttMin = std::min(s.rttMin, r.rttMs);
      s.rttMax = std::max(s.rttMax, r.rttMs);
    }
    ++s.answered;
    sum += r.rttMs;
  }
  if (s.answered > 0) s.rttAvg = sum / s.answered;
  return s;
}

}  // namespace p2pmon::probes
