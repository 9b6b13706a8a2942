#include "probes/crawl_engine.hpp"

#include <algorithm>

namespace p2pmon::probes::crawl {

std::string_view name(VisitState s) {
  switch (s) {
    case VisitState::queued: return "queued";
    case VisitState::inFlight: return "in_flight";
    case VisitState::answered: return "answered";
    case VisitState::failed: return "failed";
  }
  return "queued";
}

CrawlEngine::CrawlEngine(CrawlLimits limits, const std::vector<std::string>& bootstrap, TimePoint now)
    : limits_(limits), deadline_(now + limits.maxDuration) {
  limits_.concurrency = std::max<std::size_t>(limits_.concurrency, 1);
  limits_.attempts = std::max(limits_.attempts, 1);
  for (const auto& b : bootstrap) discover(b);
}

void CrawlEngine::discover(const std::string& address) {
  if (index_.count(address) != 0) return;
  if (visits_.size() >= limits_.maxPeers) {
    peerLimitHit_ = true;
    return;
  }
  index_.emplace(address, visits_.size());
  queue_.push_back(visits_.size());
  Visit visit;
  visit.address = address;
  visits_.push_back(std::move(visit));
}

std::vector<Request> CrawlEngine::take(TimePoint now) {
  std::vector<Request> out;
  if (now >= deadline_) {
    deadlineHit_ = deadlineHit_ || !queue_.empty() || !retries_.empty();
    return out;
  }
  while (inFlight_.size() < limits_.concurrency && (!retries_.empty() || !queue_.empty())) {
    auto& from = retries_.empty() ? queue_ : retries_;
    const std::size_t v = from.front();
    from.pop_front();
    Visit& visit = visits_[v];
    visit.state = VisitState::inFlight;
    ++visit.attempts;
    ++requests_;
    const std::uint64_t token = nextToken_++;
    inFlight_.emplace(token, Attempt{v, now});
    expiry_.emplace_back(now + limits_.timeout, token);
    out.push_back(Request{visit.address, token, visit.attempts});
  }
  return out;
}

std::optional<CrawlEngine::Attempt> CrawlEngine::settle(std::uint64_t token) {
  auto it = inFlight_.find(token);
  if (it == inFlight_.end()) {
    ++late_;
    return std::nullopt;
  }
  const Attempt a = it->second;
  inFlight_.erase(it);
  return a;
}

void CrawlEngine::answered(std::uint64_t token, const std::vector<std::string>& neighbours,
                           TimePoint now) {
  const auto a = settle(token);
  if (!a) return;
  Visit& visit = visits_[a->visit];
  visit.state = VisitState::answered;
  visit.error.clear();
  visit.rttMs = std::chrono::duration<double, std::milli>(now - a->sent).count();
  visit.neighboursGiven = neighbours.size();
  const std::size_t take = std::min(neighbours.size(), limits_.maxNeighbours);
  cut_ += neighbours.size() - take;
  const std::size_t before = visits_.size();
  for (std::size_t i = 0; i < take; ++i) discover(neighbours[i]);
  // `visit` may have moved when visits_ grew.
  visits_[a->visit].neighboursNew = visits_.size() - before;
}

void CrawlEngine::fail(std::size_t v, const std::string& error, bool retry) {
  Visit& visit = visits_[v];
  visit.error = error;
  if (retry && visit.attempts < limits_.attempts) {
    visit.state = VisitState::queued;
    retries_.push_back(v);
  } else {
    visit.state = VisitState::failed;
  }
}

void CrawlEngine::failed(std::uint64_t token, const std::string& error, bool retry, TimePoint) {
  if (const auto a = settle(token)) fail(a->visit, error, retry);
}

void CrawlEngine::tick(TimePoint now) {
  while (!expiry_.empty() && expiry_.front().first <= now) {
    const auto token = expiry_.front().second;
    expiry_.pop_front();
    auto it = inFlight_.find(token);
    if (it == inFlight_.end()) continue;  // settled before its timeout
    const std::size_t v = it->second.visit;
    inFlight_.erase(it);
    fail(v, "timeout", true);
  }
}

std::optional<TimePoint> CrawlEngine::nextDeadline() const {
  while (!expiry_.empty() && inFlight_.count(expiry_.front().second) == 0) expiry_.pop_front();
  if (expiry_.empty()) return std::nullopt;
  return expiry_.front().first;
}

bool CrawlEngine::done() const {
  if (!inFlight_.empty()) return false;
  return (queue_.empty() && retries_.empty()) || deadlineHit_;
}

std::optional<std::size_t> CrawlEngine::indexOf(const std::string& address) const {
  auto it = index_.find(address);
  if (it == index_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::size_t> CrawlEngine::visitOf(std::uint64_t token) const {
  auto it = inFlight_.find(token);
  if (it == inFlight_.end()) return std::nullopt;
  return it->second.visit;
}

CrawlSummary CrawlEngine::summary() const {
  CrawlSummary s;
  s.discovered = visits_.size();
  for (const auto& v : visits_) {
    if (v.state == VisitState::answered) ++s.answered;
    if (v.state == VisitState::failed) {
      ++s.failed;
      ++s.errors[v.error];
    }
    // Waiting for a retry when the deadline came: failed with its last error.
    if (v.state == VisitState::queued && v.attempts > 0) {
      ++s.failed;
      ++s.errors[v.error];
    }
    if (v.state == VisitState::queued && v.attempts == 0) ++s.unvisited;
  }
  s.requests = requests_;
  s.lateAnswers = late_;
  s.neighboursCut = cut_;
  s.peerLimitHit = peerLimitHit_;
  s.deadlineHit = deadlineHit_;
  return s;
}

}  // namespace p2pmon::probes::crawl
