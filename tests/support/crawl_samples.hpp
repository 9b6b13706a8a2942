// p2pmon-crawl/1 documents for the collector's and the plugin's tests: a
// healthy ring of n peers, Node-IDs in peer order, and an unreachable peer.
#pragma once

#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

namespace p2pmon::test {

inline constexpr double kNow = 1'763'683'200;

// Sorted by i: "01000000" + 24 zeros for 0, "02000000..." for 1, ...
inline std::string nodeId(int i) {
  char head[9];
  std::snprintf(head, sizeof head, "%08x", static_cast<unsigned>(i + 1) << 24);
  return std::string(head) + std::string(24, '0');
}

inline nlohmann::json deadPeer(const std::string& address, const nlohmann::json& id) {
  return {{"node_id", id}, {"address", address}, {"reachable", false}, {"error", "timeout"},
          {"rtt_ms", nullptr}, {"attempts", 3}, {"software_version", nullptr},
          {"uptime_s", nullptr}, {"successors", nlohmann::json::array()},
          {"predecessors", nlohmann::json::array()}, {"fingers", nlohmann::json::array()}};
}

inline nlohmann::json crawlSample(int n, double startedAt = kNow - 60) {
  using nlohmann::json;
  json peers = json::array(), order = json::array();
  auto at = [n](int i) { return nodeId(((i % n) + n) % n); };
  for (int i = 0; i < n; ++i) {
    order.push_back(nodeId(i));
    peers.push_back({{"node_id", nodeId(i)},
                     {"address", "127.0.0.1:" + std::to_string(4000 + i)},
                     {"reachable", true},
                     {"error", nullptr},
                     {"rtt_ms", 0.25},
                     {"attempts", 1},
                     {"software_version", "p2pmon-peer 0.1.0"},
                     {"uptime_s", 1000 + i},
                     {"routing_table_size", 4},
                     {"records_stored", 0},
                     {"bytes_stored", 0},
                     {"services", {{"sip", nullptr}, {"stun", nullptr}, {"rtp", nullptr}}},
                     {"successors", {at(i + 1), at(i + 2)}},
                     {"predecessors", {at(i - 1), at(i - 2)}},
                     {"fingers", {at(i + 1), at(i + 2)}}});
  }
  json summary = {{"discovered", n}, {"answered", n}, {"failed", 0}, {"unvisited", 0},
                  {"requests", n}, {"requests_per_peer", 1.0}, {"late_answers", 0},
                  {"bad_answers", 0}, {"neighbours_cut", 0}, {"peer_limit_hit", false},
                  {"deadline_hit", false}, {"errors", json::object()}};
  json ring = {{"consistent", n > 0}, {"found", n}, {"reachable", n},
               {"rings", n > 0 ? json::array({n}) : json::array()},
               {"successor_disagreements", 0}, {"predecessor_disagreements", 0},
               {"dangling_pointers", 0}, {"dangling_neighbours", 0}, {"successor_lists", n},
               {"successor_list_gaps", 0}, {"fingers", 2 * n}, {"finger_accuracy", 1.0},
               {"size_estimate", n}, {"unreferenced", json::array()}, {"replicas", json::array()},
               {"samples", {{"successor", json::array()}, {"predecessor", json::array()},
                            {"dangling", json::array()}}},
               {"order", order}};
  return {{"format", "p2pmon-crawl/1"}, {"overlay", "p2pmon"}, {"started_at", startedAt},
          {"seconds", 0.5}, {"bootstrap", {"127.0.0.1:4000"}}, {"summary", summary},
          {"ring", ring}, {"peers", peers}};
}

}  // namespace p2pmon::test
