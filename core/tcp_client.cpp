#include "core/tcp_client.hpp"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace p2pmon::core {

namespace {
int msLeft(Deadline deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

Error errnoError(int err, const std::string& what) {
  std::string code = "unreachable";
  if (err == ECONNREFUSED) code = "refused";
  if (err == ETIMEDOUT) code = "timeout";
  return makeError(code, what + ": " + std::strerror(err));
}

// Waits until fd is ready for `events`; false on timeout.
bool waitFor(int fd, short events, Deadline deadline) {
  while (true) {
    pollfd p{fd, events, 0};
    int rc = ::poll(&p, 1, msLeft(deadline));
    if (rc > 0) return true;
    if (rc == 0) return false;
    if (errno != EINTR) return true;  // let the following call report the error
  }
}
}  // namespace

Expected<TcpConnection> TcpConnection::connect(const std::string& host, std::uint16_t port,
                                               Deadline deadline) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  std::string service = std::to_string(port);
  if (int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &res); rc != 0) {
    return makeError("resolve", "cannot resolve " + host + ": " + ::gai_strerror(rc));
  }
  Error last = makeError("unreachable", "no address for " + host);
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    int rc = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      if (!waitFor(fd, POLLOUT, deadline)) {
        ::close(fd);
        last = makeError("timeout", "connect to " + host + ":" + service + " timed out");
        continue;
      }
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      rc = err == 0 ? 0 : -1;
      errno = err;
    }
    if (rc != 0) {
      last = errnoError(errno, "connect to " + host + ":" + service);
      ::close(fd);
      continue;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ::freeaddrinfo(res);
    return TcpConnection(fd);
  }
  ::freeaddrinfo(res);
  return last;
}

TcpConnection& TcpConnection::operator=(TcpConnection&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

TcpConnection::~TcpConnection() {
  if (fd_ >= 0) ::close(fd_);
}

std::optional<Error> TcpConnection::readExact(std::span<std::uint8_t> out, Deadline deadline) {
  std::size_t got = 0;
  while (got < out.size()) {
    ssize_t n = ::recv(fd_, out.data() + got, out.size() - got, 0);
    if (n > 0) {
      got += static_cast<std::size_t>(n);
      continue;
    }
    if (n == 0) return makeError("bad_response", "connection closed by peer");
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return errnoError(errno, "read");
    if (!waitFor(fd_, POLLIN, deadline) || msLeft(deadline) == 0) {
      return makeError("timeout", "read timed out");
    }
  }
  return std::nullopt;
}

std::optional<Error> TcpConnection::writeAll(std::span<const std::uint8_t> data,
                                             Deadline deadline) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return errnoError(errno, "write");
    if (!waitFor(fd_, POLLOUT, deadline) || msLeft(deadline) == 0) {
      return makeError("timeout", "write timed out");
    }
  }
  return std::nullopt;
}

}  // namespace p2pmon::core
