#include "collector/crawl_results.hpp"

#include <algorithm>
#include <cmath>
#include <unordered_map>
#include <unordered_set>

#include "core/churn.hpp"
#include "core/perfdata.hpp"

namespace p2pmon::collector {

namespace {
std::string shortId(const std::string& id) { return id.substr(0, 8); }

std::string plural(std::size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

core::PerfValue count(const char* label, std::size_t n) {
  return {label, static_cast<double>(n), "", "", "", "0", ""};
}
}  // namespace

std::string peerHostName(const std::string& nodeId) { return "peer-" + shortId(nodeId); }

std::vector<PeerVerdict> judgePeers(const CrawlDoc& doc, const std::string& source) {
  // The best sighting per Node-ID, as the ring analysis keeps it.
  std::unordered_map<std::string, std::size_t> best;
  for (std::size_t i = 0; i < doc.peers.size(); ++i) {
    const auto& p = doc.peers[i];
    if (!p.nodeId) continue;
    auto [it, fresh] = best.emplace(*p.nodeId, i);
    if (!fresh && !doc.peers[it->second].reachable && p.reachable) it->second = i;
  }
  std::vector<std::string> ring;
  std::unordered_set<std::string> dead;
  for (const auto& [id, i] : best) {
    if (doc.peers[i].reachable) {
      ring.push_back(id);
    } else {
      dead.insert(id);
    }
  }
  std::sort(ring.begin(), ring.end());
  std::vector<std::size_t> order;
  for (const auto& [id, i] : best) order.push_back(i);
  std::sort(order.begin(), order.end());  // document order

  const double time = doc.startedAt + doc.seconds;
  std::vector<PeerVerdict> out;
  out.reserve(order.size());
  for (std::size_t i : order) {
    const auto& p = doc.peers[i];
    core::CheckResult r;
    r.host = peerHostName(*p.nodeId);
    r.service = kNeighboursService;
    r.time = time;
    r.source = source;
    if (!p.reachable) {
      r.state = core::State::Critical;
      r.output = "NEIGHBOURS CRITICAL - no answer at " + p.address + " (" +
                 p.error.value_or("no_answer") + " after " +
                 plural(static_cast<std::size_t>(p.attempts), "attempt", "attempts") + ")";
      r.perfdata = core::formatPerfdata({count("attempts", static_cast<std::size_t>(p.attempts))});
      out.push_back({i, std::move(r)});
      continue;
    }
    const auto at = static_cast<std::size_t>(
        std::lower_bound(ring.begin(), ring.end(), *p.nodeId) - ring.begin());
    const std::string& next = ring[(at + 1) % ring.size()];
    const std::string& prev = ring[(at + ring.size() - 1) % ring.size()];
    std::size_t danglingNeighbours = 0, danglingFingers = 0;
    for (const auto* list : {&p.successors, &p.predecessors})
      for (const auto& id : *list) danglingNeighbours += dead.count(id);
    for (const auto& id : p.fingers) danglingFingers += dead.count(id);

    std::vector<std::string> problems;
    const std::string says = p.successors.empty() ? "none" : shortId(p.successors.front());
    const std::string saysPrev = p.predecessors.empty() ? "none" : shortId(p.predecessors.front());
    if (p.successors.empty() || p.successors.front() != next) {
      problems.push_back("successor " + says + ", the ring says " + shortId(next));
    }
    if (p.predecessors.empty() || p.predecessors.front() != prev) {
      problems.push_back("predecessor " + saysPrev + ", the ring says " + shortId(prev));
    }
    if (danglingNeighbours > 0) {
      problems.push_back((danglingNeighbours == 1 ? std::string("1 pointer to an unreachable peer")
                                                  : std::to_string(danglingNeighbours) +
                                                        " pointers to unreachable peers") +
                         " in its successor and predecessor lists");
    }
    const std::string rtt = core::formatNumber(std::round(p.rttMs.value_or(0) * 1000) / 1000);
    if (problems.empty()) {
      r.state = core::State::Ok;
      r.output = "NEIGHBOURS OK - answered in " + rtt + " ms, successor " + says +
                 " and predecessor " + saysPrev + " agree with the ring";
    } else {
      r.state = core::State::Warning;
      r.output = "NEIGHBOURS WARNING - ";
      for (std::size_t k = 0; k < problems.size(); ++k) r.output += (k ? "; " : "") + problems[k];
    }
    if (danglingFingers > 0) {
      r.output += " (" + plural(danglingFingers, "finger", "fingers") +
                  " to unreachable peers: fingers heal later)";
    }
    r.perfdata = core::formatPerfdata(
        {{"rtt", std::round(p.rttMs.value_or(0) * 1000) / 1000, "ms", "", "", "0", ""},
         count("successors", p.successors.size()), count("predecessors", p.predecessors.size()),
         count("fingers", p.fingers.size()), count("dangling", danglingNeighbours + danglingFingers)});
    out.push_back({i, std::move(r)});
  }
  return out;
}

Churn computeChurn(const std::vector<ChurnPeer>& previous, double ageS, const CrawlDoc& now) {
  auto peer = [](const std::string& hex, std::optional<std::int64_t> up) -> std::optional<core::UptimePeer> {
    auto id = core::NodeId::fromHex(hex);
    if (!id) return std::nullopt;
    return core::UptimePeer{*id, up ? std::optional<double>(static_cast<double>(*up)) : std::nullopt};
  };
  std::vector<core::UptimePeer> before, live;
  for (const auto& p : previous)
    if (auto u = peer(p.nodeId, p.uptimeS)) before.push_back(*u);
  for (const auto& p : now.peers)
    if (p.reachable && p.nodeId)
      if (auto u = peer(*p.nodeId, p.uptimeS)) live.push_back(*u);
  const auto c = core::compareCrawls(before, live, ageS);
  return {static_cast<std::int64_t>(c.joined.size()), static_cast<std::int64_t>(c.left.size()),
          static_cast<std::int64_t>(c.restarted.size())};
}

}  // namespace p2pmon::collector
