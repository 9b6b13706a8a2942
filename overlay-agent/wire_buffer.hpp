// Big-endian writing and bounds-checked reading of overlay datagrams, used
// by wire_codec.cpp only. The reader never reads past its span: a failed
// read leaves zeros, marks the reader failed and every later read fails too,
// so a parser can read a whole structure and check ok() once.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace p2pmon::overlay {

class WireWriter {
 public:
  // One allocation for the usual datagram instead of a doubling series.
  explicit WireWriter(std::size_t reserve = 0) { out_.reserve(reserve); }
  void u8(std::uint8_t v) { out_.push_back(v); }
  void u16(std::uint16_t v) { put(v, 2); }
  void u32(std::uint32_t v) { put(v, 4); }
  void u64(std::uint64_t v) { put(v, 8); }
  void bytes(std::span<const std::uint8_t> b) { out_.insert(out_.end(), b.begin(), b.end()); }
  // A string is a u16 length and the bytes, a list count a u8. The caller
  // keeps within the bounds; a length or count that does not fit its field is
  // written as the field's maximum, which is above every bound, so decode()
  // rejects the message instead of reading a wrapped-around length.
  void str(const std::string& s) {
    u16(static_cast<std::uint16_t>(std::min<std::size_t>(s.size(), 0xffff)));
    out_.insert(out_.end(), s.begin(), s.end());
  }
  void count(std::size_t n) { u8(static_cast<std::uint8_t>(std::min<std::size_t>(n, 0xff))); }
  void patch16(std::size_t at, std::uint16_t v) {
    out_[at] = static_cast<std::uint8_t>(v >> 8);
    out_[at + 1] = static_cast<std::uint8_t>(v);
  }
  std::size_t size() const { return out_.size(); }
  std::vector<std::uint8_t> take() { return std::move(out_); }

 private:
  void put(std::uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i) out_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  std::vector<std::uint8_t> out_;
};

class WireReader {
 public:
  explicit WireReader(std::span<const std::uint8_t> in) : in_(in) {}

  std::uint8_t u8() { return static_cast<std::uint8_t>(get(1)); }
  std::uint16_t u16() { return static_cast<std::uint16_t>(get(2)); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(get(4)); }
  std::uint64_t u64() { return get(8); }
  void bytes(std::span<std::uint8_t> out) {
    if (!need(out.size())) return;
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = in_[pos_ + i];
    pos_ += out.size();
  }
  // The length is checked against `maxLen` and what is left before anything
  // is allocated, so a lying length costs nothing.
  std::string str(std::size_t maxLen) {
    const std::size_t len = u16();
    if (len > maxLen) fail("string longer than its bound");
    if (!need(len)) return {};
    std::string s(reinterpret_cast<const char*>(in_.data() + pos_), len);
    pos_ += len;
    return s;
  }
  // A u8 count, checked against `maxCount` (the caller then reads that many
  // items, each of which is again bounds-checked).
  std::size_t count(std::size_t maxCount) {
    const std::size_t n = u8();
    if (n > maxCount) fail("list longer than its bound");
    return ok() ? n : 0;
  }

  void fail(const char* why) {
    if (why_ == nullptr) why_ = why;
  }
  bool ok() const { return why_ == nullptr; }
  const char* why() const { return why_ == nullptr ? "" : why_; }
  std::size_t remaining() const { return in_.size() - pos_; }

 private:
  bool need(std::size_t n) {
    if (!ok()) return false;
    if (n > remaining()) {
      fail("field runs past the end of the body");
      return false;
    }
    return true;
  }
  std::uint64_t get(std::size_t n) {
    if (!need(n)) return 0;
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v = (v << 8) | in_[pos_ + i];
    pos_ += n;
    return v;
  }

  std::span<const std::uint8_t> in_;
  std::size_t pos_ = 0;
  const char* why_ = nullptr;
};

}  // namespace p2pmon::overlay
