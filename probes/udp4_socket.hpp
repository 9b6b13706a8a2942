// A plain non-blocking IPv4 datagram socket for the crawler's request
// loops: they need nothing Asio adds, and poll(2) with a deadline is the
// whole event loop. (IPv6 peers are named in answers but not crawled yet.)
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "overlay-agent/messages.hpp"

namespace p2pmon::probes {

class Udp4Socket {
 public:
  Udp4Socket() : fd_(::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) {
    if (fd_ < 0) throw std::runtime_error(std::string("cannot open a UDP socket: ") + std::strerror(errno));
    int size = 4 << 20;  // answers of many peers at once
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  }
  ~Udp4Socket() { ::close(fd_); }
  Udp4Socket(const Udp4Socket&) = delete;
  Udp4Socket& operator=(const Udp4Socket&) = delete;
  int fd() const { return fd_; }

  // False for an IPv6 endpoint or when the kernel refuses the datagram.
  bool send(const overlay::Endpoint& to, const std::vector<std::uint8_t>& bytes) const {
    if (to.family != 4) return false;
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(to.port);
    std::memcpy(&sa.sin_addr, to.addr.data(), 4);
    return ::sendto(fd_, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&sa), sizeof sa) >= 0;
  }

 private:
  int fd_;
};

}  // namespace p2pmon::probes
