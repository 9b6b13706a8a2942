#include "probes/crawl_sip.hpp"

#include <unordered_map>

#include "core/address.hpp"

namespace p2pmon::probes {

CrawlSipSummary probeCrawledSip(std::vector<ChordPeerVisit>& visits, const SipProberOptions& options) {
  std::vector<std::size_t> targets;
  for (std::size_t i = 0; i < visits.size(); ++i)
    if (visits[i].peer.reachable && visits[i].sipPort != 0 && core::parseHostPort(visits[i].peer.address))
      targets.push_back(i);
  if (targets.empty()) return {};
  SipProber prober(options);
  std::size_t next = 0;
  // The prober normalises the target URI; the Request-URI is the target's,
  // so results are matched back by the target text we built.
  std::vector<std::string> uris(targets.size());
  for (std::size_t t = 0; t < targets.size(); ++t) {
    const auto& v = visits[targets[t]];
    auto sip = *core::parseHostPort(v.peer.address);
    sip.port = v.sipPort;
    uris[t] = "sip:" + sip.str() + ";transport=udp";
  }
  std::unordered_map<std::string, std::size_t> byUri;
  for (std::size_t t = 0; t < targets.size(); ++t) byUri.emplace(uris[t], targets[t]);
  prober.sweep(
      [&]() -> std::optional<SipSweepItem> {
        if (next >= targets.size()) return std::nullopt;
        return SipSweepItem{uris[next++], {}};
      },
      [&](SipProbeResult r) {
        const auto it = byUri.find(r.target);
        if (it == byUri.end()) return;
        CrawlSip s;
        s.status = r.answered ? r.status : 0;
        s.rttMs = r.rttMs;
        s.error = r.answered ? std::string() : r.error;
        visits[it->second].sip = s;
      });
  // A target the prober named otherwise than we wrote it (it should not
  // happen) is reported, not silently left out.
  for (auto i : targets)
    if (!visits[i].sip) visits[i].sip = CrawlSip{0, 0, "no_result"};
  return summariseSip(visits);
}

CrawlSipSummary summariseSip(const std::vector<ChordPeerVisit>& visits) {
  CrawlSipSummary s;
  for (const auto& v : visits) {
    if (!v.sip) continue;
    ++s.probed;
    (v.sip->ok() ? s.ok : s.failed) += 1;
  }
  return s;
}

}  // namespace p2pmon::probes
