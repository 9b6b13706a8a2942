#include "probes/udp_stamp.hpp"

#include <arpa/inet.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>

namespace p2pmon::probes {

int findUdpSocketByPort(std::uint16_t port) {
  for (int fd = 3; fd < 4096; ++fd) {
    int type = 0;
    socklen_t len = sizeof type;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_DGRAM) continue;
    sockaddr_storage addr{};
    socklen_t alen = sizeof addr;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &alen) != 0) continue;
    std::uint16_t bound = 0;
    if (addr.ss_family == AF_INET) {
      bound = ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
    } else if (addr.ss_family == AF_INET6) {
      bound = ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
    }
    if (bound == port) return fd;
  }
  return -1;
}

std::optional<std::chrono::system_clock::time_point> lastReceiveStamp(int fd) {
  timeval tv{};
  if (fd < 0 || ioctl(fd, SIOCGSTAMP, &tv) != 0) return std::nullopt;
  return std::chrono::system_clock::time_point(std::chrono::seconds(tv.tv_sec) +
                                               std::chrono::microseconds(tv.tv_usec));
}

}  // namespace p2pmon::probes
