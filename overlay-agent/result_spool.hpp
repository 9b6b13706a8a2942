// ResultSpool: the embedded agent's durable FIFO of check results, in a
// directory of its own or, without one, in memory. Not thread-safe: the
// caller serialises (ResultPusher holds a mutex around every call).
//
// On disk: segment files `<20-digit sequence>.seg` of frames
// (spool_record.hpp), appended to with write(2) and never rewritten; a
// `cursor` file naming the first unacknowledged frame (segment, offset),
// replaced atomically (write a temporary file, rename); segments behind the
// cursor are deleted. A `lock` file held with flock() keeps a second process
// out. Opening truncates a torn frame at the end of the newest segment (the
// process died while writing it) and skips corrupt stretches elsewhere,
// logged and counted, finding the next good frame by its magic and CRC.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/check_result.hpp"
#include "core/expected.hpp"

namespace p2pmon::agent {

struct SpoolOptions {
  std::string dir;                       // empty: in memory only (lost at exit)
  std::uint64_t maxBytes = 64ull << 20;  // bound on the queued frames' bytes
  // A new segment is begun once the newest one holds this many bytes; 0:
  // maxBytes / 16 within [64 KiB, 4 MiB]. The files hold at most maxBytes
  // plus one segment (the acknowledged start of the oldest one).
  std::uint64_t segmentBytes = 0;
};

struct SpoolCounters {
  std::uint64_t droppedFull = 0;     // oldest results dropped to stay within maxBytes
  std::uint64_t corrupt = 0;         // corrupt stretches or undecodable records skipped
  std::uint64_t truncatedBytes = 0;  // torn frame cut from the end at open
};

class ResultSpool {
 public:
  // Creates the directory if needed. Errors: "spool_locked" (another process
  // holds it), "spool_io" (cannot create, read or lock it).
  static core::Expected<std::unique_ptr<ResultSpool>> open(const SpoolOptions& options);
  ~ResultSpool();
  ResultSpool(const ResultSpool&) = delete;
  ResultSpool& operator=(const ResultSpool&) = delete;

  // Queues `results` after everything queued, dropping the oldest results
  // when the bound would be exceeded (a batch bigger than the bound keeps
  // its newest). On disk the frames are written (write(2)) before it
  // returns, so they survive the process being killed. Error "spool_io"
  // when the write failed: none of `results` was queued.
  std::optional<core::Error> append(std::span<const core::CheckResult> results);

  // Up to `max` of the oldest results, oldest first, left in the spool.
  // Corrupt records met at the head are dropped (logged, counted).
  std::vector<core::CheckResult> peek(std::size_t max);

  // Removes the first `n` results the last peek() returned (fewer when the
  // bound dropped some of them since). Persisted before it returns.
  void ack(std::size_t n);

  std::uint64_t size() const { return records_; }  // results queued
  std::uint64_t bytes() const { return bytes_; }   // their frames' bytes
  const SpoolCounters& counters() const { return counters_; }
  bool persistent() const { return !memory_; }
  const std::string& dir() const { return options_.dir; }

 private:
  struct Position {
    std::uint64_t seq = 0;  // segment
    std::uint64_t offset = 0;
  };
  struct Segment {
    std::uint64_t seq = 0;
    std::uint64_t size = 0;
  };
  struct Item {
    bool corrupt = false;  // a stretch of bytes that is no frame
    std::vector<std::uint8_t> payload;
    Position end;
    std::uint64_t bytes = 0;
  };
  // A window of one segment file's bytes.
  struct Reader {
    std::uint64_t seq = 0;
    int fd = -1;
    std::uint64_t start = 0;
    std::vector<std::uint8_t> buf;
  };

  enum class Removed { Nothing, Record, Stretch };

  explicit ResultSpool(SpoolOptions options);
  std::optional<core::Error> openDir();
  void scan();
  std::optional<Item> next(Position& pos, bool wantPayload);
  std::span<const std::uint8_t> window(const Segment& seg, std::uint64_t offset, std::uint64_t n);
  std::size_t segmentIndex(std::uint64_t seq) const;
  Removed removeHead();
  void noteCorrupt(Position end, std::uint64_t bytes, const char* what);
  void noteDropped(std::uint64_t n);
  void commitHead();
  std::optional<core::Error> writeFrames(std::span<const std::uint8_t> frames);
  std::string path(const std::string& name) const;
  std::string segmentPath(std::uint64_t seq) const;
  void closeReader();

  SpoolOptions options_;
  bool memory_ = false;
  std::uint64_t records_ = 0;
  std::uint64_t bytes_ = 0;
  std::uint64_t removed_ = 0;  // results ever removed from the head
  std::uint64_t peekFirst_ = 0;
  std::size_t peekCount_ = 0;
  bool dropping_ = false;  // in a full episode (logged once)
  std::uint64_t episodeDropped_ = 0;
  bool cursorFailing_ = false;  // the cursor could not be written (logged once)
  SpoolCounters counters_;
  // In memory: the frames' payloads.
  std::deque<std::vector<std::uint8_t>> memoryRecords_;
  // On disk.
  int lockFd_ = -1;
  int tailFd_ = -1;
  std::deque<Segment> segments_;  // oldest first; the last one is appended to
  Position head_;
  bool headDirty_ = false;  // head_ moved since the cursor was written
  Reader reader_;
};

}  // namespace p2pmon::agent
