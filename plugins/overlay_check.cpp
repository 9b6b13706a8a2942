#include "plugins/overlay_check.hpp"

#include <algorithm>
#include <cmath>

#include "core/perfdata.hpp"

namespace p2pmon::plugins {

using nlohmann::json;

namespace {
struct Bad {
  std::string what;
};

const json& member(const json& obj, const std::string& path, const char* key) {
  if (!obj.is_object() || !obj.contains(key)) throw Bad{path + key + " missing"};
  return obj.at(key);
}

std::size_t count(const json& obj, const std::string& path, const char* key) {
  const json& v = member(obj, path, key);
  if (!v.is_number_integer() || v.get<std::int64_t>() < 0) throw Bad{path + key + " is not a count"};
  return v.get<std::size_t>();
}

double number(const json& obj, const std::string& path, const char* key) {
  const json& v = member(obj, path, key);
  if (!v.is_number()) throw Bad{path + key + " is not a number"};
  return v.get<double>();
}

bool flag(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_boolean() && it->get<bool>();
}

OverlayFacts parse(const json& doc) {
  OverlayFacts f;
  const json& overlay = member(doc, "", "overlay");
  if (!overlay.is_string()) throw Bad{"overlay is not a string"};
  f.overlay = overlay.get<std::string>();
  f.startedAt = number(doc, "", "started_at");
  f.seconds = number(doc, "", "seconds");
  if (auto id = doc.find("id"); id != doc.end() && id->is_number_integer()) f.crawlId = id->get<std::int64_t>();
  if (auto b = doc.find("bootstrap"); b != doc.end() && b->is_array())
    for (const auto& x : *b)
      if (x.is_string()) f.bootstrap.push_back(x.get<std::string>());

  const json& s = member(doc, "", "summary");
  f.found = count(s, "summary.", "discovered");
  f.reachable = count(s, "summary.", "answered");
  f.unreachable = count(s, "summary.", "failed");
  f.unvisited = count(s, "summary.", "unvisited");
  f.deadlineHit = flag(s, "deadline_hit");
  f.peerLimitHit = flag(s, "peer_limit_hit");
  if (auto e = s.find("errors"); e != s.end() && e->is_object())
    for (const auto& [code, n] : e->items())
      if (n.is_number_integer() && n.get<std::int64_t>() >= 0) f.errors[code] = n.get<std::size_t>();

  const json& r = member(doc, "", "ring");
  const json& consistent = member(r, "ring.", "consistent");
  if (!consistent.is_boolean()) throw Bad{"ring.consistent is not true or false"};
  f.consistent = consistent.get<bool>();
  const json& rings = member(r, "ring.", "rings");
  if (!rings.is_array()) throw Bad{"ring.rings is not an array"};
  for (const auto& n : rings) {
    if (!n.is_number_integer() || n.get<std::int64_t>() < 0) throw Bad{"ring.rings holds a non-count"};
    f.rings.push_back(n.get<std::size_t>());
  }
  f.successorDisagreements = count(r, "ring.", "successor_disagreements");
  f.predecessorDisagreements = count(r, "ring.", "predecessor_disagreements");
  f.danglingPointers = count(r, "ring.", "dangling_pointers");
  f.danglingNeighbours = count(r, "ring.", "dangling_neighbours");
  if (auto a = r.find("finger_accuracy"); a != r.end() && a->is_number()) f.fingerAccuracy = a->get<double>();
  return f;
}

std::string range(const std::optional<core::Range>& r) { return r ? r->text : ""; }

std::string sizes(const std::vector<std::size_t>& rings) {
  std::string out;
  for (std::size_t i = 0; i < rings.size(); ++i) out += (i ? ", " : "") + std::to_string(rings[i]);
  return out;
}

std::string seconds(double s) { return core::formatNumber(std::round(s)) + "s"; }
}  // namespace

core::Expected<OverlayFacts> overlayFactsFromJson(const json& doc) {
  try {
    return parse(doc);
  } catch (const Bad& b) {
    return core::makeError("bad_reply", b.what);
  }
}

Outcome decideOverlayCheck(const OverlayCheckOptions& o, const OverlayAnswer& a, double now) {
  switch (a.kind) {
    case OverlayAnswer::Kind::Unreachable:
      return {core::State::Unknown, "cannot reach the collector: " + a.detail, "", {}};
    case OverlayAnswer::Kind::BadReply:
      return {core::State::Unknown, "unexpected collector reply: " + a.detail, "", {}};
    case OverlayAnswer::Kind::NoCrawl:
      return {core::State::Unknown, a.detail.empty() ? "no crawl at the collector" : a.detail, "", {}};
    case OverlayAnswer::Kind::Crawled: break;
  }
  const OverlayFacts& f = a.facts;
  const std::size_t asked = f.reachable + f.unreachable;
  const double percent =
      asked == 0 ? 0.0
                 : std::round(1000.0 * static_cast<double>(f.unreachable) / static_cast<double>(asked)) /
                       10.0;
  const double age = std::max(0.0, now - (f.startedAt + f.seconds));
  const bool stale = o.fromCollector && o.maxAge > 0 && age > o.maxAge;

  core::State state = core::worse(core::evaluate(static_cast<double>(f.found), o.peersWarning, o.peersCritical),
                                  core::evaluate(percent, o.unreachableWarning, o.unreachableCritical));
  std::string ring;
  if (f.reachable == 0) {
    state = core::State::Critical;
    ring = "no ring";
  } else if (f.rings.size() > 1) {
    state = core::worse(state, o.partitionState);
    ring = "partitioned into " + std::to_string(f.rings.size()) + " rings (" + sizes(f.rings) + ")";
  } else if (!f.consistent) {
    state = core::worse(state, o.inconsistentState);
    ring = "ring NOT consistent (" + std::to_string(f.successorDisagreements) + " successor, " +
           std::to_string(f.predecessorDisagreements) + " predecessor disagreements, " +
           std::to_string(f.danglingNeighbours) + " neighbour pointers to dead peers)";
  } else {
    ring = "ring consistent";
  }
  if (stale) state = core::worse(state, o.staleState);

  Outcome out;
  out.state = state;
  std::string text;
  if (stale) {
    text = "latest crawl is " + seconds(age) + " old (max " + seconds(o.maxAge) + "): ";
  }
  text += "overlay '" + f.overlay + "': ";
  if (f.reachable == 0) {
    std::string boot = f.bootstrap.empty() ? std::string("the bootstrap") : f.bootstrap.front();
    std::string why = f.errors.empty() ? std::string() : ": " + f.errors.begin()->first;
    text += "no peer answered (bootstrap " + boot + why + ")";
  } else {
    text += std::to_string(f.found) + " peers found, " + std::to_string(f.reachable) + " reachable (" +
            core::formatNumber(percent) + "% unreachable), " + ring;
  }
  if (o.fromCollector && !stale) {
    text += ", crawl" + (f.crawlId ? " " + std::to_string(*f.crawlId) : std::string()) + " " +
            seconds(age) + " ago";
  }
  out.text = text;

  std::vector<core::PerfValue> perf = {
      {"peers", static_cast<double>(f.found), "", range(o.peersWarning), range(o.peersCritical), "0", ""},
      {"reachable", static_cast<double>(f.reachable), "", "", "", "0", ""},
      {"unreachable", percent, "%", range(o.unreachableWarning), range(o.unreachableCritical), "0", "100"},
      {"rings", static_cast<double>(f.rings.size()), "", "", "", "0", ""},
      {"dangling", static_cast<double>(f.danglingPointers), "", "", "", "0", ""}};
  if (o.fromCollector) {
    perf.push_back({"age", std::round(age), "s", "", o.maxAge > 0 ? core::formatNumber(o.maxAge) : "", "0", ""});
  }
  out.perfdata = core::formatPerfdata(perf);

  if (o.verbose > 0) {
    out.longOutput.push_back(
        "successor disagreements " + std::to_string(f.successorDisagreements) +
        ", predecessor disagreements " + std::to_string(f.predecessorDisagreements) +
        ", pointers to dead peers " + std::to_string(f.danglingPointers) + " (" +
        std::to_string(f.danglingNeighbours) + " in neighbour lists), finger accuracy " +
        core::formatNumber(std::round(f.fingerAccuracy * 1000) / 10) + "%");
    for (const auto& [code, n] : f.errors)
      out.longOutput.push_back("unreachable: " + std::to_string(n) + " " + code);
    if (f.unvisited > 0) out.longOutput.push_back("not asked (a bound came first): " + std::to_string(f.unvisited));
    if (f.deadlineHit) out.longOutput.push_back("the crawl stopped at its time limit");
    if (f.peerLimitHit) out.longOutput.push_back("the crawl stopped at its peer limit");
    out.longOutput.push_back("crawl took " + core::formatNumber(std::round(f.seconds * 1000) / 1000) +
                             " s");
  }
  return out;
}

}  // namespace p2pmon::plugins
