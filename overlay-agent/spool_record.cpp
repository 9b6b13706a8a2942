#include "overlay-agent/spool_record.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <string>

#include "core/nsca_codec.hpp"

namespace p2pmon::agent::spool {

namespace {
// Payload: u8 layout version, u8 state, u64le bits of the time (IEEE 754
// double), then host, service, output, perfdata, source as u32le length +
// bytes.
constexpr std::uint8_t kLayout = 1;

void putU32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

void putU32At(std::vector<std::uint8_t>& out, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out[at + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v >> (8 * i));
}

std::uint32_t getU32(std::span<const std::uint8_t> b, std::size_t at) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | b[at + static_cast<std::size_t>(i)];
  return v;
}

void putText(std::vector<std::uint8_t>& out, const std::string& s) {
  putU32(out, static_cast<std::uint32_t>(s.size()));
  out.insert(out.end(), s.begin(), s.end());
}

class PayloadReader {
 public:
  explicit PayloadReader(std::span<const std::uint8_t> b) : b_(b) {}
  bool u8(std::uint8_t& v) {
    if (pos_ + 1 > b_.size()) return false;
    v = b_[pos_++];
    return true;
  }
  bool u64(std::uint64_t& v) {
    if (pos_ + 8 > b_.size()) return false;
    v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | b_[pos_ + static_cast<std::size_t>(i)];
    pos_ += 8;
    return true;
  }
  bool text(std::string& s) {
    if (pos_ + 4 > b_.size()) return false;
    const std::uint32_t n = getU32(b_, pos_);
    pos_ += 4;
    if (n > b_.size() - pos_) return false;
    s.assign(reinterpret_cast<const char*>(b_.data() + pos_), n);
    pos_ += n;
    return true;
  }
  bool done() const { return pos_ == b_.size(); }

 private:
  std::span<const std::uint8_t> b_;
  std::size_t pos_ = 0;
};
}  // namespace

std::size_t appendFrame(const core::CheckResult& r, std::vector<std::uint8_t>& out) {
  const std::size_t start = out.size();
  out.insert(out.end(), kMagic.begin(), kMagic.end());
  out.resize(start + kFrameHeaderSize);  // length and CRC, filled in below
  out.push_back(kLayout);
  out.push_back(static_cast<std::uint8_t>(r.state));
  const auto bits = std::bit_cast<std::uint64_t>(r.time);
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::uint8_t>(bits >> (8 * i)));
  for (const std::string* s : {&r.host, &r.service, &r.output, &r.perfdata, &r.source}) {
    putText(out, *s);
  }
  const std::size_t length = out.size() - start - kFrameHeaderSize;
  putU32At(out, start + 4, static_cast<std::uint32_t>(length));
  putU32At(out, start + 8,
           core::nsca::crc32(std::span(out).subspan(start + kFrameHeaderSize, length)));
  return out.size() - start;
}

Frame readFrame(std::span<const std::uint8_t> bytes) {
  Frame f;
  const std::size_t magicBytes = std::min(bytes.size(), kMagic.size());
  if (!std::equal(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(magicBytes),
                  kMagic.begin())) {
    return f;
  }
  if (bytes.size() < kFrameHeaderSize) {
    f.status = FrameStatus::Truncated;
    f.size = kFrameHeaderSize;
    return f;
  }
  const std::uint32_t length = getU32(bytes, 4);
  if (length > kMaxPayloadSize) return f;
  f.size = kFrameHeaderSize + length;
  if (bytes.size() < f.size) {
    f.status = FrameStatus::Truncated;
    return f;
  }
  auto payload = bytes.subspan(kFrameHeaderSize, length);
  if (core::nsca::crc32(payload) != getU32(bytes, 8)) {
    f.size = 0;
    return f;
  }
  f.status = FrameStatus::Ok;
  f.payload = payload;
  return f;
}

std::size_t findFrame(std::span<const std::uint8_t> bytes, std::size_t from) {
  for (std::size_t i = from; i < bytes.size(); ++i) {
    if (bytes[i] != kMagic[0]) continue;
    if (readFrame(bytes.subspan(i)).status == FrameStatus::Ok) return i;
  }
  return bytes.size();
}

core::Expected<core::CheckResult> decodePayload(std::span<const std::uint8_t> payload) {
  PayloadReader in(payload);
  core::CheckResult r;
  std::uint8_t layout = 0;
  std::uint8_t state = 0;
  std::uint64_t bits = 0;
  bool ok = in.u8(layout) && layout == kLayout && in.u8(state) && state <= 3 && in.u64(bits);
  for (std::string* s : {&r.host, &r.service, &r.output, &r.perfdata, &r.source}) {
    ok = ok && in.text(*s);
  }
  if (!ok || !in.done()) {
    return core::makeError("bad_record", "spool record does not hold a check result");
  }
  r.state = static_cast<core::State>(state);
  r.time = std::bit_cast<double>(bits);
  return r;
}

}  // namespace p2pmon::agent::spool
