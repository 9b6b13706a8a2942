// Both directions of a probe stream sent to an RTP reflector, from what the
// probe sent and the reflections that came back (rtp_reflection.hpp):
// round-trip delay per packet; forward loss from the reflector's count
// against the sequence numbers sent, forward jitter (RFC 3550 A.8) from the
// reflector's receive times against the probe's send times; return loss from
// the reflector's outgoing sequence numbers, return jitter from the probe's
// arrival times against the reflector's times; the E-model per direction
// with one-way delay RTT/2. Pure and sans-I/O: times are passed in.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "probes/emodel.hpp"
#include "probes/rtp_analyzer.hpp"
#include "probes/rtp_reflection.hpp"

namespace p2pmon::probes {

struct RtpDirectionStats {
  std::uint64_t expected = 0;  // packets that should have arrived
  std::uint64_t received = 0;  // packets that did
  std::int64_t lost = 0;       // expected − received
  double lostPercent = 0;
  double jitterMs = 0;     // A.8 jitter after the last packet
  double jitterMaxMs = 0;  // largest value it took
  std::uint64_t duplicates = 0, reordered = 0;
  double burstR = 1;       // return only (forward: 1, random loss assumed)
  EModelResult emodel;     // with this direction's loss and the delay below
};

struct RttStats {
  std::uint64_t samples = 0;
  double minMs = 0, medianMs = 0, meanMs = 0, maxMs = 0;
};

struct RtpRoundTripResult {
  std::uint64_t sent = 0;         // packets sent
  std::uint64_t skipped = 0;      // send slots left out on purpose (--drop-every)
  std::uint64_t reflections = 0;  // reflections of this stream received (duplicates included)
  std::uint64_t foreign = 0;      // datagrams that were no reflection of this stream
  RttStats rtt;
  double delayMs = 0;  // one-way delay for the E-model: median RTT / 2
  RtpDirectionStats forward, back;
  // The worse direction: lower R and MOS, higher loss and jitter.
  double r = 0, mos = 1, lossPercent = 0, jitterMs = 0;
};

class RtpRoundTrip {
 public:
  RtpRoundTrip(std::uint32_t ssrc, std::uint16_t firstSeq, CodecImpairment codec);

  // Send slot `index` went out (sequence firstSeq + index) at `time`
  // (seconds, the probe's clock), or was skipped on purpose.
  void sent(std::uint32_t index, double time);
  void skipped(std::uint32_t index);
  // A datagram arrived at `arrival` (seconds, the same clock as sent()).
  void received(Bytes datagram, double arrival);

  RtpRoundTripResult result() const;

 private:
  std::uint32_t ssrc_;
  std::uint16_t firstSeq_;
  CodecImpairment codec_;
  std::uint32_t slots_ = 0;  // send slots so far (sent or skipped)
  std::uint64_t sent_ = 0, skipped_ = 0, reflections_ = 0, foreign_ = 0;
  // Send time and slot index by sequence number: 65,536 slots (22 minutes
  // of 20 ms packets in flight at most).
  std::vector<double> sendTime_;
  std::vector<std::uint32_t> slotOf_;
  std::vector<double> rtts_;  // ms, at most kMaxRttSamples
  static constexpr std::size_t kMaxRttSamples = 1U << 20;
  double rttSum_ = 0, rttMin_ = 0, rttMax_ = 0;
  std::uint64_t rttCount_ = 0;
  // The latest reflector state seen: its count and the slot it answered.
  std::uint32_t maxCount_ = 0, countSlot_ = 0;
  bool any_ = false;
  std::uint32_t maxOut_ = 0;
  double originRemote_ = 0, originLocal_ = 0, originSent_ = 0;  // keep doubles small
  RtpStreamAnalyzer forward_, back_;
};

}  // namespace p2pmon::probes
