#include "probes/rtp_analyzer.hpp"

#include <algorithm>
#include <cmath>

namespace p2pmon::probes {

namespace {

struct StaticPayload {
  std::uint8_t pt;
  const char* name;
  std::uint32_t rate;
};
// RFC 3551 tables 4 and 5 (audio and video with static types).
constexpr StaticPayload kStatic[] = {
    {0, "PCMU", 8000},   {3, "GSM", 8000},    {4, "G723", 8000},   {5, "DVI4", 8000},
    {6, "DVI4", 16000},  {7, "LPC", 8000},    {8, "PCMA", 8000},   {9, "G722", 8000},
    {10, "L16", 44100},  {11, "L16", 44100},  {12, "QCELP", 8000}, {13, "CN", 8000},
    {14, "MPA", 90000},  {15, "G728", 8000},  {16, "DVI4", 11025}, {17, "DVI4", 22050},
    {18, "G729", 8000},  {25, "CelB", 90000}, {26, "JPEG", 90000}, {28, "nv", 90000},
    {31, "H261", 90000}, {32, "MPV", 90000},  {33, "MP2T", 90000}, {34, "H263", 90000},
};

const StaticPayload* findStatic(std::uint8_t pt) {
  for (const auto& s : kStatic) {
    if (s.pt == pt) return &s;
  }
  return nullptr;
}

bool bitAt(const std::vector<std::uint64_t>& bits, std::uint64_t i) {
  return ((bits[i >> 6] >> (i & 63)) & 1U) != 0;
}

// Counts bursts and gaps over sequence positions 0..n-1 (bit set: received)
// and the Markov transitions, adding to `m` and the n.. counters.
void segment(const std::vector<std::uint64_t>& bits, std::uint64_t n, int gmin, BurstMetrics& m,
             std::uint64_t (&trans)[4]) {
  std::uint64_t candStart = 0, candLast = 0, candLosses = 0, run = 0, lastBurstEnd = 0, lost = 0;
  const std::uint64_t burstLostBefore = m.burstLost;
  auto close = [&] {
    if (candLosses >= 2) {
      if (candStart > lastBurstEnd) ++m.gaps;
      ++m.bursts;
      m.burstPackets += candLast - candStart + 1;
      m.burstLost += candLosses;
      lastBurstEnd = candLast + 1;
    }
    candLosses = 0;
  };
  bool prev = true;
  for (std::uint64_t i = 0; i < n; ++i) {
    const bool got = bitAt(bits, i);
    if (i > 0) ++trans[(prev ? 0 : 2) + (got ? 0 : 1)];
    prev = got;
    if (got) {
      ++run;
      continue;
    }
    ++lost;
    if (candLosses > 0 && run < static_cast<std::uint64_t>(gmin)) {
      ++candLosses;
      candLast = i;
    } else {
      close();
      candStart = candLast = i;
      candLosses = 1;
    }
    run = 0;
  }
  close();
  if (n > lastBurstEnd) ++m.gaps;
  m.gapLost += lost - (m.burstLost - burstLostBefore);
}

}  // namespace

std::uint32_t staticClockRate(std::uint8_t payloadType) {
  const auto* s = findStatic(payloadType);
  return s ? s->rate : 0;
}

const char* staticEncodingName(std::uint8_t payloadType) {
  const auto* s = findStatic(payloadType);
  return s ? s->name : "";
}

RtpStreamAnalyzer::RtpStreamAnalyzer(RtpAnalyzerOptions options) : options_(options) {}

void RtpStreamAnalyzer::initSeq(std::uint16_t seq) {
  flushBursts();
  baseSeq_ = seq;
  maxSeq_ = seq;
  badSeq_ = kRtpSeqMod + 1;
  cycles_ = 0;
  received_ = 0;
  receivedPrior_ = 0;
  expectedPrior_ = 0;
  seen_.clear();
  seenMax_ = 0;
  overflow_ = false;
}

// RFC 3550 A.1 update_seq, with one change: once a source passes
// probation, the packets it sent before (kept in pending_, those near the
// validating run) are counted too, from the first of them: an offline
// analyzer can look back, and so a capture of N clean packets reports N
// received and none lost, and the base is the first packet's number, as
// in Wireshark's statistics.
bool RtpStreamAnalyzer::updateSeq(std::uint16_t seq) {
  if (probation_ > 0) {
    if (seq == static_cast<std::uint16_t>(maxSeq_ + 1)) {
      --probation_;
      maxSeq_ = seq;
      if (probation_ == 0) {
        replayPending(seq);
        return false;  // counted and tracked by the replay
      }
    } else {
      probation_ = kMinSequential - 1;
      maxSeq_ = seq;
      runStart_ = seq;
    }
    if (pending_.size() >= kMaxPending) pending_.erase(pending_.begin());
    pending_.push_back(seq);
    return false;
  }
  return countSeq(seq);
}

void RtpStreamAnalyzer::replayPending(std::uint16_t seq) {
  pending_.push_back(seq);
  bool started = false;
  for (const std::uint16_t p : pending_) {
    const auto below = static_cast<std::uint16_t>(runStart_ - p);
    const auto above = static_cast<std::uint16_t>(p - runStart_);
    if (below >= kMaxDropout && above >= kMaxMisorder) continue;  // far off: noise before the run
    if (!started) {
      started = true;
      initSeq(p);
      ++received_;
      track(p);
    } else if (countSeq(p)) {
      track(p);
    }
  }
  pending_.clear();
  pending_.shrink_to_fit();
}

bool RtpStreamAnalyzer::countSeq(std::uint16_t seq) {
  const auto udelta = static_cast<std::uint16_t>(seq - maxSeq_);
  if (udelta < kMaxDropout) {
    if (seq < maxSeq_) cycles_ += kRtpSeqMod;
    maxSeq_ = seq;
  } else if (udelta <= kRtpSeqMod - kMaxMisorder) {
    if (seq == badSeq_) {
      ++restarts_;
      initSeq(seq);  // two sequential packets after a jump: the source restarted
    } else {
      badSeq_ = (seq + 1U) & (kRtpSeqMod - 1);
      return false;
    }
  }
  // else: duplicate or late packet, counted but max_seq stays
  ++received_;
  return true;
}

void RtpStreamAnalyzer::track(std::uint16_t seq) {
  // Extended number of this packet: a late one numerically above max_seq
  // belongs to the previous cycle.
  std::int64_t ext = std::int64_t{cycles_} + seq;
  if (seq > maxSeq_ && static_cast<std::uint16_t>(maxSeq_ - seq) < kRtpSeqMod / 2) ext -= kRtpSeqMod;
  const std::int64_t index = ext - std::int64_t{baseSeq_};
  if (index < 0) {
    ++reordered_;
    return;
  }
  const auto i = static_cast<std::uint64_t>(index);
  if (i >= kMaxTrackedSeq) {
    overflow_ = true;
    return;
  }
  if ((i >> 6) >= seen_.size()) seen_.resize(std::max((i >> 6) + 1, seen_.size() * 2), 0);
  std::uint64_t& word = seen_[i >> 6];
  const std::uint64_t bit = 1ULL << (i & 63);
  if ((word & bit) != 0) {
    ++duplicates_;
    return;
  }
  word |= bit;
  if (i + 1 < seenMax_) ++reordered_;
  seenMax_ = std::max(seenMax_, i + 1);
}

void RtpStreamAnalyzer::flushBursts() {
  if (seenMax_ == 0 || overflow_) return;
  std::uint64_t trans[4] = {n00_, n01_, n10_, n11_};
  segment(seen_, seenMax_, options_.gmin, bursts_, trans);
  n00_ = trans[0];
  n01_ = trans[1];
  n10_ = trans[2];
  n11_ = trans[3];
  bursts_.gapPackets += seenMax_;  // minus burst packets, corrected in stats()
}

void RtpStreamAnalyzer::add(const RtpArrival& a) {
  ++packets_;
  if (a.marker) ++markers_;
  payloadBytes_ += a.payloadBytes;
  if (first_) {
    first_ = false;
    payloadType_ = a.payloadType;
    if (options_.clockRate == 0) options_.clockRate = staticClockRate(a.payloadType);
    firstArrival_ = a.arrival;
    maxSeq_ = static_cast<std::uint16_t>(a.sequence - 1);  // A.1: a new source
    probation_ = kMinSequential;
    runStart_ = a.sequence;
  } else {
    const double delta = a.arrival - prevArrival_;
    maxDelta_ = std::max(maxDelta_, delta);
    if (options_.clockRate != 0) {
      // A.8: D = (Rj − Ri) − (Sj − Si) in timestamp units, consecutive in arrival order.
      const double d = delta * options_.clockRate -
                       static_cast<double>(static_cast<std::int32_t>(a.timestamp - prevTs_));
      jitter_ += (std::fabs(d) - jitter_) / 16.0;
      jitterMax_ = std::max(jitterMax_, jitter_);
    }
    if (a.sequence == static_cast<std::uint16_t>(prevSeq_ + 1) && a.timestamp != prevTs_) {
      tsStep_ = a.timestamp - prevTs_;
    }
  }
  prevArrival_ = a.arrival;
  prevTs_ = a.timestamp;
  prevSeq_ = a.sequence;
  if (updateSeq(a.sequence)) track(a.sequence);
}

RtpStreamStats RtpStreamAnalyzer::stats() const {
  RtpStreamStats s;
  s.clockRate = options_.clockRate;
  s.payloadType = payloadType_;
  s.valid = probation_ == 0;
  s.packets = packets_;
  s.markers = markers_;
  s.payloadBytes = payloadBytes_;
  s.firstArrival = firstArrival_;
  s.lastArrival = prevArrival_;
  s.restarts = restarts_;
  s.duplicates = duplicates_;
  s.reordered = reordered_;
  s.maxDeltaMs = maxDelta_ * 1000.0;
  if (options_.clockRate != 0) {
    const double toMs = 1000.0 / options_.clockRate;
    s.jitter = jitter_;
    s.jitterMs = jitter_ * toMs;
    s.jitterMaxMs = jitterMax_ * toMs;
    s.packetIntervalMs = tsStep_ * toMs;
  }
  if (!s.valid) return s;
  s.received = received_;
  s.baseSeq = baseSeq_;
  s.cycles = cycles_;
  s.extHighestSeq = std::uint64_t{cycles_} + maxSeq_;
  s.expected = s.extHighestSeq - baseSeq_ + 1;
  s.lost = static_cast<std::int64_t>(s.expected) - static_cast<std::int64_t>(received_);
  if (s.lost > 0 && s.expected > 0) {
    s.fractionLost = static_cast<std::uint8_t>(
        std::min<std::uint64_t>(255, static_cast<std::uint64_t>(s.lost) * 256 / s.expected));
  }
  const std::uint64_t unique = received_ - std::min(received_, duplicates_);
  s.uniqueLost = s.expected > unique ? s.expected - unique : 0;

  // Burst metrics: closed segments plus the current one.
  RtpStreamAnalyzer copy = *this;
  copy.flushBursts();
  s.burstTracked = !overflow_;
  BurstMetrics& b = s.burst;
  b = copy.bursts_;
  b.gapPackets -= b.burstPackets;
  if (b.burstPackets > 0) b.burstDensity = double(b.burstLost) / double(b.burstPackets);
  if (b.gapPackets > 0) b.gapDensity = double(b.gapLost) / double(b.gapPackets);
  if (b.bursts > 0) b.burstDurationMs = double(b.burstPackets) / double(b.bursts) * s.packetIntervalMs;
  if (b.gaps > 0) b.gapDurationMs = double(b.gapPackets) / double(b.gaps) * s.packetIntervalMs;
  const double r0 = double(copy.n00_ + copy.n01_), r1 = double(copy.n10_ + copy.n11_);
  if (r0 > 0 && r1 > 0) {
    const double p = double(copy.n01_) / r0, q = double(copy.n10_) / r1;
    if (p + q > 0) b.burstR = 1.0 / (p + q);
  }
  return s;
}

ReportBlock RtpStreamAnalyzer::takeReportBlock(std::uint32_t ssrc) {
  const RtpStreamStats s = stats();
  ReportBlock r;
  r.ssrc = ssrc;
  r.cumulativeLost = static_cast<std::int32_t>(std::clamp<std::int64_t>(s.lost, -0x800000, 0x7fffff));
  r.extHighestSeq = static_cast<std::uint32_t>(s.extHighestSeq);
  r.jitter = static_cast<std::uint32_t>(s.jitter);
  // A.3: the fraction over the interval since the last report.
  const std::int64_t expectedInterval = static_cast<std::int64_t>(s.expected - expectedPrior_);
  const std::int64_t receivedInterval = static_cast<std::int64_t>(s.received - receivedPrior_);
  const std::int64_t lostInterval = expectedInterval - receivedInterval;
  expectedPrior_ = s.expected;
  receivedPrior_ = s.received;
  if (expectedInterval > 0 && lostInterval > 0) {
    r.fractionLost = static_cast<std::uint8_t>((lostInterval << 8) / expectedInterval);
  }
  return r;
}

EModelResult streamEModel(const RtpStreamStats& s, const CodecImpairment& codec,
                          double oneWayDelayMs) {
  EModelInput in;
  in.oneWayDelayMs = oneWayDelayMs;
  in.lossPercent = s.expected > 0 ? 100.0 * double(s.uniqueLost) / double(s.expected) : 0.0;
  in.burstR = s.burst.burstR;
  in.ie = codec.ie;
  in.bpl = codec.bpl;
  return computeEModel(in);
}

VoipMetrics voipMetrics(std::uint32_t ssrc, const RtpStreamStats& s, const CodecImpairment& codec,
                        double oneWayDelayMs, int gmin) {
  auto frac = [](double f) {
    return static_cast<std::uint8_t>(std::clamp(std::floor(f * 256.0), 0.0, 255.0));
  };
  auto ms16 = [](double ms) {
    return static_cast<std::uint16_t>(std::clamp(std::lround(ms), 0L, 65535L));
  };
  VoipMetrics v;
  v.ssrc = ssrc;
  v.lossRate = s.expected > 0 ? frac(double(s.uniqueLost) / double(s.expected)) : 0;
  v.discardRate = 0;
  v.burstDensity = frac(s.burst.burstDensity);
  v.gapDensity = frac(s.burst.gapDensity);
  v.burstDuration = ms16(s.burst.burstDurationMs);
  v.gapDuration = ms16(s.burst.gapDurationMs);
  v.gmin = static_cast<std::uint8_t>(std::clamp(gmin, 1, 255));
  // R and MOS-CQ are conversational (with the delay); MOS-LQ is listening
  // quality, without it.
  const EModelResult conversational = streamEModel(s, codec, oneWayDelayMs);
  const EModelResult listening = streamEModel(s, codec, 0);
  v.rFactor = static_cast<std::uint8_t>(std::clamp(std::lround(conversational.r), 0L, 100L));
  v.mosLq = static_cast<std::uint8_t>(std::clamp(std::lround(listening.mos * 10), 10L, 50L));
  v.mosCq = static_cast<std::uint8_t>(std::clamp(std::lround(conversational.mos * 10), 10L, 50L));
  return v;
}

}  // namespace p2pmon::probes
