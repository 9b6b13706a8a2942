// p2pmon-crawl: walks a p2pmon Chord overlay through its peers' diagnostics
// (successors, predecessors, fingers), for cron or by hand, and reports the
// ring's consistency (docs/crawl.md). Exit 0 healthy, 1 findings, 2 no
// crawl (nothing answered, bad usage).
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iostream>

#include <boost/program_options.hpp>

#include "core/version.hpp"
#include "overlay-agent/overlay_client.hpp"
#include "probes/chord_crawl.hpp"
#include "probes/crawl_post.hpp"
#include "probes/crawl_report.hpp"
#include "probes/crawl_run.hpp"

namespace po = boost::program_options;
using namespace p2pmon;

int main(int argc, char** argv) try {
  std::vector<std::string> bootstrap;
  std::string overlay = "p2pmon", jsonOut;
  probes::ChordCrawlOptions o;
  std::size_t concurrency = o.limits.concurrency, maxPeers = o.limits.maxPeers;
  int attempts = o.limits.attempts;
  long timeoutMs = 1000, maxDurationS = 600, sipTimeoutMs = 2000;
  std::size_t replicaKeys = 16;
  std::string previousFile;
  probes::CrawlPostOptions post;
  std::string tokenFile;
  po::options_description opts("p2pmon-crawl options");
  opts.add_options()
      ("help,h", "show this help and exit")
      ("version,V", "show the version and exit")
      ("bootstrap,b", po::value(&bootstrap)->composing(), "ADDR:PORT of a peer to start from (repeatable, required)")
      ("overlay", po::value(&overlay)->default_value(overlay), "overlay name")
      ("concurrency", po::value(&concurrency)->default_value(concurrency), "requests in flight")
      ("timeout", po::value(&timeoutMs)->default_value(timeoutMs), "ms to wait for one answer")
      ("attempts", po::value(&attempts)->default_value(attempts), "requests per peer at most")
      ("max-peers", po::value(&maxPeers)->default_value(maxPeers), "peers visited at most")
      ("max-duration", po::value(&maxDurationS)->default_value(maxDurationS), "seconds a crawl may take")
      ("sip", "probe every reachable peer's SIP port with OPTIONS")
      ("sip-timeout", po::value(&sipTimeoutMs)->default_value(sipTimeoutMs), "ms to wait for a SIP answer")
      ("replica-keys", po::value(&replicaKeys)->default_value(replicaKeys), "record keys sampled for replica counts (0: none)")
      ("previous", po::value(&previousFile), "the previous crawl's JSON document, for churn (a missing file is skipped)")
      ("json", po::value(&jsonOut), "write the crawl as one JSON document to FILE ('-': stdout)")
      ("collector", po::value(&post.url), "post the crawl to this p2pmon-collector (base URL)")
      ("token", po::value(&post.token), "bearer token for --collector")
      ("token-file", po::value(&tokenFile), "read the --collector token from this file's first line")
      ("quiet,q", "no summary");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, opts), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "p2pmon-crawl: " << e.what() << " (see --help)\n";
    return 2;
  }
  if (vm.count("help") != 0U) {
    std::cout << "Usage: p2pmon-crawl --bootstrap ADDR:PORT [options]\n\n" << opts
              << "\nExit: 0 every peer answered and the ring is consistent, 1 findings, 2 no crawl,\n"
              << "3 the crawl ran but --collector did not take it.\n";
    return 0;
  }
  if (vm.count("version") != 0U) {
    std::cout << "p2pmon-crawl " << kVersion << "\n";
    return 0;
  }
  auto usage = [](const std::string& why) {
    std::cerr << "p2pmon-crawl: " << why << " (see --help)\n";
    return 2;
  };
  if (bootstrap.empty()) return usage("--bootstrap is required");
  if (!tokenFile.empty()) {
    std::ifstream in(tokenFile);
    if (!in || !std::getline(in, post.token)) return usage("cannot read --token-file " + tokenFile);
  }
  if (concurrency < 1 || concurrency > 10000) return usage("--concurrency must be 1..10000");
  if (timeoutMs < 10 || timeoutMs > 60000) return usage("--timeout must be 10..60000 ms");
  if (attempts < 1 || attempts > 10) return usage("--attempts must be 1..10");
  if (maxPeers < 1 || maxPeers > 1'000'000) return usage("--max-peers must be 1..1000000");
  if (maxDurationS < 1 || maxDurationS > 86400) return usage("--max-duration must be 1..86400 s");
  if (sipTimeoutMs < 100 || sipTimeoutMs > 60000) return usage("--sip-timeout must be 100..60000 ms");
  if (replicaKeys > 1000) return usage("--replica-keys must be 0..1000");
  for (const auto& b : bootstrap) {
    auto ep = overlay::resolveEndpoint(b);
    if (!ep) return usage("--bootstrap " + b + ": " + ep.error().message);
    o.bootstrap.push_back(*ep);
  }
  o.overlay = overlay;
  o.limits.concurrency = concurrency;
  o.limits.attempts = attempts;
  o.limits.timeout = std::chrono::milliseconds(timeoutMs);
  o.limits.maxPeers = maxPeers;
  o.limits.maxDuration = std::chrono::seconds(maxDurationS);
  // A progress line on a terminal only: cron mails stay clean.
  const bool tty = isatty(STDERR_FILENO) == 1;
  if (tty) {
    o.progress = [](std::size_t finished, std::size_t discovered) {
      std::cerr << "\rp2pmon-crawl: " << finished << "/" << discovered << " peers" << std::flush;
    };
  }
  probes::CrawlExtras extras;
  extras.replicaKeys = replicaKeys;
  // The previous crawl is read before this one writes: `--previous F --json F` works from cron.
  if (!previousFile.empty()) {
    std::ifstream f(previousFile);
    if (f) {
      auto doc = nlohmann::json::parse(f, nullptr, false);
      const double now =
          std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
      auto prev = probes::previousFromJson(doc, now);
      if (!prev) {
        std::cerr << "p2pmon-crawl: " << previousFile << ": " << prev.error().message << "\n";
        return 2;
      }
      extras.previous = *prev;
    }
  }
  if (vm.count("sip") != 0U) {
    probes::SipProberOptions so;
    so.timeout = std::chrono::milliseconds(sipTimeoutMs);
    so.maxInFlight = std::min<std::size_t>(probes::kMaxInFlight, concurrency);
    so.fromUri = "sip:p2pmon-crawl@invalid";
    extras.sip = so;
  }
  const auto run = probes::runCrawl(o, bootstrap, extras);
  if (tty) std::cerr << "\r\033[K";
  const auto& [ctx, crawl, ring] = run;
  const auto json = probes::crawlJson(ctx, crawl, ring);
  if (!jsonOut.empty()) {
    const std::string doc = json.dump(2) + "\n";
    if (jsonOut == "-") {
      std::cout << doc;
    } else {
      std::ofstream f(jsonOut, std::ios::trunc);
      if (!(f << doc) || !f.flush()) {
        std::cerr << "p2pmon-crawl: cannot write " << jsonOut << "\n";
        return 2;
      }
    }
  }
  if (vm.count("quiet") == 0U) (jsonOut == "-" ? std::cerr : std::cout) << probes::crawlSummary(ctx, crawl, ring);
  if (!post.url.empty()) {  // after the summary: a failed post still shows what the crawl saw
    auto posted = probes::postCrawl(post, json.dump());
    if (!posted) {
      std::cerr << "p2pmon-crawl: --collector: " << posted.error().message << "\n";
      return 3;
    }
    if (vm.count("quiet") == 0U) (jsonOut == "-" ? std::cerr : std::cout) << *posted << "\n";
  }
  return probes::crawlExitCode(crawl, ring);
} catch (const std::exception& e) {
  std::cerr << "p2pmon-crawl: " << e.what() << "\n";
  return 2;
}
