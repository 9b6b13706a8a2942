#include "overlay-agent/wire_codec.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "overlay-agent/wire_buffer.hpp"

namespace p2pmon::overlay {

namespace {

// Header offsets (docs/protocol.md §2).
constexpr std::size_t kVersionOffset = 4;
constexpr std::size_t kOverlayOffset = 8;
constexpr std::size_t kCodeOffset = 20;
constexpr std::size_t kLengthOffset = 22;
// Node-ID, family and IPv4 address, port: the smallest PeerRef on the wire.
constexpr std::size_t kMinPeerRefSize = 16 + 1 + 4 + 2;
// Room for the header and the routing messages (a FindAns with its
// successors) at once; larger bodies grow the buffer as they go.
constexpr std::size_t kEncodeReserve = kHeaderSize + 160;

// ---- encoding ------------------------------------------------------------

void put(WireWriter& w, const NodeId& id) {
  w.u64(id.hi);
  w.u64(id.lo);
}

// Only the address bytes of the family go out: 4 for IPv4, 16 for IPv6.
void put(WireWriter& w, const Endpoint& e) {
  w.u8(e.family);
  w.bytes(std::span(e.addr).first(e.family == 6 ? 16 : 4));
  w.u16(e.port);
}

void put(WireWriter& w, const PeerRef& p) {
  put(w, p.id);
  put(w, p.endpoint);
}

void put(WireWriter& w, const std::vector<PeerRef>& list) {
  w.count(list.size());
  for (const auto& p : list) put(w, p);
}

void put(WireWriter& w, const Entry& e) {
  w.u64(e.storageTime);
  w.u32(e.lifetime);
  w.u8(e.exists ? 1 : 0);
  w.str(e.key);
  w.count(e.values.size());
  for (const auto& v : e.values) w.str(v);
}

void put(WireWriter& w, const Record& rec) {
  w.u8(static_cast<std::uint8_t>(rec.kind));
  w.str(rec.name);
  w.count(rec.entries.size());
  for (const auto& e : rec.entries) put(w, e);
}

void put(WireWriter& w, const std::vector<Record>& records) {
  w.count(records.size());
  for (const auto& rec : records) put(w, rec);
}

void putNeighbours(WireWriter& w, const std::vector<PeerRef>& predecessors,
                   const std::vector<PeerRef>& successors) {
  put(w, predecessors);
  put(w, successors);
}

void putBody(WireWriter&, const PingReq&) {}
void putBody(WireWriter& w, const PingAns& b) {
  w.u32(b.uptime);
}
void putBody(WireWriter& w, const FindReq& b) {
  put(w, b.target);
}
void putBody(WireWriter& w, const FindAns& b) {
  w.u8(b.done ? 1 : 0);
  put(w, b.peer);
  put(w, b.successors);
}
void putBody(WireWriter&, const JoinReq&) {}
void putBody(WireWriter& w, const JoinAns& b) {
  putNeighbours(w, b.predecessors, b.successors);
}
void putBody(WireWriter& w, const UpdateReq& b) {
  putNeighbours(w, b.predecessors, b.successors);
}
void putBody(WireWriter& w, const UpdateAns& b) {
  putNeighbours(w, b.predecessors, b.successors);
}
void putBody(WireWriter& w, const LeaveReq& b) {
  putNeighbours(w, b.predecessors, b.successors);
}
void putBody(WireWriter&, const LeaveAns&) {}
void putBody(WireWriter& w, const StoreReq& b) {
  w.u8(b.replica);
  put(w, b.records);
}
void putBody(WireWriter& w, const StoreAns& b) {
  w.u32(b.stored);
}
void putBody(WireWriter& w, const FetchReq& b) {
  put(w, b.resource);
  w.u8(static_cast<std::uint8_t>(b.kind));
}
void putBody(WireWriter& w, const FetchAns& b) {
  put(w, b.records);
}
void putBody(WireWriter& w, const DiagReq& b) {
  w.u64(b.flags);
}
void putBody(WireWriter& w, const DiagAns& b) {
  w.u32(b.uptime);
  w.u32(b.routingTableSize);
  w.u32(b.recordsStored);
  w.u64(b.bytesStored);
  w.u16(b.sipPort);
  w.u16(b.stunPort);
  w.u16(b.rtpPort);
  put(w, b.self);
  w.str(b.softwareVersion);
  put(w, b.successors);
  put(w, b.predecessors);
  put(w, b.fingers);
  w.count(b.counters.size());
  for (const auto& c : b.counters) {
    w.u16(c.code);
    w.u64(c.sent);
    w.u64(c.received);
  }
  if (!b.storedKeys.empty()) {
    w.count(b.storedKeys.size());
    for (const auto& k : b.storedKeys) {
      put(w, k.resource);
      w.u8(static_cast<std::uint8_t>(k.kind));
    }
  }
}
void putBody(WireWriter& w, const PathTrackReq& b) {
  put(w, b.target);
}
void putBody(WireWriter& w, const PathTrackAns& b) {
  putBody(w, b.step);
  putBody(w, b.diag);
}
void putBody(WireWriter& w, const ErrorAns& b) {
  w.u16(static_cast<std::uint16_t>(b.code));
  w.str(b.text);
}

// ---- decoding ------------------------------------------------------------
// Each reader fills its value as far as the bytes allow; the caller checks
// r.ok() once at the end. Loops stop at the first failure.

void get(WireReader& r, NodeId& id) {
  id.hi = r.u64();
  id.lo = r.u64();
}

void get(WireReader& r, Endpoint& e) {
  e.family = r.u8();
  if (e.family == 4) {
    r.bytes(std::span(e.addr).first(4));
  } else if (e.family == 6) {
    r.bytes(e.addr);
  } else {
    r.fail("endpoint family is neither 4 nor 6");
    return;
  }
  e.port = r.u16();
}

void get(WireReader& r, PeerRef& p) {
  get(r, p.id);
  get(r, p.endpoint);
}

bool getBool(WireReader& r) {
  const std::uint8_t v = r.u8();
  if (v > 1) r.fail("boolean is neither 0 nor 1");
  return v == 1;
}

void get(WireReader& r, std::vector<PeerRef>& list) {
  const std::size_t n = r.count(kMaxPeerList);
  list.reserve(list.size() + std::min(n, r.remaining() / kMinPeerRefSize));
  for (std::size_t i = 0; i < n && r.ok(); ++i) get(r, list.emplace_back());
}

RecordKind getKind(WireReader& r) {
  const std::uint8_t v = r.u8();
  if (v != static_cast<std::uint8_t>(RecordKind::UserLocation) &&
      v != static_cast<std::uint8_t>(RecordKind::ProxyLocation)) {
    r.fail("unknown record kind");
    return RecordKind::UserLocation;
  }
  return static_cast<RecordKind>(v);
}

void get(WireReader& r, Entry& e) {
  e.storageTime = r.u64();
  e.lifetime = r.u32();
  e.exists = getBool(r);
  e.key = r.str(kMaxText);
  const std::size_t n = r.count(kMaxValues);
  for (std::size_t i = 0; i < n && r.ok(); ++i) e.values.push_back(r.str(kMaxText));
}

void get(WireReader& r, Record& rec) {
  rec.kind = getKind(r);
  rec.name = r.str(kMaxText);
  const std::size_t n = r.count(kMaxEntries);
  for (std::size_t i = 0; i < n && r.ok(); ++i) get(r, rec.entries.emplace_back());
}

void get(WireReader& r, std::vector<Record>& records) {
  const std::size_t n = r.count(kMaxRecords);
  for (std::size_t i = 0; i < n && r.ok(); ++i) get(r, records.emplace_back());
}

void getNeighbours(WireReader& r, std::vector<PeerRef>& predecessors,
                   std::vector<PeerRef>& successors) {
  get(r, predecessors);
  get(r, successors);
}

bool knownErrorCode(std::uint16_t v) {
  switch (static_cast<ErrorCode>(v)) {
    case ErrorCode::Forbidden:
    case ErrorCode::NotFound:
    case ErrorCode::DataTooLarge:
    case ErrorCode::TtlExceeded:
    case ErrorCode::MessageTooLarge:
    case ErrorCode::UnknownKind:
    case ErrorCode::LoopDetected:
    case ErrorCode::Internal:
      return true;
  }
  return false;
}

void getBody(WireReader&, PingReq&) {}
void getBody(WireReader& r, PingAns& b) {
  b.uptime = r.u32();
}
void getBody(WireReader& r, FindReq& b) {
  get(r, b.target);
}
void getBody(WireReader& r, FindAns& b) {
  b.done = getBool(r);
  get(r, b.peer);
  get(r, b.successors);
}
void getBody(WireReader&, JoinReq&) {}
void getBody(WireReader& r, JoinAns& b) {
  getNeighbours(r, b.predecessors, b.successors);
}
void getBody(WireReader& r, UpdateReq& b) {
  getNeighbours(r, b.predecessors, b.successors);
}
void getBody(WireReader& r, UpdateAns& b) {
  getNeighbours(r, b.predecessors, b.successors);
}
void getBody(WireReader& r, LeaveReq& b) {
  getNeighbours(r, b.predecessors, b.successors);
}
void getBody(WireReader&, LeaveAns&) {}
void getBody(WireReader& r, StoreReq& b) {
  b.replica = r.u8();
  get(r, b.records);
}
void getBody(WireReader& r, StoreAns& b) {
  b.stored = r.u32();
}
void getBody(WireReader& r, FetchReq& b) {
  get(r, b.resource);
  b.kind = getKind(r);
}
void getBody(WireReader& r, FetchAns& b) {
  get(r, b.records);
}
void getBody(WireReader& r, DiagReq& b) {
  b.flags = r.u64();
}
void getBody(WireReader& r, DiagAns& b) {
  b.uptime = r.u32();
  b.routingTableSize = r.u32();
  b.recordsStored = r.u32();
  b.bytesStored = r.u64();
  b.sipPort = r.u16();
  b.stunPort = r.u16();
  b.rtpPort = r.u16();
  get(r, b.self);
  b.softwareVersion = r.str(kMaxText);
  get(r, b.successors);
  get(r, b.predecessors);
  get(r, b.fingers);
  const std::size_t n = r.count(kMaxCounters);
  for (std::size_t i = 0; i < n && r.ok(); ++i) {
    auto& c = b.counters.emplace_back();
    c.code = r.u16();
    c.sent = r.u64();
    c.received = r.u64();
  }
  if (r.ok() && r.remaining() > 0) {
    // Sent only when not empty: a zero count is bytes after the body.
    const std::size_t keys = r.count(kMaxStoredKeys);
    if (r.ok() && keys == 0) r.fail("bytes after the body");
    for (std::size_t i = 0; i < keys && r.ok(); ++i) {
      auto& k = b.storedKeys.emplace_back();
      get(r, k.resource);
      k.kind = getKind(r);
    }
  }
}
void getBody(WireReader& r, PathTrackReq& b) {
  get(r, b.target);
}
void getBody(WireReader& r, PathTrackAns& b) {
  getBody(r, b.step);
  getBody(r, b.diag);
}
void getBody(WireReader& r, ErrorAns& b) {
  const std::uint16_t code = r.u16();
  if (r.ok() && !knownErrorCode(code)) r.fail("unknown error code");
  b.code = static_cast<ErrorCode>(code);
  b.text = r.str(kMaxText);
}

template <class T>
Body read(WireReader& r) {
  T body;
  getBody(r, body);
  return body;
}

// The body alternative for a code; nullopt for a code this version does not know.
std::optional<Body> readBody(MessageCode code, WireReader& r) {
  switch (code) {
    case MessageCode::PingReq:
      return read<PingReq>(r);
    case MessageCode::PingAns:
      return read<PingAns>(r);
    case MessageCode::FindReq:
      return read<FindReq>(r);
    case MessageCode::FindAns:
      return read<FindAns>(r);
    case MessageCode::JoinReq:
      return read<JoinReq>(r);
    case MessageCode::JoinAns:
      return read<JoinAns>(r);
    case MessageCode::UpdateReq:
      return read<UpdateReq>(r);
    case MessageCode::UpdateAns:
      return read<UpdateAns>(r);
    case MessageCode::LeaveReq:
      return read<LeaveReq>(r);
    case MessageCode::LeaveAns:
      return read<LeaveAns>(r);
    case MessageCode::StoreReq:
      return read<StoreReq>(r);
    case MessageCode::StoreAns:
      return read<StoreAns>(r);
    case MessageCode::FetchReq:
      return read<FetchReq>(r);
    case MessageCode::FetchAns:
      return read<FetchAns>(r);
    case MessageCode::DiagReq:
      return read<DiagReq>(r);
    case MessageCode::DiagAns:
      return read<DiagAns>(r);
    case MessageCode::PathTrackReq:
      return read<PathTrackReq>(r);
    case MessageCode::PathTrackAns:
      return read<PathTrackAns>(r);
    case MessageCode::Error:
      return read<ErrorAns>(r);
  }
  return std::nullopt;
}

std::uint16_t be16(std::span<const std::uint8_t> b, std::size_t at) {
  return static_cast<std::uint16_t>((b[at] << 8) | b[at + 1]);
}
std::uint32_t be32(std::span<const std::uint8_t> b, std::size_t at) {
  return (std::uint32_t{b[at]} << 24) | (std::uint32_t{b[at + 1]} << 16) |
         (std::uint32_t{b[at + 2]} << 8) | std::uint32_t{b[at + 3]};
}

}  // namespace

std::uint32_t overlayHash(std::string_view overlayName) {
  return static_cast<std::uint32_t>(NodeId::fromHash(overlayName).hi >> 32);
}

std::vector<std::uint8_t> encode(const Message& m) {
  const Header& h = m.header;
  WireWriter w(kEncodeReserve);
  w.bytes(kMagic);
  w.u8(kProtocolVersion);
  w.u8(h.ttl);
  w.u8(0);  // flags
  w.u8(0);  // reserved
  w.u32(h.overlay);
  w.u64(h.transaction);
  w.u16(static_cast<std::uint16_t>(codeOf(m.body)));
  w.u16(0);  // body length, patched below
  put(w, h.sender);
  w.bytes(h.authTag);
  std::visit([&w](const auto& body) { putBody(w, body); }, m.body);
  // A body over 0xffff bytes is over kMaxMessageSize too: decode says too_large.
  const std::size_t bodyLen = std::min<std::size_t>(w.size() - kHeaderSize, 0xffff);
  w.patch16(kLengthOffset, static_cast<std::uint16_t>(bodyLen));
  return w.take();
}

core::Expected<Message> decode(std::span<const std::uint8_t> bytes, std::uint32_t expectedOverlay) {
  using core::makeError;
  const std::size_t size = bytes.size();
  if (size > kMaxMessageSize) {
    return makeError("too_large", std::to_string(size) + " bytes, over kMaxMessageSize");
  }
  if (size < kHeaderSize) {
    return makeError("truncated", std::to_string(size) + " bytes, shorter than the header");
  }
  if (!std::equal(kMagic.begin(), kMagic.end(), bytes.begin())) {
    return makeError("bad_magic", "not a p2pmon overlay message");
  }
  if (bytes[kVersionOffset] != kProtocolVersion) {
    return makeError("bad_version", "version " + std::to_string(bytes[kVersionOffset]));
  }
  if (be32(bytes, kOverlayOffset) != expectedOverlay) {
    return makeError("wrong_overlay",
                     "overlay hash " + std::to_string(be32(bytes, kOverlayOffset)));
  }
  const std::size_t bodyLen = be16(bytes, kLengthOffset);
  if (kHeaderSize + bodyLen > size) {
    return makeError("truncated", "body length " + std::to_string(bodyLen) + " but only " +
                                      std::to_string(size - kHeaderSize) + " bytes follow");
  }
  if (kHeaderSize + bodyLen < size) {
    return makeError("bad_length", "body length " + std::to_string(bodyLen) + " but " +
                                       std::to_string(size - kHeaderSize) + " bytes follow");
  }

  WireReader hr(bytes.first(kHeaderSize).subspan(kVersionOffset));
  Header h;
  h.version = hr.u8();
  h.ttl = hr.u8();
  hr.u8();  // flags: reserved, ignored
  hr.u8();  // reserved
  h.overlay = hr.u32();
  h.transaction = hr.u64();
  h.code = static_cast<MessageCode>(hr.u16());
  hr.u16();  // body length, checked above
  get(hr, h.sender);
  hr.bytes(h.authTag);

  WireReader r(bytes.subspan(kHeaderSize));
  std::optional<Body> body = readBody(h.code, r);
  if (!body) {
    return makeError("bad_code", "message code " + std::to_string(be16(bytes, kCodeOffset)));
  }
  if (!r.ok()) return makeError("bad_body", r.why());
  if (r.remaining() != 0) {
    return makeError("bad_body", std::to_string(r.remaining()) + " bytes after the body");
  }
  return Message{h, std::move(*body)};
}

std::optional<core::Error> validate(const Message& m) {
  auto decoded = decode(encode(m), m.header.overlay);
  if (decoded.ok()) return std::nullopt;
  return decoded.error();
}

}  // namespace p2pmon::overlay
