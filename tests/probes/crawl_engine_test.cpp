// The crawl engine against a simulated overlay with a fake clock: every
// peer found once with one request each, silent peers retried then failed,
// refusals not retried, concurrency respected, and lying peers (huge,
// looping or self-referencing answers, answers after the timeout) kept in
// bounds.
#include <doctest/doctest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <random>
#include <set>

#include "probes/crawl_engine.hpp"

using namespace p2pmon::probes::crawl;
using namespace std::chrono_literals;

namespace {

std::string addr(std::size_t i) { return "10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250) + ":6084"; }

// A ring of n peers where each names its next 4 and a few far ones.
std::map<std::string, std::vector<std::string>> ring(std::size_t n) {
  std::map<std::string, std::vector<std::string>> g;
  for (std::size_t i = 0; i < n; ++i) {
    auto& v = g[addr(i)];
    for (std::size_t j = 1; j <= 4; ++j) v.push_back(addr((i + j) % n));
    for (std::size_t k = 1; k < n; k *= 2) v.push_back(addr((i + k) % n));
  }
  return g;
}

enum class Behaviour { answer, silent, refuse, late };

// Runs a crawl to the end: each request is answered (or not) 5 ms after it
// is sent. Returns the engine; counts the peak of requests in flight.
struct Sim {
  std::map<std::string, std::vector<std::string>> graph;
  std::function<Behaviour(const std::string&)> behaviour = [](const std::string&) { return Behaviour::answer; };
  std::function<std::vector<std::string>(const std::string&)> answerOf;
  std::size_t peak = 0;
  int steps = 0;

  CrawlEngine run(CrawlLimits limits, std::vector<std::string> bootstrap) {
    TimePoint now{};
    CrawlEngine e(limits, bootstrap, now);
    std::multimap<TimePoint, Request> due;
    while ((!e.done() || !due.empty()) && steps < 1'000'000) {
      ++steps;
      for (auto& r : e.take(now)) due.emplace(now + 5ms, r);
      peak = std::max(peak, e.inFlight());
      auto next = due.empty() ? TimePoint::max() : due.begin()->first;
      if (auto d = e.nextDeadline()) next = std::min(next, *d);
      if (next == TimePoint::max()) break;
      now = next;
      while (!due.empty() && due.begin()->first <= now) {
        const Request r = due.begin()->second;
        due.erase(due.begin());
        switch (behaviour(r.address)) {
          case Behaviour::answer:
            e.answered(r.token, answerOf ? answerOf(r.address) : graph[r.address], now);
            break;
          case Behaviour::refuse: e.failed(r.token, "refused", false, now); break;
          case Behaviour::late: due.emplace(now + 2s, r); break;  // after its timeout
          case Behaviour::silent: break;
        }
      }
      e.tick(now);
    }
    return e;
  }
};

}  // namespace

TEST_CASE("crawl engine: a 1,000-peer ring, every peer once, one request each") {
  Sim sim;
  sim.graph = ring(1000);
  CrawlLimits limits;
  limits.concurrency = 50;
  const auto e = sim.run(limits, {addr(0)});
  const auto s = e.summary();
  CHECK(s.discovered == 1000);
  CHECK(s.answered == 1000);
  CHECK(s.failed == 0);
  CHECK(s.requests == 1000);
  CHECK(sim.peak == 50);
  CHECK(e.visits()[0].address == addr(0));
  CHECK(e.visits()[0].rttMs == doctest::Approx(5.0));
  std::set<std::string> seen;
  for (const auto& v : e.visits()) CHECK(seen.insert(v.address).second);
}

TEST_CASE("crawl engine: silent peers are retried, then failed; refusals are not retried") {
  Sim sim;
  sim.graph = ring(100);
  sim.behaviour = [](const std::string& a) {
    if (a == addr(10) || a == addr(20)) return Behaviour::silent;
    if (a == addr(30)) return Behaviour::refuse;
    return Behaviour::answer;
  };
  CrawlLimits limits;
  limits.attempts = 3;
  limits.timeout = 200ms;
  const auto e = sim.run(limits, {addr(0)});
  const auto s = e.summary();
  CHECK(s.discovered == 100);
  CHECK(s.answered == 97);
  CHECK(s.failed == 3);
  CHECK(s.errors.at("timeout") == 2);
  CHECK(s.errors.at("refused") == 1);
  CHECK(s.requests == 97 + 3 + 3 + 1);
  CHECK(e.visits()[*e.indexOf(addr(10))].attempts == 3);
  CHECK(e.visits()[*e.indexOf(addr(30))].attempts == 1);
}

TEST_CASE("crawl engine: lying peers stay in bounds") {
  Sim sim;
  sim.graph = ring(200);
  std::mt19937 rng(7);
  sim.answerOf = [&](const std::string& a) {
    if (a == addr(5)) {  // names 100,000 strangers
      std::vector<std::string> many;
      for (int i = 0; i < 100000; ++i) many.push_back("192.0.2." + std::to_string(rng() % 250) + ":" + std::to_string(1000 + i));
      return many;
    }
    if (a == addr(6)) return std::vector<std::string>(5000, a);  // itself, over and over
    return sim.graph[a];
  };
  sim.behaviour = [](const std::string& a) {
    return a.rfind("192.0.2.", 0) == 0 ? Behaviour::silent : Behaviour::answer;
  };
  CrawlLimits limits;
  limits.maxNeighbours = 64;
  limits.maxPeers = 1000;
  limits.timeout = 100ms;
  limits.attempts = 2;
  const auto e = sim.run(limits, {addr(0)});
  const auto s = e.summary();
  CHECK(s.discovered <= 1000);
  CHECK(s.answered == 200);  // the real ring, all of it
  CHECK(s.neighboursCut == (100000 - 64) + (5000 - 64));
  CHECK(e.visits()[*e.indexOf(addr(6))].neighboursNew == 0);
  CHECK(s.failed == s.discovered - 200);
  CHECK(sim.steps < 100000);
}

TEST_CASE("crawl engine: the peer limit and the deadline end a crawl") {
  Sim sim;
  sim.graph = ring(500);
  CrawlLimits limits;
  limits.maxPeers = 100;
  auto e = sim.run(limits, {addr(0)});
  auto s = e.summary();
  CHECK(s.discovered == 100);
  CHECK(s.answered == 100);
  CHECK(s.peerLimitHit);

  Sim slow;
  slow.graph = ring(500);
  limits = CrawlLimits{};
  limits.concurrency = 1;
  limits.maxDuration = 100ms;  // 5 ms per answer: about 20 answers
  e = slow.run(limits, {addr(0)});
  s = e.summary();
  CHECK(s.deadlineHit);
  CHECK(s.answered >= 19);
  CHECK(s.answered <= 21);
  CHECK(s.unvisited == s.discovered - s.answered);
}

TEST_CASE("crawl engine: an answer after its timeout is ignored, the retry counts") {
  Sim sim;
  sim.graph = ring(20);
  int calls = 0;
  sim.behaviour = [&](const std::string& a) {
    return a == addr(3) && calls++ == 0 ? Behaviour::late : Behaviour::answer;
  };
  CrawlLimits limits;
  limits.timeout = 1s;
  const auto e = sim.run(limits, {addr(0)});
  const auto s = e.summary();
  CHECK(s.answered == 20);
  CHECK(s.lateAnswers == 1);
  CHECK(e.visits()[*e.indexOf(addr(3))].attempts == 2);
}
