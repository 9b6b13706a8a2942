#include "collector/crawl_document.hpp"

#include <cmath>
#include <unordered_set>

namespace p2pmon::collector {

using json = nlohmann::ordered_json;

namespace {

constexpr double kMaxFutureSkew = 3600;   // as for check results
constexpr double kMaxSeconds = 7 * 86400;  // p2pmon-crawl stops at --max-duration 86400
constexpr std::size_t kMaxAddress = 64;    // "[v6]:port" fits
constexpr std::size_t kMaxCode = 64;
constexpr std::size_t kMaxVersion = 128;
constexpr std::size_t kMaxOverlay = 255;

// The first broken rule, thrown inside the parser only and returned as
// "bad_crawl": the checks read top-down without an error path per field.
struct Broken {
  std::string message;
};

[[noreturn]] void broken(const std::string& path, const std::string& why) {
  throw Broken{path + ": " + why};
}

bool printable(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c > 0x7e) return false;
  return true;
}

const json& field(const json& obj, const std::string& path, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end()) broken(path + "." + key, "missing");
  return *it;
}

const json& object(const json& obj, const std::string& path, const char* key) {
  const json& v = field(obj, path, key);
  if (!v.is_object()) broken(path + "." + key, "not an object");
  return v;
}

std::size_t count(const json& obj, const std::string& path, const char* key) {
  const json& v = field(obj, path, key);
  if (!v.is_number_unsigned()) broken(path + "." + key, "not a count (integer >= 0)");
  return v.get<std::size_t>();
}

bool boolean(const json& obj, const std::string& path, const char* key) {
  const json& v = field(obj, path, key);
  if (!v.is_boolean()) broken(path + "." + key, "not true or false");
  return v.get<bool>();
}

double number(const json& obj, const std::string& path, const char* key, double min, double max) {
  const json& v = field(obj, path, key);
  if (!v.is_number()) broken(path + "." + key, "not a number");
  const double d = v.get<double>();
  if (!std::isfinite(d) || d < min || d > max) broken(path + "." + key, "out of range");
  return d;
}

// A string of at most `max` printable ASCII characters, or null when allowed.
std::optional<std::string> text(const json& obj, const std::string& path, const char* key,
                                std::size_t max, bool nullable) {
  const json& v = field(obj, path, key);
  if (v.is_null() && nullable) return std::nullopt;
  if (!v.is_string()) broken(path + "." + key, nullable ? "not a string or null" : "not a string");
  const auto& s = v.get_ref<const std::string&>();
  if (s.empty() || s.size() > max || !printable(s)) {
    broken(path + "." + key, "empty, longer than " + std::to_string(max) +
                                 " or not printable ASCII");
  }
  return s;
}

bool isNodeId(const std::string& s) {
  if (s.size() != 32) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

std::string nodeId(const json& v, const std::string& path) {
  if (!v.is_string() || !isNodeId(v.get_ref<const std::string&>())) {
    broken(path, "not 32 lowercase hex digits");
  }
  return v.get<std::string>();
}

std::vector<std::string> ids(const json& peer, const std::string& path, const char* key,
                             std::size_t max) {
  const json& v = field(peer, path, key);
  if (!v.is_array()) broken(path + "." + key, "not an array");
  if (v.size() > max) broken(path + "." + key, "more than " + std::to_string(max) + " entries");
  std::vector<std::string> out;
  out.reserve(v.size());
  for (std::size_t i = 0; i < v.size(); ++i)
    out.push_back(nodeId(v[i], path + "." + key + "[" + std::to_string(i) + "]"));
  return out;
}

CrawlPeerDoc parsePeer(const json& p, const std::string& path, const CrawlDocLimits& limits) {
  if (!p.is_object()) broken(path, "not an object");
  CrawlPeerDoc peer;
  const json& id = field(p, path, "node_id");
  if (!id.is_null()) peer.nodeId = nodeId(id, path + ".node_id");
  peer.address = *text(p, path, "address", kMaxAddress, false);
  peer.reachable = boolean(p, path, "reachable");
  peer.error = text(p, path, "error", kMaxCode, true);
  if (const json& rtt = field(p, path, "rtt_ms"); !rtt.is_null()) {
    peer.rttMs = number(p, path, "rtt_ms", 0, 86400e3);
  }
  peer.attempts = static_cast<std::int64_t>(count(p, path, "attempts"));
  peer.softwareVersion = text(p, path, "software_version", kMaxVersion, true);
  if (const json& up = field(p, path, "uptime_s"); !up.is_null()) {
    peer.uptimeS = static_cast<std::int64_t>(std::min<std::size_t>(count(p, path, "uptime_s"),
                                                                   std::size_t{1} << 40));
  }
  peer.successors = ids(p, path, "successors", limits.maxList);
  peer.predecessors = ids(p, path, "predecessors", limits.maxList);
  peer.fingers = ids(p, path, "fingers", limits.maxList);
  if (peer.reachable && !peer.nodeId) broken(path + ".node_id", "null for a reachable peer");
  if (peer.reachable && peer.error) broken(path + ".error", "set for a reachable peer");
  if (!peer.reachable && (!peer.successors.empty() || !peer.predecessors.empty() ||
                          !peer.fingers.empty())) {
    broken(path, "an unreachable peer with neighbour lists");
  }
  peer.detail = p;
  for (const char* k : {"node_id", "address", "reachable", "error", "rtt_ms", "attempts",
                        "software_version", "uptime_s"})
    peer.detail.erase(k);
  return peer;
}

CrawlDoc parse(const json& j, double now, const CrawlDocLimits& limits) {
  if (!j.is_object()) broken("document", "not a JSON object");
  const json& format = field(j, "document", "format");
  if (format != "p2pmon-crawl/1") broken("format", "not \"p2pmon-crawl/1\"");
  CrawlDoc d;
  d.overlay = *text(j, "document", "overlay", kMaxOverlay, false);
  if (d.overlay.find(';') != std::string::npos) broken("overlay", "contains ';'");
  d.startedAt = number(j, "document", "started_at", 1, now + kMaxFutureSkew);
  d.seconds = number(j, "document", "seconds", 0, kMaxSeconds);
  if (d.startedAt + d.seconds > now + kMaxFutureSkew) broken("started_at", "ends in the future");
  d.bootstrap = field(j, "document", "bootstrap");
  if (!d.bootstrap.is_array() || d.bootstrap.size() > limits.maxBootstrap) {
    broken("bootstrap", "not an array of at most " + std::to_string(limits.maxBootstrap));
  }
  for (std::size_t i = 0; i < d.bootstrap.size(); ++i) {
    const json& b = d.bootstrap[i];
    if (!b.is_string() || b.get_ref<const std::string&>().size() > 255 ||
        !printable(b.get_ref<const std::string&>())) {
      broken("bootstrap[" + std::to_string(i) + "]", "not a printable string of up to 255");
    }
  }

  d.summary = object(j, "document", "summary");
  d.discovered = count(d.summary, "summary", "discovered");
  d.answered = count(d.summary, "summary", "answered");
  d.failed = count(d.summary, "summary", "failed");
  d.unvisited = count(d.summary, "summary", "unvisited");
  count(d.summary, "summary", "requests");
  if (d.answered + d.failed + d.unvisited != d.discovered) {
    broken("summary", "answered + failed + unvisited differs from discovered");
  }

  d.ring = object(j, "document", "ring");
  d.consistent = boolean(d.ring, "ring", "consistent");
  const std::size_t found = count(d.ring, "ring", "found");
  const std::size_t reachable = count(d.ring, "ring", "reachable");
  for (const char* k : {"successor_disagreements", "predecessor_disagreements",
                        "dangling_neighbours"})
    count(d.ring, "ring", k);
  d.danglingPointers = static_cast<std::int64_t>(count(d.ring, "ring", "dangling_pointers"));
  const json& rings = field(d.ring, "ring", "rings");
  if (!rings.is_array()) broken("ring.rings", "not an array");
  std::size_t inRings = 0;
  for (const auto& r : rings) {
    if (!r.is_number_unsigned() || r.get<std::size_t>() == 0) broken("ring.rings", "not sizes >= 1");
    inRings += r.get<std::size_t>();
    d.rings.push_back(r.get<std::int64_t>());
  }
  if (inRings > reachable) broken("ring.rings", "more peers in rings than reachable");
  if (reachable > found) broken("ring.reachable", "more than ring.found");
  if (d.consistent && rings.size() != 1) broken("ring.consistent", "true without exactly one ring");
  d.ring.erase("order");  // the reachable peers sorted by Node-ID: the stored peers give it
  if (d.ring.dump().size() > limits.maxRingBytes) broken("ring", "larger than the bound");

  const json& peers = field(j, "document", "peers");
  if (!peers.is_array()) broken("peers", "not an array");
  if (peers.size() > limits.maxPeers) {
    broken("peers", "more than " + std::to_string(limits.maxPeers) + " (the collector's bound)");
  }
  if (peers.size() != d.discovered) broken("peers", "count differs from summary.discovered");
  std::unordered_set<std::string> addresses;
  std::size_t answered = 0;
  d.peers.reserve(peers.size());
  for (std::size_t i = 0; i < peers.size(); ++i) {
    const std::string path = "peers[" + std::to_string(i) + "]";
    auto p = parsePeer(peers[i], path, limits);
    if (!addresses.insert(p.address).second) broken(path + ".address", "listed twice");
    if (p.reachable) ++answered;
    d.peers.push_back(std::move(p));
  }
  if (answered != d.answered) broken("peers", "reachable ones differ from summary.answered");
  if (reachable > answered) broken("ring.reachable", "more than the reachable peers");
  return d;
}

}  // namespace

core::Expected<CrawlDoc> parseCrawlDocument(std::string_view body, double now,
                                            const CrawlDocLimits& limits) {
  auto j = json::parse(body, nullptr, false);
  if (j.is_discarded()) return core::makeError("bad_json", "body is not valid JSON");
  try {
    return parse(j, now, limits);
  } catch (const Broken& b) {
    return core::makeError("bad_crawl", b.message);
  } catch (const json::exception& e) {  // a get<> the checks above should have ruled out
    return core::makeError("bad_crawl", e.what());
  }
}

}  // namespace p2pmon::collector
