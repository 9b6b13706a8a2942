#include "overlay-agent/spool_files.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <span>
#include <sstream>
#include <system_error>

#include "core/nsca_codec.hpp"

namespace p2pmon::agent::spool {

namespace {
constexpr std::size_t kSeqDigits = 20;
constexpr std::string_view kSegmentSuffix = ".seg";
constexpr std::string_view kCursorMagic = "p2pmon-spool-cursor";

std::string crcHex(std::string_view text) {
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08x",
                core::nsca::crc32(std::span(reinterpret_cast<const std::uint8_t*>(text.data()),
                                            text.size())));
  return hex;
}

core::Error ioError(const std::string& what, int e) {
  return core::makeError("spool_io", what + ": " + errnoText(e));
}
}  // namespace

std::string errnoText(int e) { return std::error_code(e, std::generic_category()).message(); }

std::string segmentName(std::uint64_t seq) {
  const std::string digits = std::to_string(seq);
  return std::string(kSeqDigits - digits.size(), '0') + digits + std::string(kSegmentSuffix);
}

std::optional<std::uint64_t> segmentSeq(std::string_view name) {
  if (name.size() != kSeqDigits + kSegmentSuffix.size() || !name.ends_with(kSegmentSuffix)) {
    return std::nullopt;
  }
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < kSeqDigits; ++i) {
    if (name[i] < '0' || name[i] > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(name[i] - '0');
  }
  return v;
}

std::string cursorText(const Cursor& c) {
  std::string body = std::string(kCursorMagic) + " 1 " + std::to_string(c.seq) + " " +
                     std::to_string(c.offset);
  return body + " " + crcHex(body) + "\n";
}

std::optional<Cursor> parseCursor(std::string_view text) {
  if (text.empty() || text.back() != '\n') return std::nullopt;
  const auto space = text.rfind(' ');
  if (space == std::string_view::npos) return std::nullopt;
  const std::string_view body = text.substr(0, space);
  if (text.substr(space + 1, text.size() - space - 2) != crcHex(body)) return std::nullopt;
  std::istringstream in{std::string(body)};
  std::string magic;
  int version = 0;
  Cursor c;
  if (!(in >> magic >> version >> c.seq >> c.offset) || magic != kCursorMagic || version != 1) {
    return std::nullopt;
  }
  return c;
}

core::Expected<int> lockDir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return core::makeError("spool_io", "cannot create spool directory " + dir + ": " + ec.message());
  const std::string path = (std::filesystem::path(dir) / "lock").string();
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return ioError("cannot open " + path, errno);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int e = errno;
    char pid[32] = {};
    const ssize_t n = ::pread(fd, pid, sizeof pid - 1, 0);
    ::close(fd);
    if (e != EWOULDBLOCK) return ioError("cannot lock " + path, e);
    std::string holder = n > 0 ? std::string(pid, static_cast<std::size_t>(n)) : "";
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
    return core::makeError("spool_locked", "spool directory " + dir +
                                               " is in use by another process" +
                                               (holder.empty() ? "" : " (pid " + holder + ")"));
  }
  // For operators only: the lock is the flock, which dies with the process.
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || !writeAll(fd, pid.data(), pid.size())) {
    ::close(fd);
    return ioError("cannot write " + path, errno);
  }
  return fd;
}

std::optional<core::Error> replaceFile(const std::string& dir, const std::string& name,
                                       std::string_view text) {
  const std::string path = (std::filesystem::path(dir) / name).string();
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ioError("cannot write " + tmp, errno);
  const bool written = writeAll(fd, text.data(), text.size());
  const int e = errno;
  ::close(fd);
  if (!written) return ioError("cannot write " + tmp, e);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return ioError("cannot rename " + tmp, errno);
  return std::nullopt;
}

bool writeAll(int fd, const void* data, std::size_t n) {
  const auto* p = static_cast<const std::uint8_t*>(data);
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

}  // namespace p2pmon::agent::spool
