#include "probes/rtp_udp.hpp"

#include <cerrno>
#include <cstring>

namespace p2pmon::probes {

bool enableReceiveStamps(int fd) {
  const int on = 1;
  return ::setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) == 0;
}

UdpBatch::UdpBatch() = default;

int UdpBatch::receive(int fd) {
  for (std::size_t i = 0; i < kSize; ++i) {
    inIov_[i] = {in_[i].data(), in_[i].size()};
    msgs_[i].msg_hdr = {};
    msgs_[i].msg_hdr.msg_name = &from_[i];
    msgs_[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
    msgs_[i].msg_hdr.msg_iov = &inIov_[i];
    msgs_[i].msg_hdr.msg_iovlen = 1;
    msgs_[i].msg_hdr.msg_control = control_[i].data();
    msgs_[i].msg_hdr.msg_controllen = control_[i].size();
    msgs_[i].msg_len = 0;
  }
  int n = 0;
  do {
    n = ::recvmmsg(fd, msgs_.data(), kSize, MSG_DONTWAIT, nullptr);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
  timespec now{};
  bool haveNow = false;
  for (int i = 0; i < n; ++i) {
    bool stamped = false;
    msghdr& h = msgs_[static_cast<std::size_t>(i)].msg_hdr;
    for (cmsghdr* c = CMSG_FIRSTHDR(&h); c != nullptr; c = CMSG_NXTHDR(&h, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS &&
          c->cmsg_len >= CMSG_LEN(sizeof(timespec))) {
        std::memcpy(&stamps_[static_cast<std::size_t>(i)], CMSG_DATA(c), sizeof(timespec));
        stamped = true;
      }
    }
    if (!stamped) {
      if (!haveNow) {
        ::clock_gettime(CLOCK_REALTIME, &now);
        haveNow = true;
      }
      stamps_[static_cast<std::size_t>(i)] = now;
    }
  }
  return n;
}

std::span<const std::uint8_t> UdpBatch::data(std::size_t i) const {
  const std::size_t n = std::min<std::size_t>(msgs_[i].msg_len, kInSize);
  return {in_[i].data(), n};
}

bool UdpBatch::truncated(std::size_t i) const {
  return msgs_[i].msg_len > kMaxReflectedDatagram || (msgs_[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
}

timespec UdpBatch::stamp(std::size_t i) const { return stamps_[i]; }

void UdpBatch::queue(std::size_t size, const sockaddr_storage& to, socklen_t toLength) {
  if (queued_ >= kSize) return;
  const std::size_t i = queued_++;
  std::memcpy(&to_[i], &to, toLength);
  outIov_[i] = {out_[i].data(), size};
  outMsgs_[i].msg_hdr = {};
  outMsgs_[i].msg_hdr.msg_name = &to_[i];
  outMsgs_[i].msg_hdr.msg_namelen = toLength;
  outMsgs_[i].msg_hdr.msg_iov = &outIov_[i];
  outMsgs_[i].msg_hdr.msg_iovlen = 1;
}

std::size_t UdpBatch::send(int fd, bool connected) {
  std::size_t failed = 0;
  std::size_t sent = 0;
  if (connected) {
    for (std::size_t i = 0; i < queued_; ++i) {
      outMsgs_[i].msg_hdr.msg_name = nullptr;
      outMsgs_[i].msg_hdr.msg_namelen = 0;
    }
  }
  // Bounded: every round sends at least one datagram or gives one up.
  while (sent < queued_) {
    const int r = ::sendmmsg(fd, &outMsgs_[sent], static_cast<unsigned>(queued_ - sent), MSG_DONTWAIT);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      // UDP: a full buffer or an unreachable sender loses this one; the rest still go.
      ++failed;
      ++sent;
      continue;
    }
    sent += static_cast<std::size_t>(r);
  }
  queued_ = 0;
  return failed;
}

}  // namespace p2pmon::probes
