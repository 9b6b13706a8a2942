#include "probes/crawl_report.hpp"

#include "probes/crawl_sip.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace p2pmon::probes {

using Json = nlohmann::ordered_json;

namespace {
double round3(double v) { return std::round(v * 1000.0) / 1000.0; }

Json ids(const std::vector<core::NodeId>& v) {
  Json a = Json::array();
  for (const auto& id : v) a.push_back(id.hex());
  return a;
}
Json port(std::uint16_t p) { return p == 0 ? Json(nullptr) : Json(p); }

Json disagreements(const std::vector<ring::Disagreement>& v) {
  Json a = Json::array();
  for (const auto& d : v)
    a.push_back({{"peer", d.peer.hex()},
                 {"says", d.says ? Json(d.says->hex()) : Json(nullptr)},
                 {"truth", d.truth.hex()}});
  return a;
}
}  // namespace

Json crawlJson(const CrawlContext& c, const ChordCrawlResult& crawl, const ring::RingReport& r) {
  const auto& s = crawl.summary;
  Json errors = Json::object();
  for (const auto& [code, n] : s.errors) errors[code] = n;
  Json summary = {{"discovered", s.discovered},
                  {"answered", s.answered},
                  {"failed", s.failed},
                  {"unvisited", s.unvisited},
                  {"requests", s.requests},
                  {"requests_per_peer", s.discovered == 0 ? 0.0
                                                          : round3(static_cast<double>(s.requests) /
                                                                   static_cast<double>(s.discovered))},
                  {"late_answers", s.lateAnswers},
                  {"bad_answers", crawl.badAnswers},
                  {"neighbours_cut", s.neighboursCut},
                  {"peer_limit_hit", s.peerLimitHit},
                  {"deadline_hit", s.deadlineHit},
                  {"errors", errors},
                  {"replica_requests", c.replicaRequests},
                  {"replica_unanswered", c.replicaUnanswered}};
  if (c.sipProbed) {
    const auto sip = summariseSip(crawl.peers);
    summary["sip"] = {{"probed", sip.probed}, {"ok", sip.ok}, {"failed", sip.failed}};
  }
  Json dangling = Json::array();
  for (const auto& p : r.danglingSamples)
    dangling.push_back({{"from", p.from.hex()}, {"to", p.to.hex()}, {"list", p.list}});
  Json replicas = Json::array();
  for (const auto& x : r.replicas)
    replicas.push_back({{"key", x.key.hex()}, {"responsible", x.responsible.hex()},
                        {"expected", x.expected}, {"present", x.present}});
  Json ring = {{"consistent", r.consistent()},
               {"found", r.found},
               {"reachable", r.reachable},
               {"rings", r.rings},
               {"successor_disagreements", r.successorDisagreements},
               {"predecessor_disagreements", r.predecessorDisagreements},
               {"dangling_pointers", r.danglingPointers},
               {"dangling_neighbours", r.danglingNeighbours},
               {"successor_lists", r.successorLists},
               {"successor_list_gaps", r.successorListGaps},
               {"fingers", r.fingers},
               {"finger_accuracy", round3(r.fingerAccuracy())},
               {"size_estimate", std::round(r.sizeEstimate)},
               {"unreferenced", ids(r.unreferenced)},
               {"replicas", replicas},
               {"samples",
                {{"successor", disagreements(r.successorSamples)},
                 {"predecessor", disagreements(r.predecessorSamples)},
                 {"dangling", dangling}}},
               {"order", ids(r.ring)}};
  if (r.churnKnown)
    ring["churn"] = {{"joined", ids(r.joined)}, {"left", ids(r.left)}, {"restarted", ids(r.restarted)}};
  Json peers = Json::array();
  for (const auto& v : crawl.peers) {
    const auto& p = v.peer;
    const bool known = p.reachable || !(p.id == core::NodeId{});
    peers.push_back({{"node_id", known ? Json(p.id.hex()) : Json(nullptr)},
                     {"address", p.address},
                     {"reachable", p.reachable},
                     {"error", v.error.empty() ? Json(nullptr) : Json(v.error)},
                     {"rtt_ms", p.reachable ? Json(round3(v.rttMs)) : Json(nullptr)},
                     {"attempts", v.attempts},
                     {"software_version", p.reachable ? Json(v.softwareVersion) : Json(nullptr)},
                     {"uptime_s", p.uptimeS ? Json(*p.uptimeS) : Json(nullptr)},
                     {"routing_table_size", v.routingTableSize},
                     {"records_stored", v.recordsStored},
                     {"bytes_stored", v.bytesStored},
                     {"services", {{"sip", port(v.sipPort)}, {"stun", port(v.stunPort)}, {"rtp", port(v.rtpPort)}}},
                     {"successors", ids(p.successors)},
                     {"predecessors", ids(p.predecessors)},
                     {"fingers", ids(p.fingers)},
                     {"sip", v.sip ? Json{{"status", v.sip->status == 0 ? Json(nullptr) : Json(v.sip->status)},
                                          {"rtt_ms", round3(v.sip->rttMs)},
                                          {"error", v.sip->error.empty() ? Json(nullptr) : Json(v.sip->error)}}
                                   : Json(nullptr)}});
  }
  return {{"format", "p2pmon-crawl/1"},
          {"overlay", c.overlay},
          {"started_at", round3(c.startedAt)},
          {"seconds", round3(crawl.seconds)},
          {"bootstrap", c.bootstrap},
          {"summary", summary},
          {"ring", ring},
          {"peers", peers}};
}

std::string crawlSummary(const CrawlContext& c, const ChordCrawlResult& crawl,
                         const ring::RingReport& r) {
  const auto& s = crawl.summary;
  std::ostringstream o;
  o << "crawl of overlay '" << c.overlay << "': " << s.discovered << " peers found, " << s.answered
    << " reachable, " << s.failed << " unreachable in " << round3(crawl.seconds) << " s ("
    << s.requests << " requests)\n";
  for (const auto& [code, n] : s.errors) o << "  unreachable: " << n << " " << code << "\n";
  if (s.peerLimitHit) o << "  stopped at --max-peers: more peers were named\n";
  if (s.deadlineHit) o << "  stopped at --max-duration: not every peer was asked\n";
  o << "ring: " << (r.consistent() ? "consistent" : "NOT consistent") << ", ";
  if (r.rings.empty() && r.reachable > 0) {
    // Every chain of first successors runs into a dead or unknown peer.
    o << "no closed ring (following first reachable successors never leads back)";
  } else {
    o << r.rings.size() << (r.rings.size() == 1 ? " ring" : " rings");
  }
  if (r.rings.size() > 1) {
    o << " (sizes";
    for (auto n : r.rings) o << " " << n;
    o << ")";
  }
  o << ", estimated size " << std::round(r.sizeEstimate) << "\n";
  o << "  successor disagreements " << r.successorDisagreements << ", predecessor disagreements "
    << r.predecessorDisagreements << ", pointers to dead peers " << r.danglingPointers << " ("
    << r.danglingNeighbours << " in neighbour lists), successor-list gaps " << r.successorListGaps
    << ", peers nobody points to " << r.unreferenced.size() << ", finger accuracy "
    << round3(r.fingerAccuracy() * 100) << "%\n";
  if (!r.replicas.empty()) {
    std::size_t short_ = 0;
    for (const auto& x : r.replicas) short_ += x.present < x.expected ? 1 : 0;
    o << "  replicas: " << r.replicas.size() << " keys sampled, " << short_
      << " with fewer copies than expected\n";
  }
  if (c.sipProbed) {
    const auto sip = summariseSip(crawl.peers);
    o << "sip: " << sip.probed << " peers probed, " << sip.ok << " answered 2xx, " << sip.failed
      << " failed\n";
  }
  if (r.churnKnown)
    o << "  since the previous crawl: " << r.joined.size() << " joined, " << r.left.size() << " left, "
      << r.restarted.size() << " restarted\n";
  return o.str();
}

int crawlExitCode(const ChordCrawlResult& crawl, const ring::RingReport& r) {
  if (crawl.summary.answered == 0) return 2;
  const bool replicasOk = std::all_of(r.replicas.begin(), r.replicas.end(),
                                      [](const ring::ReplicaCount& x) { return x.present >= x.expected; });
  const bool sipOk = summariseSip(crawl.peers).failed == 0;
  return r.consistent() && crawl.summary.failed == 0 && replicasOk && sipOk ? 0 : 1;
}

core::Expected<ring::PreviousCrawl> previousFromJson(const nlohmann::json& doc, double startedAt) {
  auto bad = [](const std::string& why) {
    return core::makeError("bad_previous", "previous crawl: " + why);
  };
  if (!doc.is_object() || doc.value("format", std::string()) != "p2pmon-crawl/1")
    return bad("not a p2pmon-crawl/1 document");
  const auto started = doc.find("started_at");
  const auto peers = doc.find("peers");
  if (started == doc.end() || !started->is_number()) return bad("started_at is not a number");
  if (peers == doc.end() || !peers->is_array()) return bad("peers is not an array");
  ring::PreviousCrawl prev;
  prev.ageS = std::max(0.0, startedAt - started->get<double>());
  for (const auto& p : *peers) {
    if (!p.is_object()) return bad("a peer is not an object");
    const auto reachable = p.find("reachable");
    if (reachable == p.end() || !reachable->is_boolean()) return bad("a peer's reachable is not a boolean");
    if (!reachable->get<bool>()) continue;
    const auto id = p.find("node_id");
    if (id == p.end() || !id->is_string()) return bad("a reachable peer has no node_id");
    auto nodeId = core::NodeId::fromHex(id->get<std::string>());
    if (!nodeId) return bad("node_id " + id->get<std::string>() + " is not 32 hex digits");
    ring::PreviousPeer pp{*nodeId, std::nullopt};
    const auto up = p.find("uptime_s");
    if (up != p.end() && up->is_number_unsigned()) pp.uptimeS = up->get<std::uint32_t>();
    prev.peers.push_back(pp);
  }
  return prev;
}

}  // namespace p2pmon::probes
