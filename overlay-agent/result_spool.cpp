#include "overlay-agent/result_spool.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "core/log.hpp"
#include "overlay-agent/spool_files.hpp"
#include "overlay-agent/spool_record.hpp"

// Durability: frames go to the segment with write(2) and no fsync. Once
// write(2) returns the bytes belong to the kernel's page cache, so they
// survive the agent being killed at any point (SIGKILL, a crash); only an OS
// crash or power loss can lose the last seconds. An fsync per submit would
// cost milliseconds on a busy disk for every probe round, to protect
// monitoring samples that are measured again a minute later. The cursor is
// renamed into place likewise without fsync: after an OS crash it can only
// be older (results are sent again; the collector drops exact duplicates) or
// unreadable (the spool is read again from its oldest segment): never ahead
// of what was sent.

namespace p2pmon::agent {

namespace fs = std::filesystem;

namespace {
constexpr std::uint64_t kReadChunk = 256 * 1024;
constexpr const char* kCursorName = "cursor";

using spool::errnoText;

core::Error ioError(const std::string& what, int e) {
  return core::makeError("spool_io", what + ": " + errnoText(e));
}

void closeFd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}
}  // namespace

ResultSpool::ResultSpool(SpoolOptions options) : options_(std::move(options)) {
  if (options_.segmentBytes == 0) {
    options_.segmentBytes =
        std::clamp<std::uint64_t>(options_.maxBytes / 16, 64 * 1024, 4 * 1024 * 1024);
  }
}

ResultSpool::~ResultSpool() {
  closeReader();
  closeFd(tailFd_);
  closeFd(lockFd_);  // releases the flock
}

core::Expected<std::unique_ptr<ResultSpool>> ResultSpool::open(const SpoolOptions& options) {
  std::unique_ptr<ResultSpool> spool(new ResultSpool(options));
  if (options.dir.empty()) {
    spool->memory_ = true;
    return spool;
  }
  if (auto err = spool->openDir()) return *err;
  return spool;
}

std::string ResultSpool::path(const std::string& name) const {
  return (fs::path(options_.dir) / name).string();
}

std::string ResultSpool::segmentPath(std::uint64_t seq) const {
  return path(spool::segmentName(seq));
}

std::optional<core::Error> ResultSpool::openDir() {
  const std::string& dir = options_.dir;
  auto lock = spool::lockDir(dir);
  if (!lock) return lock.error();
  lockFd_ = *lock;
  std::error_code ec;
  std::vector<std::uint64_t> seqs;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (auto seq = spool::segmentSeq(entry.path().filename().string())) seqs.push_back(*seq);
  }
  if (ec) return core::makeError("spool_io", "cannot list " + dir + ": " + ec.message());
  std::sort(seqs.begin(), seqs.end());

  std::optional<spool::Cursor> cursor;
  if (fs::exists(path(kCursorName), ec)) {
    std::ifstream in(path(kCursorName), std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    cursor = spool::parseCursor(text);
    if (!cursor) {
      // Sending again beats losing results (the collector drops exact duplicates).
      core::logWarning("spool: " + path(kCursorName) +
                       " is unreadable; reading the spool again from its oldest segment");
    }
  }
  for (std::uint64_t seq : seqs) {
    const auto size = fs::file_size(segmentPath(seq), ec);
    if (ec) return core::makeError("spool_io", "cannot read " + segmentPath(seq) + ": " + ec.message());
    if (cursor && seq < cursor->seq) {
      fs::remove(segmentPath(seq), ec);  // acknowledged; left by a stop between cursor and unlink
      continue;
    }
    segments_.push_back({seq, size});
  }
  if (segments_.empty()) segments_.push_back({cursor ? cursor->seq + 1 : 1, 0});
  head_ = {segments_.front().seq, 0};
  if (cursor && cursor->seq == head_.seq) head_.offset = std::min(cursor->offset, segments_.front().size);
  scan();
  tailFd_ = ::open(segmentPath(segments_.back().seq).c_str(),
                   O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (tailFd_ < 0) return ioError("cannot open " + segmentPath(segments_.back().seq), errno);
  if (records_ > 0) {
    core::logInfo("spool " + dir + ": " + std::to_string(records_) + " results (" +
                  std::to_string(bytes_) + " bytes) waiting from before");
  }
  return std::nullopt;
}

// Counts what is queued from the head on, and cuts a torn frame at the end
// of the newest segment: a stretch there with no good frame after it is what
// an agent killed in the middle of a write(2) leaves.
void ResultSpool::scan() {
  records_ = 0;
  bytes_ = 0;
  Position pos = head_;
  while (auto item = next(pos, false)) {
    bytes_ += item->bytes;
    if (!item->corrupt) {
      ++records_;
      continue;
    }
    Segment& last = segments_.back();
    if (item->end.seq != last.seq || item->end.offset != last.size) continue;
    const std::uint64_t start = last.size - item->bytes;
    if (::truncate(segmentPath(last.seq).c_str(), static_cast<off_t>(start)) != 0) {
      core::logWarning("spool: cannot truncate " + segmentPath(last.seq) + ": " + errnoText(errno));
      continue;
    }
    core::logWarning("spool: cut a torn record of " + std::to_string(item->bytes) +
                     " bytes from the end of " + segmentPath(last.seq) +
                     " (the agent stopped while writing it)");
    counters_.truncatedBytes += item->bytes;
    bytes_ -= item->bytes;
    last.size = start;
    closeReader();
    break;
  }
}

void ResultSpool::closeReader() {
  closeFd(reader_.fd);
  reader_.buf.clear();
  reader_.start = 0;
}

std::size_t ResultSpool::segmentIndex(std::uint64_t seq) const {
  for (std::size_t i = 0; i < segments_.size(); ++i) {
    if (segments_[i].seq == seq) return i;
  }
  return segments_.size();
}

// Bytes [offset, offset + n) of a segment, fewer at its end or on a read
// error; served from the reader's window when it holds them.
std::span<const std::uint8_t> ResultSpool::window(const Segment& seg, std::uint64_t offset,
                                                  std::uint64_t n) {
  const std::uint64_t want = std::min(n, seg.size - offset);
  if (reader_.fd >= 0 && reader_.seq == seg.seq && offset >= reader_.start &&
      offset + want <= reader_.start + reader_.buf.size()) {
    return std::span<const std::uint8_t>(reader_.buf).subspan(offset - reader_.start, want);
  }
  if (reader_.fd < 0 || reader_.seq != seg.seq) {
    closeReader();
    reader_.fd = ::open(segmentPath(seg.seq).c_str(), O_RDONLY | O_CLOEXEC);
    reader_.seq = seg.seq;
    if (reader_.fd < 0) {
      core::logWarning("spool: cannot read " + segmentPath(seg.seq) + ": " + errnoText(errno));
      return {};
    }
  }
  reader_.buf.resize(std::min(std::max(want, kReadChunk), seg.size - offset));
  reader_.start = offset;
  std::size_t got = 0;
  while (got < reader_.buf.size()) {
    const ssize_t r = ::pread(reader_.fd, reader_.buf.data() + got, reader_.buf.size() - got,
                              static_cast<off_t>(offset + got));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += static_cast<std::size_t>(r);
  }
  reader_.buf.resize(got);
  return std::span<const std::uint8_t>(reader_.buf).first(std::min<std::uint64_t>(want, got));
}

// The frame or corrupt stretch at `pos` (moving on to the next segment at
// the end of one), `pos` advanced past it; nothing at the end of the newest.
std::optional<ResultSpool::Item> ResultSpool::next(Position& pos, bool wantPayload) {
  while (true) {
    std::size_t i = segmentIndex(pos.seq);
    if (i == segments_.size()) {
      if (segments_.empty() || pos.seq > segments_.front().seq) return std::nullopt;
      pos = {segments_.front().seq, 0};
      continue;
    }
    const Segment& seg = segments_[i];
    if (pos.offset >= seg.size) {
      if (i + 1 == segments_.size()) return std::nullopt;
      pos = {segments_[i + 1].seq, 0};
      continue;
    }
    const std::uint64_t left = seg.size - pos.offset;
    auto bytes = window(seg, pos.offset, spool::kFrameHeaderSize);
    spool::Frame frame = spool::readFrame(bytes);
    if (frame.status == spool::FrameStatus::Truncated && frame.size <= left) {
      bytes = window(seg, pos.offset, frame.size);
      frame = spool::readFrame(bytes);
    }
    Item item;
    if (frame.status == spool::FrameStatus::Ok) {
      item.bytes = frame.size;
      if (wantPayload) item.payload.assign(frame.payload.begin(), frame.payload.end());
    } else {
      item.corrupt = true;
      bytes = window(seg, pos.offset, left);
      item.bytes = spool::findFrame(bytes, 1);
      if (item.bytes >= bytes.size()) item.bytes = left;  // no good frame (or unreadable) after it
    }
    pos.offset += item.bytes;
    item.end = pos;
    return item;
  }
}

void ResultSpool::noteCorrupt(Position end, std::uint64_t bytes, const char* what) {
  ++counters_.corrupt;
  core::logWarning("spool: skipped " + std::string(what) + " of " + std::to_string(bytes) +
                   " bytes ending at offset " + std::to_string(end.offset) + " of " +
                   segmentPath(end.seq));
}

void ResultSpool::noteDropped(std::uint64_t n) {
  counters_.droppedFull += n;
  episodeDropped_ += n;
  if (dropping_) return;
  dropping_ = true;
  core::logWarning("spool " + (memory_ ? std::string("in memory") : options_.dir) +
                   " is full (" + std::to_string(options_.maxBytes) +
                   " bytes): dropping the oldest results until the far end takes them again");
}

ResultSpool::Removed ResultSpool::removeHead() {
  if (memory_) {
    if (memoryRecords_.empty()) return Removed::Nothing;
    bytes_ -= std::min<std::uint64_t>(bytes_, spool::kFrameHeaderSize + memoryRecords_.front().size());
    memoryRecords_.pop_front();
    --records_;
    ++removed_;
    return Removed::Record;
  }
  Position pos = head_;
  auto item = next(pos, false);
  if (!item) {
    if (records_ != 0 || bytes_ != 0) {
      core::logWarning("spool: its files end before the results counted in it; counting none");
    }
    records_ = 0;
    bytes_ = 0;
    return Removed::Nothing;
  }
  head_ = pos;
  headDirty_ = true;
  bytes_ -= std::min(bytes_, item->bytes);
  if (item->corrupt) {
    noteCorrupt(item->end, item->bytes, "a corrupt stretch");
    return Removed::Stretch;
  }
  if (records_ > 0) --records_;
  ++removed_;
  return Removed::Record;
}

// Persists head_ (cursor file), then deletes the segments behind it. When the
// cursor cannot be written, nothing is deleted: a restart sends again rather
// than loses.
void ResultSpool::commitHead() {
  if (memory_ || !headDirty_) return;
  std::size_t i = segmentIndex(head_.seq);
  while (i + 1 < segments_.size() && head_.offset >= segments_[i].size) {
    head_ = {segments_[++i].seq, 0};
  }
  if (auto err = spool::replaceFile(options_.dir, kCursorName,
                                    spool::cursorText({head_.seq, head_.offset}))) {
    if (!cursorFailing_) core::logWarning("spool: " + err->message);
    cursorFailing_ = true;
    return;
  }
  cursorFailing_ = false;
  headDirty_ = false;
  while (segments_.size() > 1 && segments_.front().seq < head_.seq) {
    if (reader_.seq == segments_.front().seq) closeReader();
    if (::unlink(segmentPath(segments_.front().seq).c_str()) != 0 && errno != ENOENT) {
      core::logWarning("spool: cannot delete " + segmentPath(segments_.front().seq) + ": " +
                       errnoText(errno));
    }
    segments_.pop_front();
  }
}

std::optional<core::Error> ResultSpool::append(std::span<const core::CheckResult> results) {
  if (results.empty()) return std::nullopt;
  std::vector<std::uint8_t> frames;
  std::vector<std::size_t> sizes;
  sizes.reserve(results.size());
  for (const auto& r : results) sizes.push_back(spool::appendFrame(r, frames));
  // A batch over the bound on its own keeps its newest results.
  std::size_t skip = 0;
  std::uint64_t skipBytes = 0;
  while (frames.size() - skipBytes > options_.maxBytes && skip < sizes.size()) {
    skipBytes += sizes[skip++];
  }
  if (skip > 0) noteDropped(skip);
  const std::uint64_t need = frames.size() - skipBytes;
  std::uint64_t evicted = 0;
  while (bytes_ + need > options_.maxBytes) {
    const Removed what = removeHead();
    if (what == Removed::Nothing) break;
    if (what == Removed::Record) ++evicted;
  }
  if (evicted > 0) noteDropped(evicted);
  if (memory_) {
    std::size_t offset = skipBytes;
    for (std::size_t i = skip; i < sizes.size(); offset += sizes[i++]) {
      memoryRecords_.emplace_back(frames.begin() + static_cast<std::ptrdiff_t>(offset + spool::kFrameHeaderSize),
                                  frames.begin() + static_cast<std::ptrdiff_t>(offset + sizes[i]));
    }
  } else {
    commitHead();
    if (auto err = writeFrames(std::span(frames).subspan(skipBytes))) return err;
  }
  records_ += sizes.size() - skip;
  bytes_ += need;
  return std::nullopt;
}

std::optional<core::Error> ResultSpool::writeFrames(std::span<const std::uint8_t> frames) {
  if (frames.empty()) return std::nullopt;
  if (segments_.back().size >= options_.segmentBytes) {
    const std::uint64_t seq = segments_.back().seq + 1;
    const int fd = ::open(segmentPath(seq).c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return ioError("cannot create " + segmentPath(seq), errno);
    closeFd(tailFd_);
    tailFd_ = fd;
    segments_.push_back({seq, 0});
    headDirty_ = true;  // a head at the end of the old segment moves on, and the old one goes
    commitHead();
  }
  Segment& tail = segments_.back();
  if (!spool::writeAll(tailFd_, frames.data(), frames.size())) {
    const int e = errno;
    // No torn frame may stay behind the good ones.
    if (::ftruncate(tailFd_, static_cast<off_t>(tail.size)) != 0) {
      core::logWarning("spool: cannot truncate " + segmentPath(tail.seq) + ": " + errnoText(errno));
    }
    return ioError("cannot write " + segmentPath(tail.seq), e);
  }
  tail.size += frames.size();
  return std::nullopt;
}

std::vector<core::CheckResult> ResultSpool::peek(std::size_t max) {
  std::vector<core::CheckResult> out;
  if (memory_) {
    while (out.size() < max && out.size() < memoryRecords_.size()) {
      auto r = spool::decodePayload(memoryRecords_[out.size()]);
      if (r) {
        out.push_back(std::move(r).value());
        continue;
      }
      if (!out.empty()) break;
      removeHead();
      ++counters_.corrupt;
    }
  } else {
    Position pos = head_;
    while (out.size() < max) {
      auto item = next(pos, true);
      if (!item) {
        if (out.empty() && records_ > 0) removeHead();  // counted more than there is: recounts
        break;
      }
      if (!item->corrupt) {
        auto r = spool::decodePayload(item->payload);
        if (r) {
          out.push_back(std::move(r).value());
          continue;
        }
      }
      // A bad record is dropped once it is at the head, so that it is
      // counted once and the results before it still go out now.
      if (!out.empty()) break;
      if (removeHead() == Removed::Record) {
        ++counters_.corrupt;
        core::logWarning("spool: skipped an undecodable record in " + segmentPath(item->end.seq));
      }
      pos = head_;
    }
    commitHead();
  }
  peekFirst_ = removed_;
  peekCount_ = out.size();
  return out;
}

void ResultSpool::ack(std::size_t n) {
  n = std::min(n, peekCount_);
  const std::uint64_t target = peekFirst_ + n;
  peekFirst_ += n;
  peekCount_ -= n;
  // Results the bound dropped since peek() are gone already.
  while (removed_ < target) {
    if (removeHead() == Removed::Nothing) break;
  }
  if (dropping_ && bytes_ <= options_.maxBytes / 4 * 3) {
    core::logInfo("spool below its bound again; " + std::to_string(episodeDropped_) +
                  " results were dropped while it was full");
    dropping_ = false;
    episodeDropped_ = 0;
  }
  commitHead();
}

}  // namespace p2pmon::agent
