// The kernel's receive time of UDP datagrams, for probes whose socket
// belongs to a library that does not expose it (sofia-sip's NTA): find the
// socket by the port it is bound to, then ask for the stamp of the last
// datagram read from it (SIOCGSTAMP). Linux only.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

namespace p2pmon::probes {

// The descriptor of this process's UDP socket bound to `port` (IPv4 or
// IPv6), or -1. Scans the descriptors once: call it when the socket is made.
int findUdpSocketByPort(std::uint16_t port);

// When the kernel received the last datagram read from `fd`; nullopt when
// it has no stamp (the first call enables stamping and may have none).
std::optional<std::chrono::system_clock::time_point> lastReceiveStamp(int fd);

}  // namespace p2pmon::probes
