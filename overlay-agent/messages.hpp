// The overlay's messages as values: what the wire codec (wire_codec.hpp)
// encodes and decodes and what the Chord engine (chord_peer.hpp) consumes
// and produces. Byte layout: docs/protocol.md. Codes follow RELOAD's habit
// (RFC 6940 §6.3.3): odd = request, request + 1 = answer, 0xFFFF = error.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "core/node_id.hpp"

namespace p2pmon::overlay {

using core::NodeId;

inline constexpr std::uint8_t kProtocolVersion = 1;
inline constexpr std::size_t kMaxMessageSize = 8192;  // one UDP datagram, header included
inline constexpr std::size_t kMaxPeerList = 32;       // any list of peers in one message
inline constexpr std::size_t kMaxRecords = 64;        // records in one Store/Fetch answer
inline constexpr std::size_t kMaxEntries = 64;        // entries in one record
inline constexpr std::size_t kMaxValues = 16;         // values (transports) in one entry
inline constexpr std::size_t kMaxText = 1024;         // any string

// A UDP transport address. IPv4 or IPv6; for IPv4 only the first 4 bytes count.
struct Endpoint {
  std::uint8_t family = 4;  // 4 or 6
  std::array<std::uint8_t, 16> addr{};
  std::uint16_t port = 0;
  auto operator<=>(const Endpoint&) const = default;
  static Endpoint v4(std::uint32_t hostOrderAddr, std::uint16_t port);
  std::string str() const;  // "127.0.0.1:4000", "[::1]:4000"
};

struct PeerRef {
  NodeId id;
  Endpoint endpoint;
  bool operator==(const PeerRef&) const = default;
};

enum class MessageCode : std::uint16_t {
  PingReq = 1, PingAns = 2,
  FindReq = 3, FindAns = 4,          // one routing step towards a Node-ID/Resource-ID (iterative)
  JoinReq = 5, JoinAns = 6,          // joining peer -> admitting peer
  UpdateReq = 7, UpdateAns = 8,      // stabilisation: neighbour tables exchanged
  LeaveReq = 9, LeaveAns = 10,       // graceful leave
  StoreReq = 11, StoreAns = 12,
  FetchReq = 13, FetchAns = 14,
  DiagReq = 15, DiagAns = 16,        // RFC 7851-style diagnostics
  PathTrackReq = 17, PathTrackAns = 18,  // one routing step plus the hop's diagnostics
  Error = 0xFFFF,
};
inline constexpr int kMessageCodes = 19;  // 0..18 used as counter index; Error counts at 0

enum class ErrorCode : std::uint16_t {
  Forbidden = 2, NotFound = 3, DataTooLarge = 8, TtlExceeded = 10, MessageTooLarge = 11,
  UnknownKind = 12, LoopDetected = 105, Internal = 500,
};

// The fixed header (docs/protocol.md, 48 bytes). `authTag` is reserved for
// message authentication: all zero until a later version fills it.
struct Header {
  std::uint8_t version = kProtocolVersion;
  std::uint8_t ttl = 32;
  std::uint32_t overlay = 0;  // hash of the overlay name
  std::uint64_t transaction = 0;
  MessageCode code = MessageCode::PingReq;
  NodeId sender;
  std::array<std::uint8_t, 8> authTag{};
  bool operator==(const Header&) const = default;
};

enum class RecordKind : std::uint8_t { UserLocation = 1, ProxyLocation = 2 };

// One dictionary entry of a record: for a user location the key is the
// contact and the values its transports ("udp:192.0.2.1:5060"); for a proxy
// location the key is the proxy URI. Newer storageTime wins; exists=false is
// a removal that wins over older copies until it expires itself.
struct Entry {
  std::string key;
  std::vector<std::string> values;
  std::uint64_t storageTime = 0;  // ms since the epoch, set by the writer
  std::uint32_t lifetime = 0;     // seconds from storageTime
  bool exists = true;
  bool operator==(const Entry&) const = default;
};

// Resource-ID = NodeId::fromHash(kind byte + name) (see resourceIdOf).
struct Record {
  RecordKind kind = RecordKind::UserLocation;
  std::string name;  // AOR ("sip:alice@example.org") or domain
  std::vector<Entry> entries;
  bool operator==(const Record&) const = default;
};
NodeId resourceIdOf(RecordKind kind, const std::string& name);

struct PingReq {
  bool operator==(const PingReq&) const = default;
};
struct PingAns {
  std::uint32_t uptime = 0;  // seconds
  bool operator==(const PingAns&) const = default;
};
struct FindReq {
  NodeId target;
  bool operator==(const FindReq&) const = default;
};
// done: `peer` is responsible for the target and `successors` are the next
// peers after it (replica holders); else `peer` is the next hop to ask.
struct FindAns {
  bool done = false;
  PeerRef peer;
  std::vector<PeerRef> successors;
  bool operator==(const FindAns&) const = default;
};
struct JoinReq {
  bool operator==(const JoinReq&) const = default;
};
struct JoinAns {
  std::vector<PeerRef> predecessors;  // the admitting peer's, for the joining peer
  std::vector<PeerRef> successors;    // the admitting peer first
  bool operator==(const JoinAns&) const = default;
};
struct UpdateReq {
  std::vector<PeerRef> predecessors;  // sender's own
  std::vector<PeerRef> successors;
  bool operator==(const UpdateReq&) const = default;
};
struct UpdateAns {
  std::vector<PeerRef> predecessors;  // answerer's own
  std::vector<PeerRef> successors;
  bool operator==(const UpdateAns&) const = default;
};
struct LeaveReq {
  std::vector<PeerRef> predecessors;
  std::vector<PeerRef> successors;
  bool operator==(const LeaveReq&) const = default;
};
struct LeaveAns {
  bool operator==(const LeaveAns&) const = default;
};
struct StoreReq {
  std::uint8_t replica = 0;  // 0: to the responsible peer; 1, 2: replica copies
  std::vector<Record> records;
  bool operator==(const StoreReq&) const = default;
};
struct StoreAns {
  std::uint32_t stored = 0;
  bool operator==(const StoreAns&) const = default;
};
struct FetchReq {
  NodeId resource;
  RecordKind kind = RecordKind::UserLocation;
  bool operator==(const FetchReq&) const = default;
};
struct FetchAns {
  std::vector<Record> records;  // live entries only; empty: not found
  bool operator==(const FetchAns&) const = default;
};

// Diagnostics after RFC 7851 §5: the requester asks for kinds by bit.
enum DiagFlag : std::uint64_t {
  kDiagNeighbours = 1 << 0,   // successors, predecessors
  kDiagFingers = 1 << 1,
  kDiagCounters = 1 << 2,     // messages sent/received per code
  kDiagStorage = 1 << 3,
  kDiagServices = 1 << 4,     // SIP/STUN/RTP ports
  kDiagAll = 0x1f,
  // A few keys of records the peer is responsible for (RFC 7851's
  // INSTANCES_STORED, cut down): the crawler samples replicas with them.
  // Not in kDiagAll, so an answer to an older requester stays as it was.
  kDiagStoredKeys = 1 << 5,
};
inline constexpr std::size_t kMaxStoredKeys = 8;  // keys in one DiagAns
struct StoredKey {
  NodeId resource;
  RecordKind kind = RecordKind::UserLocation;
  bool operator==(const StoredKey&) const = default;
};
struct MessageCount {
  std::uint16_t code = 0;
  std::uint64_t sent = 0;
  std::uint64_t received = 0;
  bool operator==(const MessageCount&) const = default;
};
struct DiagReq {
  std::uint64_t flags = kDiagAll;
  bool operator==(const DiagReq&) const = default;
};
struct DiagAns {
  PeerRef self;
  std::uint32_t uptime = 0;          // seconds
  std::string softwareVersion;
  std::uint32_t routingTableSize = 0;
  std::vector<PeerRef> successors;
  std::vector<PeerRef> predecessors;
  std::vector<PeerRef> fingers;      // distinct finger peers
  std::uint32_t recordsStored = 0;
  std::uint64_t bytesStored = 0;
  std::vector<MessageCount> counters;
  std::uint16_t sipPort = 0;         // 0: none
  std::uint16_t stunPort = 0;
  std::uint16_t rtpPort = 0;
  // Encoded only when not empty, after everything else: decoders that
  // predate it never see it (it is only sent when asked for).
  std::vector<StoredKey> storedKeys;
  bool operator==(const DiagAns&) const = default;
};
struct PathTrackReq {
  NodeId target;
  bool operator==(const PathTrackReq&) const = default;
};
struct PathTrackAns {
  FindAns step;
  DiagAns diag;  // neighbours, storage and services of the hop
  bool operator==(const PathTrackAns&) const = default;
};
struct ErrorAns {
  ErrorCode code = ErrorCode::Internal;
  std::string text;
  bool operator==(const ErrorAns&) const = default;
};

using Body = std::variant<PingReq, PingAns, FindReq, FindAns, JoinReq, JoinAns, UpdateReq,
                          UpdateAns, LeaveReq, LeaveAns, StoreReq, StoreAns, FetchReq, FetchAns,
                          DiagReq, DiagAns, PathTrackReq, PathTrackAns, ErrorAns>;

struct Message {
  Header header;
  Body body;
  bool operator==(const Message&) const = default;
};

// The message code that goes with a body alternative.
MessageCode codeOf(const Body& body);

}  // namespace p2pmon::overlay
