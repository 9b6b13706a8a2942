#include "probes/rtp_round_trip.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace p2pmon::probes {

namespace {

// The return direction is analysed on the reflector's clock in
// microseconds: its receive time stands for its send time.
constexpr std::uint32_t kMicroClock = 1000000;

void finish(RtpDirectionStats& d, const CodecImpairment& codec, double delayMs) {
  d.lost = static_cast<std::int64_t>(d.expected) - static_cast<std::int64_t>(d.received);
  d.lostPercent = d.expected > 0 ? 100.0 * static_cast<double>(d.lost) / static_cast<double>(d.expected) : 0;
  EModelInput in;
  in.oneWayDelayMs = delayMs;
  in.lossPercent = std::max(0.0, d.lostPercent);
  in.burstR = d.burstR;
  in.ie = codec.ie;
  in.bpl = codec.bpl;
  d.emodel = computeEModel(in);
}

}  // namespace

RtpRoundTrip::RtpRoundTrip(std::uint32_t ssrc, std::uint16_t firstSeq, CodecImpairment codec)
    : ssrc_(ssrc),
      firstSeq_(firstSeq),
      codec_(codec),
      sendTime_(kRtpSeqMod, std::numeric_limits<double>::quiet_NaN()),
      slotOf_(kRtpSeqMod, 0),
      forward_(RtpAnalyzerOptions{kMicroClock, kDefaultGmin}),
      back_(RtpAnalyzerOptions{kMicroClock, kDefaultGmin}) {}

void RtpRoundTrip::sent(std::uint32_t index, double time) {
  if (sent_ == 0) originSent_ = time;
  const auto seq = static_cast<std::uint16_t>(firstSeq_ + index);
  sendTime_[seq] = time;
  slotOf_[seq] = index;
  slots_ = std::max(slots_, index + 1);
  ++sent_;
}

void RtpRoundTrip::skipped(std::uint32_t index) {
  const auto seq = static_cast<std::uint16_t>(firstSeq_ + index);
  sendTime_[seq] = std::numeric_limits<double>::quiet_NaN();
  slotOf_[seq] = index;
  slots_ = std::max(slots_, index + 1);
  ++skipped_;
}

void RtpRoundTrip::received(Bytes datagram, double arrival) {
  const auto p = decodeRtp(datagram);
  if (!p || p->ssrc != ssrc_) {
    ++foreign_;
    return;
  }
  const auto info = decodeReflection(*p);
  if (!info) {
    ++foreign_;
    return;
  }
  ++reflections_;
  const double remote = ntpToUnixSeconds(info->receiveTime);
  if (!any_) {
    any_ = true;
    originRemote_ = remote;
    originLocal_ = arrival;
  }
  const double sentAt = sendTime_[p->sequence];
  if (!std::isnan(sentAt)) {
    const double rtt = (arrival - sentAt) * 1000.0;
    if (rttCount_ == 0 || rtt < rttMin_) rttMin_ = rtt;
    if (rttCount_ == 0 || rtt > rttMax_) rttMax_ = rtt;
    rttSum_ += rtt;
    ++rttCount_;
    if (rtts_.size() < kMaxRttSamples) rtts_.push_back(rtt);
  }
  if (info->received >= maxCount_) {
    maxCount_ = info->received;
    countSlot_ = slotOf_[p->sequence];
  }
  maxOut_ = std::max(maxOut_, info->outSequence);
  // Forward: the packet as sent, arriving when the reflector got it. Its
  // "timestamp" is when it really left (microseconds), not its RTP
  // timestamp: a late send timer on the probe is not network jitter.
  RtpArrival f;
  f.sequence = p->sequence;
  f.timestamp = std::isnan(sentAt) ? 0 : static_cast<std::uint32_t>(std::llround((sentAt - originSent_) * kMicroClock));
  f.payloadType = p->payloadType;
  f.marker = p->marker;
  f.arrival = remote - originRemote_;
  f.payloadBytes = p->payload.size();
  forward_.add(f);
  // Return: the reflector's sequence and time, arriving here.
  RtpArrival b;
  b.sequence = static_cast<std::uint16_t>(info->outSequence);
  b.timestamp = static_cast<std::uint32_t>(std::llround((remote - originRemote_) * kMicroClock));
  b.payloadType = p->payloadType;
  b.arrival = arrival - originLocal_;
  b.payloadBytes = p->payload.size();
  back_.add(b);
}

RtpRoundTripResult RtpRoundTrip::result() const {
  RtpRoundTripResult r;
  r.sent = sent_;
  r.skipped = skipped_;
  r.reflections = reflections_;
  r.foreign = foreign_;
  if (rttCount_ > 0) {
    r.rtt.samples = rttCount_;
    r.rtt.minMs = rttMin_;
    r.rtt.maxMs = rttMax_;
    r.rtt.meanMs = rttSum_ / static_cast<double>(rttCount_);
    std::vector<double> v = rtts_;
    const auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
    std::nth_element(v.begin(), mid, v.end());
    double median = *mid;
    if (v.size() % 2 == 0) median = (median + *std::max_element(v.begin(), mid)) / 2.0;
    r.rtt.medianMs = median;
  }
  r.delayMs = r.rtt.medianMs / 2.0;

  // Forward: the slots up to the one the latest reflector state answered
  // (later ones may still have been on the way), against its count. As in
  // RFC 3550 A.3 nothing after the highest packet that arrived is counted.
  const RtpStreamStats fs = forward_.stats();
  if (any_) {
    r.forward.expected = std::uint64_t{countSlot_} + 1;
    r.forward.received = maxCount_;
  }
  r.forward.jitterMs = fs.jitterMs;
  r.forward.jitterMaxMs = fs.jitterMaxMs;
  r.forward.duplicates = fs.duplicates;
  r.forward.reordered = fs.reordered;
  finish(r.forward, codec_, r.delayMs);

  // Return: the reflector numbers its reflections from 0.
  const RtpStreamStats bs = back_.stats();
  if (any_) {
    r.back.expected = std::uint64_t{maxOut_} + 1;
    r.back.received = reflections_ - std::min(reflections_, bs.duplicates);
  }
  r.back.jitterMs = bs.jitterMs;
  r.back.jitterMaxMs = bs.jitterMaxMs;
  r.back.duplicates = bs.duplicates;
  r.back.reordered = bs.reordered;
  r.back.burstR = bs.burst.burstR;
  finish(r.back, codec_, r.delayMs);

  const bool forwardWorse = r.forward.emodel.r <= r.back.emodel.r;
  r.r = forwardWorse ? r.forward.emodel.r : r.back.emodel.r;
  r.mos = forwardWorse ? r.forward.emodel.mos : r.back.emodel.mos;
  r.lossPercent = std::max({0.0, r.forward.lostPercent, r.back.lostPercent});
  r.jitterMs = std::max(r.forward.jitterMs, r.back.jitterMs);
  return r;
}

}  // namespace p2pmon::probes
