#include "collector/nagios_forwarder.hpp"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include "collector/command_format.hpp"
#include "core/log.hpp"

namespace p2pmon::collector {

namespace {
constexpr const char* kCursorName = "nagios_command_file";
constexpr std::size_t kBatch = 1000;
constexpr auto kRetry = std::chrono::milliseconds(500);
}  // namespace

NagiosForwarder::NagiosForwarder(std::string commandFile, std::string dbPath,
                                 StoreReader& reader, Stats& stats)
    : path_(std::move(commandFile)), dbPath_(std::move(dbPath)), reader_(reader), stats_(stats) {}

NagiosForwarder::~NagiosForwarder() {
  stop();
  closeFile();
}

void NagiosForwarder::start() {
  committed_ = reader_.maxResultId();
  // First use starts at the present: enabling forwarding does not replay the
  // whole history into Nagios. That starting point is stored at once: results
  // accepted before Nagios first reads the pipe must still be forwarded after a
  // restart, not skipped as "history".
  auto stored = reader_.cursor(kCursorName);
  cursor_ = stored.value_or(committed_);
  if (!stored) {
    Database db(dbPath_, false);
    saveCursor(db, kCursorName, cursor_);
  }
  stats_.forwardLag = committed_ - cursor_;
  thread_ = std::thread([this] { run(); });
}

void NagiosForwarder::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void NagiosForwarder::notify(std::int64_t lastCommittedId) {
  {
    std::lock_guard lock(mutex_);
    committed_ = std::max(committed_, lastCommittedId);
  }
  wake_.notify_one();
}

void NagiosForwarder::closeFile() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  // A new reader must not see the end of a line it never saw begin; the
  // whole line is written again (the cursor did not pass it).
  tail_.clear();
}

bool NagiosForwarder::ensureOpen() {
  if (fd_ >= 0) return true;
  // O_NONBLOCK: opening a FIFO without a reader fails with ENXIO at once
  // instead of hanging; results then stay in the store until Nagios reads.
  fd_ = ::open(path_.c_str(), O_WRONLY | O_NONBLOCK | O_APPEND | O_CLOEXEC);
  if (fd_ >= 0) {
    if (!lastProblem_.empty()) core::logInfo("command file " + path_ + " is open again");
    lastProblem_.clear();
    return true;
  }
  std::string problem = std::strerror(errno);
  if (problem != lastProblem_) {
    core::logWarning("command file " + path_ + " not writable (" + problem +
                     "); results wait in the database");
    lastProblem_ = problem;
  }
  ++stats_.forwardWaits;
  return false;
}

// Writes from data[written..]; false when the reader went away or stalls.
bool NagiosForwarder::writeOut(const std::string& data, std::size_t& written) {
  while (written < data.size()) {
    ssize_t n = ::write(fd_, data.data() + written, data.size() - written);
    if (n > 0) {
      written += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd_, POLLOUT, 0};
      if (::poll(&p, 1, 1000) > 0 && (p.revents & POLLOUT) != 0) continue;
      return false;  // pipe full for a second: try again later
    }
    core::logWarning("writing to " + path_ + " failed: " + std::strerror(errno));
    closeFile();
    return false;
  }
  return true;
}

std::size_t NagiosForwarder::forwardSome() {
  std::size_t lines = 0;
  if (!tail_.empty()) {
    // Finish the line a full pipe cut short before anything else.
    std::size_t done = 0;
    if (writeOut(tail_, done)) {
      cursor_ = tailId_;
      tail_.clear();
      return 1;
    }
    if (fd_ >= 0) tail_.erase(0, done);
    return 0;
  }
  auto rows = reader_.resultsAfter(cursor_, kBatch);
  if (rows.empty()) {
    std::lock_guard lock(mutex_);
    committed_ = cursor_;  // pruned, or nothing left
    return 0;
  }
  // One write per line: a FIFO write of up to PIPE_BUF (4096) bytes is
  // atomic, so other writers of the command file (CGIs, nsca) cannot cut
  // into our lines; only longer lines can be split, and they resume below.
  for (const auto& row : rows) {
    std::string line = formatExternalCommand(row.result);
    std::size_t done = 0;
    if (!writeOut(line, done)) {
      if (fd_ >= 0 && done > 0) {
        tail_ = line.substr(done);
        tailId_ = row.id;
      }
      break;
    }
    cursor_ = row.id;
    ++lines;
  }
  return lines;
}

void NagiosForwarder::run() {
  Database cursorDb(dbPath_, false);
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (cursor_ >= committed_) {
      wake_.wait_for(lock, std::chrono::seconds(1));
      continue;
    }
    lock.unlock();
    std::size_t lines = 0;
    if (ensureOpen()) {
      try {
        lines = forwardSome();
        if (lines > 0) {
          saveCursor(cursorDb, kCursorName, cursor_);
          stats_.forwarded += lines;
        }
      } catch (const std::exception& e) {
        core::logError(std::string("forwarder: ") + e.what());
      }
    }
    lock.lock();
    stats_.forwardLag = committed_ - cursor_;
    if (lines == 0 && !stopping_) wake_.wait_for(lock, kRetry);
  }
}

}  // namespace p2pmon::collector
