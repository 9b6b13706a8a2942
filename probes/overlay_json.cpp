#include "probes/overlay_json.hpp"

#include <array>
#include <cmath>

namespace p2pmon::probes {


double roundMs(double ms) { return std::round(ms * 1000.0) / 1000.0; }

std::string_view messageName(std::uint16_t code) {
  static constexpr std::array<std::string_view, overlay::kMessageCodes> kNames = {
      "error",      "ping_req",   "ping_ans",   "find_req",   "find_ans",
      "join_req",   "join_ans",   "update_req", "update_ans", "leave_req",
      "leave_ans",  "store_req",  "store_ans",  "fetch_req",  "fetch_ans",
      "diag_req",   "diag_ans",   "path_track_req", "path_track_ans"};
  if (code == static_cast<std::uint16_t>(overlay::MessageCode::Error)) return "error";
  if (code > 0 && code < kNames.size()) return kNames[code];
  return "unknown";
}

Json peerJson(const overlay::PeerRef& p) {
  return {{"node_id", p.id.hex()}, {"address", p.endpoint.str()}};
}

Json peersJson(const std::vector<overlay::PeerRef>& peers) {
  Json out = Json::array();
  for (const auto& p : peers) out.push_back(peerJson(p));
  return out;
}

Json diagJson(const overlay::DiagAns& d) {
  Json messages = Json::array();
  for (const auto& c : d.counters) {
    messages.push_back(
        {{"code", c.code}, {"name", messageName(c.code)}, {"sent", c.sent}, {"received", c.received}});
  }
  auto port = [](std::uint16_t p) { return p == 0 ? Json(nullptr) : Json(p); };
  return {{"node_id", d.self.id.hex()},
          {"address", d.self.endpoint.str()},
          {"uptime", d.uptime},
          {"software_version", d.softwareVersion},
          {"routing_table_size", d.routingTableSize},
          {"successors", peersJson(d.successors)},
          {"predecessors", peersJson(d.predecessors)},
          {"fingers", peersJson(d.fingers)},
          {"records_stored", d.recordsStored},
          {"bytes_stored", d.bytesStored},
          {"messages", messages},
          {"services", {{"sip", port(d.sipPort)}, {"stun", port(d.stunPort)}, {"rtp", port(d.rtpPort)}}}};
}

Json recordJson(const overlay::Record& r) {
  Json entries = Json::array();
  for (const auto& e : r.entries) {
    entries.push_back({{"key", e.key},
                       {"values", e.values},
                       {"storage_time", e.storageTime},
                       {"lifetime", e.lifetime}});
  }
  return {{"kind", r.kind == overlay::RecordKind::UserLocation ? "user" : "proxy"},
          {"name", r.name},
          {"entries", entries}};
}

Json pathJson(const overlay::PathTrace& t) {
  Json hops = Json::array();
  for (const auto& h : t.hops) {
    Json hop = diagJson(h.answer.diag);
    hop.erase("messages");  // a path track asks for no counters
    hop["node_id"] = h.id.hex();
    hop["address"] = h.asked.str();
    hop["rtt_ms"] = roundMs(h.rttMs);
    hop["step"] = {{"done", h.answer.step.done},
                   {"peer", peerJson(h.answer.step.peer)},
                   {"successors", peersJson(h.answer.step.successors)}};
    hops.push_back(std::move(hop));
  }
  return {{"target", t.target.hex()},
          {"complete", t.responsible.has_value()},
          {"error", t.error.empty() ? Json(nullptr) : Json(t.error)},
          {"detail", t.detail.empty() ? Json(nullptr) : Json(t.detail)},
          {"hop_count", t.hops.size()},
          {"hops", hops},
          {"responsible", t.responsible ? peerJson(*t.responsible) : Json(nullptr)}};
}

}  // namespace p2pmon::probes
