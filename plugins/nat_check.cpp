#include "plugins/nat_check.hpp"

#include <algorithm>
#include <cmath>

#include "core/perfdata.hpp"

namespace p2pmon::plugins {

namespace nat = probes::nat;
namespace stun = probes::stun;

namespace {

std::string trimmed(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return std::string(s);
}

std::string joinNames(const std::vector<nat::NatType>& types) {
  std::string s;
  for (auto t : types) s += (s.empty() ? "" : ",") + std::string(nat::name(t));
  return s;
}

std::string perfdata(const nat::NatReport& r) {
  std::vector<core::PerfValue> items;
  // In ms at 0.1 ms: a probe on a LAN is done in under a millisecond, and
  // seconds would need an exponent there, which graphers do not parse.
  items.push_back({"time", std::round(r.elapsedMs * 10.0) / 10.0, "ms", "", "", "0", ""});
  if (r.lifetimeS) items.push_back({"lifetime", *r.lifetimeS, "s", "", "", "0", ""});
  if (!r.tcp.empty()) {
    double open = 0;
    for (const auto& t : r.tcp) open += t.reach == stun::TcpReach::reachable ? 1 : 0;
    items.push_back({"tcp_reachable", open, "", "", "", "0", std::to_string(r.tcp.size())});
  }
  return core::formatPerfdata(items);
}

// "port_restricted_cone (mapping endpoint_independent, filtering
// address_port_dependent), mapped 192.0.2.1:4000"
std::string describe(const nat::NatReport& r, nat::NatType type) {
  std::string s(nat::name(type));
  if (type != nat::NatType::blocked) {
    s += " (mapping " + std::string(nat::name(nat::mappingOf(r.mapping))) + ", filtering " +
         std::string(nat::name(nat::filteringOf(r.filtering))) + ")";
  }
  if (r.mapping.x1) s += ", mapped " + r.mapping.x1->str();
  if (r.hairpinning) s += *r.hairpinning ? ", hairpinning" : ", no hairpinning";
  if (r.lifetimeS) {
    s += ", binding lifetime >= " + core::formatNumber(*r.lifetimeS) + " s";
    if (r.lifetimeDeadS) s += " and < " + core::formatNumber(*r.lifetimeDeadS) + " s";
  }
  return s;
}

}  // namespace

core::Expected<std::vector<nat::NatType>> parseNatExpect(std::string_view text) {
  std::vector<nat::NatType> out;
  std::string_view rest = text;
  while (true) {
    const auto comma = rest.find(',');
    const std::string item = trimmed(rest.substr(0, comma));
    auto t = nat::parseNatType(item);
    if (!t || *t == nat::NatType::unknown) {
      return core::makeError("bad_expect",
                             "'" + item +
                                 "' is not a NAT type (open, full_cone, restricted_cone, "
                                 "port_restricted_cone, symmetric, symmetric_firewall, blocked)");
    }
    if (std::find(out.begin(), out.end(), *t) == out.end()) out.push_back(*t);
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  return out;
}

std::optional<nat::NatType> typeToRemember(const nat::NatReport& r) {
  const auto t = nat::classify(r.mapping, r.filtering);
  if (t == nat::NatType::unknown) return std::nullopt;
  return t;
}

Outcome decideNatCheck(const NatCheckOptions& o, const nat::NatReport& r,
                       std::optional<nat::NatType> previous) {
  Outcome out;
  out.perfdata = perfdata(r);
  const auto type = nat::classify(r.mapping, r.filtering);
  const bool listed = std::find(o.expect.begin(), o.expect.end(), type) != o.expect.end();
  if (type == nat::NatType::unknown) {
    out.state = core::State::Unknown;
    out.text = "NAT type undetermined via " + r.server + ": " +
               (r.error.empty() ? "the tests gave no verdict" : r.error) +
               (r.detail.empty() ? "" : " (" + r.detail + ")");
    return out;
  }
  out.text = describe(r, type);
  if (type == nat::NatType::blocked && !listed) {
    out.state = core::State::Critical;
    out.text = "UDP blocked: no STUN answer from " + r.server + " within " +
               core::formatNumber(std::round(r.elapsedMs / 100.0) / 10.0) + " s";
    return out;
  }
  out.state = core::State::Ok;
  if (!o.expect.empty() && !listed) {
    out.state = o.unexpectedState;
    out.text += ", expected " + joinNames(o.expect);
  }
  // TCP reachability of our own listening ports, when asked.
  std::vector<std::string> closed;
  for (const auto& t : r.tcp) {
    if (t.reach != stun::TcpReach::reachable)
      closed.push_back(std::to_string(t.port) + " " + std::string(stun::name(t.reach)));
  }
  if (!r.tcp.empty()) {
    if (closed.empty()) {
      std::string ports;
      for (const auto& t : r.tcp) ports += (ports.empty() ? "" : ",") + std::to_string(t.port);
      out.text += ", TCP " + ports + " reachable";
    } else {
      out.state = core::worse(out.state, o.tcpState);
      std::string list;
      for (const auto& c : closed) list += (list.empty() ? "" : ", ") + c;
      out.text += ", TCP not reachable: " + list;
    }
  } else if (!r.tcpError.empty()) {
    out.state = core::worse(out.state, o.tcpState);
    out.text += ", TCP check " + r.tcpError;
  }
  if (o.warnOnChange && previous && *previous != type) {
    out.state = core::worse(out.state, core::State::Warning);
    out.text += ", changed from " + std::string(nat::name(*previous));
  }
  if (o.verbose > 0) {
    out.longOutput.push_back("server " + r.server +
                             (r.otherAddress ? ", other address " + r.otherAddress->str() : ""));
    if (r.mapping.local) out.longOutput.push_back("local address " + r.mapping.local->str());
    for (const auto& [label, x] : {std::pair{"X1 (primary)", r.mapping.x1},
                                   std::pair{"X2 (alternate IP)", r.mapping.x2},
                                   std::pair{"X3 (alternate address)", r.mapping.x3}}) {
      out.longOutput.push_back(std::string("mapping ") + label + ": " +
                               (x ? x->str() : std::string("not tested or no answer")));
    }
    out.longOutput.push_back(std::string("filtering: change IP+port ") +
                             (r.filtering.test2 ? "answered" : "unanswered") +
                             (r.filtering.test3 ? std::string(", change port ") +
                                                      (*r.filtering.test3 ? "answered" : "unanswered")
                                                : std::string()));
    if (!r.error.empty()) out.longOutput.push_back("incomplete: " + r.error + " " + r.detail);
  }
  return out;
}

}  // namespace p2pmon::plugins
