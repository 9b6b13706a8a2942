// Sample overlay messages with non-trivial field values, one per message
// type: the golden vectors in tests/vectors/overlay/ are their encodings.
// Changing a sample changes the golden bytes, so leave them be.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "overlay-agent/messages.hpp"

namespace p2pmon::overlay::samples {

inline constexpr std::uint32_t kOverlay = 0xA1B2C3D4;

inline Header header(std::uint64_t transaction) {
  Header h;
  h.ttl = 32;
  h.overlay = kOverlay;
  h.transaction = transaction;
  h.sender = NodeId{0x1111222233334444ULL, 0x5555666677778888ULL};
  return h;
}

// A message as decode() returns it: the header's code matches the body.
inline Message message(std::uint64_t transaction, Body body) {
  Message m{header(transaction), std::move(body)};
  m.header.code = codeOf(m.body);
  return m;
}

inline PeerRef peerV4(std::uint64_t hi, std::uint32_t addr, std::uint16_t port) {
  return PeerRef{NodeId{hi, ~hi}, Endpoint::v4(addr, port)};
}

inline PeerRef peerV6(std::uint64_t hi, std::uint16_t port) {
  Endpoint e;
  e.family = 6;
  e.addr = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x12, 0x34};  // 2001:db8::1234
  e.port = port;
  return PeerRef{NodeId{hi, 0x0123456789abcdefULL}, e};
}

inline std::vector<PeerRef> successors() {
  return {peerV4(0x2000000000000000ULL, 0xC0000201, 4000),  // 192.0.2.1
          peerV6(0x3000000000000000ULL, 4001),
          peerV4(0x4000000000000000ULL, 0xC0000203, 4002)};  // 192.0.2.3
}

inline std::vector<PeerRef> predecessors() {
  return {peerV4(0x0f00000000000000ULL, 0xC6336401, 5000),  // 198.51.100.1
          peerV4(0x0e00000000000000ULL, 0xC6336402, 5001)};
}

inline Message ping() {
  return message(0x0102030405060708ULL, PingReq{});
}

inline Message findAnsDone() {
  FindAns b;
  b.done = true;
  b.peer = peerV4(0x1f00000000000000ULL, 0x7f000001, 4100);  // 127.0.0.1
  b.successors = successors();
  return message(42, b);
}

inline Record aliceRecord() {
  Record rec;
  rec.kind = RecordKind::UserLocation;
  rec.name = "sip:alice@example.org";
  Entry phone;
  phone.key = "sip:alice@192.0.2.10:5060";
  phone.values = {"udp:192.0.2.10:5060", "tcp:192.0.2.10:5060"};
  phone.storageTime = 1763683200125ULL;
  phone.lifetime = 3600;
  Entry removed;
  removed.key = "sip:alice@198.51.100.7:5062";
  removed.storageTime = 1763683100000ULL;
  removed.lifetime = 600;
  removed.exists = false;
  rec.entries = {phone, removed};
  return rec;
}

inline Message storeReq() {
  StoreReq b;
  b.replica = 1;
  b.records = {aliceRecord()};
  return message(0xdeadbeefcafef00dULL, b);
}

inline DiagAns diag() {
  DiagAns d;
  d.self = peerV4(0x1111222233334444ULL, 0x0a000005, 4000);  // 10.0.0.5
  d.uptime = 86400;
  d.softwareVersion = "p2pmon-peer 0.1.0";
  d.routingTableSize = 9;
  d.successors = successors();
  d.predecessors = predecessors();
  d.fingers = {peerV4(0x5000000000000000ULL, 0xC0000205, 4005),
               peerV6(0x9000000000000000ULL, 4009)};
  d.recordsStored = 17;
  d.bytesStored = 123456789012ULL;
  d.counters = {{1, 100, 99}, {3, 2500, 2400}, {0xffff, 1, 2}};
  d.sipPort = 5060;
  d.stunPort = 3478;
  d.rtpPort = 10000;
  return d;
}

inline Message diagAns() {
  return message(7, diag());
}

// One message of every type, in code order, ErrorAns last.
inline std::vector<Message> everyType() {
  std::vector<Message> all;
  std::uint64_t tx = 1000;
  auto add = [&](Body body) {
    Message m = message(tx++, std::move(body));
    m.header.ttl = static_cast<std::uint8_t>(tx % 64);
    m.header.authTag = {1, 2, 3, 4, 5, 6, 7, static_cast<std::uint8_t>(tx)};
    all.push_back(std::move(m));
  };
  add(PingReq{});
  add(PingAns{123456});
  add(FindReq{NodeId{0xfedcba9876543210ULL, 0x0f1e2d3c4b5a6978ULL}});
  FindAns hop;
  hop.peer = peerV6(0x7777000000000000ULL, 4444);
  add(hop);
  add(JoinReq{});
  add(JoinAns{predecessors(), successors()});
  add(UpdateReq{predecessors(), successors()});
  add(UpdateAns{successors(), predecessors()});
  add(LeaveReq{predecessors(), {}});
  add(LeaveAns{});
  StoreReq store;
  store.replica = 2;
  Record proxy;
  proxy.kind = RecordKind::ProxyLocation;
  proxy.name = "example.org";
  proxy.entries = {Entry{"sip:proxy.example.org", {}, 1763683200000ULL, 86400, true}};
  store.records = {aliceRecord(), proxy};
  add(store);
  add(StoreAns{2});
  add(FetchReq{NodeId{0x274da1845be34d08ULL, 0xeb739060cdf555c3ULL}, RecordKind::ProxyLocation});
  add(FetchAns{{aliceRecord()}});
  add(DiagReq{kDiagNeighbours | kDiagStorage | (std::uint64_t{1} << 63)});
  add(diag());
  add(PathTrackReq{NodeId{0x8000000000000000ULL, 1}});
  PathTrackAns track;
  track.step = std::get<FindAns>(findAnsDone().body);
  track.diag = diag();
  add(track);
  add(ErrorAns{ErrorCode::LoopDetected, "loop detected at peer-3fa9c2d1"});
  return all;
}

}  // namespace p2pmon::overlay::samples
