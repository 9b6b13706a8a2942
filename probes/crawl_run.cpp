#include "probes/crawl_run.hpp"

#include <chrono>
#include <random>

#include "probes/crawl_sip.hpp"
#include "probes/replica_sample.hpp"

namespace p2pmon::probes {

CrawlRun runCrawl(const ChordCrawlOptions& options, const std::vector<std::string>& bootstrap,
                  const CrawlExtras& extras) {
  CrawlRun run;
  run.context.overlay = options.overlay;
  run.context.bootstrap = bootstrap;
  run.context.startedAt =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  run.crawl = crawlChord(options);
  ReplicaSampling replicas;
  if (extras.replicaKeys > 0 && run.crawl.summary.answered > 0) {
    ReplicaSampleOptions ro;
    ro.overlay = options.overlay;
    ro.keys = extras.replicaKeys;
    ro.concurrency = options.limits.concurrency;
    ro.timeout = options.limits.timeout;
    ro.attempts = options.limits.attempts;
    ro.seed = std::random_device{}();
    replicas = sampleReplicas(ro, run.crawl.peers);
    run.context.replicaRequests = replicas.requests;
    run.context.replicaUnanswered = replicas.unanswered;
  }
  if (extras.sip) {
    probeCrawledSip(run.crawl.peers, *extras.sip);
    run.context.sipProbed = true;
  }
  std::vector<ring::CrawledPeer> peers;
  peers.reserve(run.crawl.peers.size());
  for (const auto& v : run.crawl.peers) peers.push_back(v.peer);
  run.ring = ring::analyse(peers, replicas.samples, extras.previous);
  return run;
}

}  // namespace p2pmon::probes
