// Batched UDP reads with the kernel's receive time of each datagram
// (recvmmsg with SO_TIMESTAMPNS) and batched sends (sendmmsg), for the RTP
// reflector and the live RTP probe: one system call per batch and no
// allocation per packet. Linux only; the descriptor is a non-blocking UDP
// socket owned by the caller (a Boost.Asio socket's native handle).
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "probes/rtp_reflection.hpp"

namespace p2pmon::probes {

// Asks the kernel to stamp every datagram read from `fd`; false when it
// refuses (then receive times are taken when the batch is read).
bool enableReceiveStamps(int fd);

class UdpBatch {
 public:
  // Datagrams per system call: a reflector at 5,000 packets/s wakes for a
  // handful each time; 32 covers bursts without a large footprint.
  static constexpr std::size_t kSize = 32;
  // One octet more than the largest datagram kept: a read that fills it was cut.
  static constexpr std::size_t kInSize = kMaxReflectedDatagram + 1;
  static constexpr std::size_t kOutSize = kMaxReflectedDatagram + kReflectionExtensionSize;

  UdpBatch();
  UdpBatch(const UdpBatch&) = delete;
  UdpBatch& operator=(const UdpBatch&) = delete;

  // Reads up to kSize datagrams without blocking; the count (0 when none
  // was waiting), or -1 with errno for another error (the socket's pending
  // error, e.g. ECONNREFUSED after an ICMP port unreachable).
  int receive(int fd);
  std::span<const std::uint8_t> data(std::size_t i) const;
  bool truncated(std::size_t i) const;  // longer than kMaxReflectedDatagram
  timespec stamp(std::size_t i) const;  // kernel receive time (CLOCK_REALTIME)
  const sockaddr_storage& from(std::size_t i) const { return from_[i]; }
  socklen_t fromLength(std::size_t i) const { return msgs_[i].msg_hdr.msg_namelen; }

  // Output slot i (kOutSize octets); queue(i, n, to) marks it for send().
  std::span<std::uint8_t> out(std::size_t i) { return {out_[i].data(), out_[i].size()}; }
  void queue(std::size_t size, const sockaddr_storage& to, socklen_t toLength);
  std::size_t queued() const { return queued_; }
  // Sends the queued datagrams (to their addresses; on a connected socket
  // pass connected=true) and clears the queue; returns how many failed.
  std::size_t send(int fd, bool connected = false);

 private:
  std::array<std::array<std::uint8_t, kInSize>, kSize> in_{};
  std::array<std::array<std::uint8_t, kOutSize>, kSize> out_{};
  std::array<sockaddr_storage, kSize> from_{}, to_{};
  std::array<iovec, kSize> inIov_{}, outIov_{};
  std::array<mmsghdr, kSize> msgs_{}, outMsgs_{};
  // Room for one SO_TIMESTAMPNS control message per datagram.
  static constexpr std::size_t kControl = 64;
  std::array<std::array<std::uint8_t, kControl>, kSize> control_{};
  std::array<timespec, kSize> stamps_{};
  std::size_t queued_ = 0;
};

}  // namespace p2pmon::probes
