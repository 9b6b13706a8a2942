// Blocking TCP client helpers with deadlines (POSIX sockets), for the small
// synchronous senders that plugins and the agent use. Errors carry the stable
// probe codes: timeout, refused, unreachable, resolve.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "core/expected.hpp"

namespace p2pmon::core {

using Deadline = std::chrono::steady_clock::time_point;

class TcpConnection {
 public:
  static Expected<TcpConnection> connect(const std::string& host, std::uint16_t port,
                                         Deadline deadline);
  TcpConnection(TcpConnection&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  TcpConnection& operator=(TcpConnection&& o) noexcept;
  TcpConnection(const TcpConnection&) = delete;
  TcpConnection& operator=(const TcpConnection&) = delete;
  ~TcpConnection();

  std::optional<Error> readExact(std::span<std::uint8_t> out, Deadline deadline);
  std::optional<Error> writeAll(std::span<const std::uint8_t> data, Deadline deadline);

 private:
  explicit TcpConnection(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace p2pmon::core
