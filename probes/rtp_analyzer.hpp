// Receive-side quality of one RTP stream (one SSRC): RFC 3550 Appendix A
// sequence handling (A.1), loss (A.3) and interarrival jitter (A.8), plus
// duplicates, reordering, the RFC 3611 §4.7.2 burst/gap metrics and the
// VoIP Metrics values with the E-model. Pure and sans-I/O: the caller
// feeds packets with their arrival time; no clocks, no sockets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "probes/emodel.hpp"
#include "probes/rtp_codec.hpp"

namespace p2pmon::probes {

// RFC 3550 A.1 constants.
inline constexpr std::uint32_t kRtpSeqMod = 1U << 16;
inline constexpr std::uint32_t kMaxDropout = 3000;
inline constexpr std::uint32_t kMaxMisorder = 100;
inline constexpr int kMinSequential = 2;
// RFC 3611 §4.7: the recommended gap threshold.
inline constexpr int kDefaultGmin = 16;
// Sequence numbers tracked for duplicates and bursts (one bit each, 4 MB):
// beyond that many since the last restart, those two are no longer counted.
inline constexpr std::uint64_t kMaxTrackedSeq = 1ULL << 25;

// Clock rate of a static payload type (RFC 3551 table 4/5), 0 when dynamic
// or unknown; its encoding name ("PCMU"), empty when unknown.
std::uint32_t staticClockRate(std::uint8_t payloadType);
const char* staticEncodingName(std::uint8_t payloadType);

struct RtpArrival {
  std::uint16_t sequence = 0;
  std::uint32_t timestamp = 0;
  std::uint8_t payloadType = 0;
  bool marker = false;
  double arrival = 0;  // seconds, any origin, the same for every packet of the stream
  std::size_t payloadBytes = 0;
};

struct RtpAnalyzerOptions {
  std::uint32_t clockRate = 0;  // 0: from the first packet's static payload type (else no jitter)
  int gmin = kDefaultGmin;
};

// Loss pattern over the sequence space (RFC 3611 §4.7.2). A burst is the
// longest run that starts and ends with a loss, holds at least two losses
// and has no Gmin or more consecutive received packets inside; every other
// sequence number (an isolated loss included) is in a gap.
struct BurstMetrics {
  std::uint64_t bursts = 0, burstPackets = 0, burstLost = 0;
  std::uint64_t gaps = 0, gapPackets = 0, gapLost = 0;
  double burstDensity = 0;   // burstLost / burstPackets
  double gapDensity = 0;     // gapLost / gapPackets
  double burstDurationMs = 0;  // mean burst length × packet interval
  double gapDurationMs = 0;    // mean gap length × packet interval
  double burstR = 1;           // 1/(p+q), p = P(lost | received before), q = P(received | lost before)
};

struct RtpStreamStats {
  std::uint32_t clockRate = 0;
  std::uint8_t payloadType = 0;  // of the first packet
  bool valid = false;            // passed A.1 probation
  std::uint64_t packets = 0;     // every packet fed, duplicates and probation included
  std::uint64_t received = 0;    // A.1 received (duplicates included: they mask loss)
  std::uint32_t baseSeq = 0;
  std::uint64_t extHighestSeq = 0;  // cycles + max_seq
  std::uint64_t cycles = 0;         // sequence wraps × 65536
  std::uint64_t expected = 0;       // A.3
  std::int64_t lost = 0;            // A.3 cumulative, signed
  std::uint8_t fractionLost = 0;    // lost/expected since the start × 256, 0 when lost <= 0
  std::uint64_t uniqueLost = 0;     // sequence numbers never received
  std::uint64_t duplicates = 0;
  std::uint64_t reordered = 0;  // arrived after a higher sequence number (not duplicates)
  std::uint64_t restarts = 0;   // A.1 re-synchronisations after a large jump
  std::uint64_t markers = 0;
  std::uint64_t payloadBytes = 0;
  double firstArrival = 0, lastArrival = 0;
  double jitter = 0;       // A.8, timestamp units, after the last packet
  double jitterMs = 0;     // the same in ms
  double jitterMaxMs = 0;  // largest value it took
  double maxDeltaMs = 0;   // largest arrival gap between consecutive packets
  double packetIntervalMs = 0;  // timestamp step of consecutive sequence numbers, in ms
  BurstMetrics burst;
  bool burstTracked = true;  // false when kMaxTrackedSeq was exceeded
};

class RtpStreamAnalyzer {
 public:
  explicit RtpStreamAnalyzer(RtpAnalyzerOptions options = {});

  void add(const RtpArrival& a);
  RtpStreamStats stats() const;

  // An RFC 3550 §6.4.1 reception report block for this stream; the
  // fraction covers the interval since the previous call (A.3).
  ReportBlock takeReportBlock(std::uint32_t ssrc);

 private:
  void initSeq(std::uint16_t seq);
  bool updateSeq(std::uint16_t seq);  // A.1 update_seq: true when counted
  bool countSeq(std::uint16_t seq);   // its part for a valid source
  void replayPending(std::uint16_t seq);
  void track(std::uint16_t seq);
  void flushBursts();

  RtpAnalyzerOptions options_;
  // A.1 state
  std::uint16_t maxSeq_ = 0;
  std::uint32_t cycles_ = 0;
  std::uint32_t baseSeq_ = 0;
  std::uint32_t badSeq_ = kRtpSeqMod + 1;
  int probation_ = kMinSequential;
  std::uint16_t runStart_ = 0;
  static constexpr std::size_t kMaxPending = 64;
  std::vector<std::uint16_t> pending_;  // sequence numbers seen during probation
  std::uint64_t received_ = 0, expectedPrior_ = 0, receivedPrior_ = 0;
  std::uint64_t restarts_ = 0, packets_ = 0;
  // Wraps since the start, over restarts, for the sequence bitmap.
  std::uint64_t bitmapBase_ = 0;
  std::vector<std::uint64_t> seen_;  // bit i: base + i received
  std::uint64_t seenMax_ = 0;        // highest index set + 1
  bool overflow_ = false;
  std::uint64_t duplicates_ = 0, reordered_ = 0;
  BurstMetrics bursts_;  // counters of sequence segments closed by restarts
  std::uint64_t n00_ = 0, n01_ = 0, n10_ = 0, n11_ = 0;  // Markov transitions
  // A.8 state
  bool first_ = true;
  std::uint8_t payloadType_ = 0;
  double prevArrival_ = 0;
  std::uint32_t prevTs_ = 0;
  std::uint16_t prevSeq_ = 0;
  double jitter_ = 0, jitterMax_ = 0, maxDelta_ = 0;
  double firstArrival_ = 0;
  std::uint32_t tsStep_ = 0;
  std::uint64_t markers_ = 0, payloadBytes_ = 0;
};

// The RFC 3611 §4.7 VoIP Metrics block for a stream: loss rate (unique
// losses), burst/gap values with Gmin, from the E-model for `codec` the R
// factor and MOS-CQ with `oneWayDelayMs` and MOS-LQ without delay; discard rate,
// delays, levels and jitter buffer fields are not known from a capture and
// are 0 or 127 (unavailable).
VoipMetrics voipMetrics(std::uint32_t ssrc, const RtpStreamStats& s, const CodecImpairment& codec,
                        double oneWayDelayMs, int gmin = kDefaultGmin);

// E-model inputs from a stream: unique losses in percent and BurstR.
EModelResult streamEModel(const RtpStreamStats& s, const CodecImpairment& codec,
                          double oneWayDelayMs);

}  // namespace p2pmon::probes
