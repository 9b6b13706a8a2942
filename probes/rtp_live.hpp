// The live RTP probe on a socket: a paced stream to an RTP reflector with
// the reflections measured (runRtpTarget, over rtp_round_trip.hpp), and a
// listener that analyses whatever RTP reaches a port (runRtpListen, over
// RtpStreamTable). Each runs its own Boost.Asio io_context for the time
// given and returns; receive times are the kernel's (SO_TIMESTAMPNS).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/expected.hpp"
#include "probes/rtp_capture.hpp"
#include "probes/rtp_round_trip.hpp"
#include "probes/rtp_send_plan.hpp"

namespace p2pmon::probes {

struct RtpTargetOptions {
  std::string host;  // address or name
  std::uint16_t port = 0;
  RtpSendPlan plan;
  double durationS = 5;
  int dropEvery = 0;  // > 0: send slots 0, N, 2N, ... are skipped (their sequence numbers still used), for tests
  double waitS = 1;   // after the last packet, for reflections still on the way
  std::uint32_t ssrc = 0;  // 0: random
};

struct RtpTargetRun {
  // timeout (no reflection at all), refused (ICMP port unreachable and no
  // reflection), unreachable (no address, no route); nullopt when measured.
  std::optional<core::Error> error;
  std::string address;  // "IP:PORT" the stream went to
  std::uint32_t ssrc = 0;
  std::uint16_t firstSeq = 0;
  double elapsedS = 0;
  RtpRoundTripResult result;
};

RtpTargetRun runRtpTarget(const RtpTargetOptions& o);

struct RtpListenOptions {
  std::string address;  // "IP:PORT" ([v6]:PORT), port 0: a free port
  double durationS = 10;
  RtpAnalyzerOptions analyzer;
};

// Called once bound, with the address actually bound ("IP:PORT").
using RtpListenReady = void (*)(const std::string& bound);

struct RtpListenRun {
  std::string bound;
  std::uint64_t truncated = 0;  // datagrams longer than 2048 octets (not analysed)
};

// Feeds every datagram that arrives within the duration to `table`.
// Errors: bad_usage (an address that does not parse or cannot be bound).
core::Expected<RtpListenRun> runRtpListen(const RtpListenOptions& o, RtpStreamTable& table,
                                          RtpListenReady ready = nullptr);

}  // namespace p2pmon::probes
