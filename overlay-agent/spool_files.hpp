// The small files and names of a result spool directory (result_spool.hpp):
// segment file names, the `cursor` line, the flock'ed `lock` file, and a
// file replaced atomically (temporary file, rename).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/expected.hpp"

namespace p2pmon::agent::spool {

// "<20-digit sequence>.seg", so that names sort as the sequence does.
std::string segmentName(std::uint64_t seq);
std::optional<std::uint64_t> segmentSeq(std::string_view name);

struct Cursor {
  std::uint64_t seq = 0;  // segment
  std::uint64_t offset = 0;
};

// "p2pmon-spool-cursor 1 <segment> <offset> <CRC-32 of what precedes, hex>\n"
std::string cursorText(const Cursor& c);
std::optional<Cursor> parseCursor(std::string_view text);

// Creates `dir` if needed and takes its lock file (flock, writing our pid
// into it); returns the descriptor that holds the lock until closed.
// Errors: "spool_locked" (naming the holder's pid), "spool_io".
core::Expected<int> lockDir(const std::string& dir);

// Writes `text` to `dir/name.tmp`, then renames it over `dir/name`.
std::optional<core::Error> replaceFile(const std::string& dir, const std::string& name,
                                       std::string_view text);

// write(2) until all is written (EINTR retried); false with errno set.
bool writeAll(int fd, const void* data, std::size_t n);
std::string errnoText(int e);

}  // namespace p2pmon::agent::spool
