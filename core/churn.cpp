#include "core/churn.hpp"

#include <unordered_map>
#include <unordered_set>

namespace p2pmon::core {

ChurnSets compareCrawls(const std::vector<UptimePeer>& before, const std::vector<UptimePeer>& now,
                        double ageS) {
  std::unordered_map<NodeId, const UptimePeer*, NodeIdHash> live;
  for (const auto& p : now) live.emplace(p.id, &p);
  ChurnSets c;
  std::unordered_set<NodeId, NodeIdHash> seen;
  for (const auto& p : before) {
    if (!seen.insert(p.id).second) continue;
    const auto it = live.find(p.id);
    if (it == live.end()) {
      c.left.push_back(p.id);
      continue;
    }
    const auto up = it->second->uptimeS;
    if (up && ((ageS >= 1 && *up + 1.0 < ageS) || (p.uptimeS && *up < *p.uptimeS)))
      c.restarted.push_back(p.id);
  }
  std::unordered_set<NodeId, NodeIdHash> listed;
  for (const auto& p : now)
    if (seen.count(p.id) == 0 && listed.insert(p.id).second) c.joined.push_back(p.id);
  return c;
}

}  // namespace p2pmon::core
