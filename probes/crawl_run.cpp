#include "probes/crawl_run.hpp"

#include <chrono>

namespace p2pmon::probes {

CrawlRun runCrawl(const ChordCrawlOptions& options, const std::vector<std::string>& bootstrap,
                  const std::optional<ring::PreviousCrawl>& previous) {
  CrawlRun run;
  run.context.overlay = options.overlay;
  run.context.bootstrap = bootstrap;
  run.context.startedAt =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  run.crawl = crawlChord(options);
  std::vector<ring::CrawledPeer> peers;
  peers.reserve(run.crawl.peers.size());
  for (const auto& v : run.crawl.peers) peers.push_back(v.peer);
  run.ring = ring::analyse(peers, {}, previous);
  return run;
}

}  // namespace p2pmon::probes
