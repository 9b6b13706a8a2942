#include <doctest/doctest.h>

#include "overlay-agent/record_store.hpp"

using namespace p2pmon::overlay;

namespace {
constexpr std::int64_t kNow = 1'700'000'000'000;

Entry entry(std::string key, std::string value, std::int64_t storedAt, std::uint32_t lifetime,
            bool exists = true) {
  return Entry{std::move(key), {std::move(value)}, static_cast<std::uint64_t>(storedAt), lifetime,
               exists};
}

Record alice(std::vector<Entry> entries) {
  return Record{RecordKind::UserLocation, "sip:alice@example.org", std::move(entries)};
}

NodeId aliceId() { return resourceIdOf(RecordKind::UserLocation, "sip:alice@example.org"); }
}  // namespace

TEST_CASE("record store: entries are added, and a newer timestamp wins") {
  RecordStore s;
  CHECK(s.merge(alice({entry("phone", "udp:192.0.2.1:5060", kNow, 60)}), kNow) == 1);
  CHECK(s.merge(alice({entry("laptop", "tcp:192.0.2.2:5060", kNow, 60)}), kNow) == 1);
  CHECK(s.merge(alice({entry("phone", "udp:192.0.2.9:5060", kNow - 5, 60)}), kNow) == 0);
  CHECK(s.merge(alice({entry("phone", "udp:192.0.2.3:5060", kNow + 5, 60)}), kNow) == 1);
  auto r = s.fetch(aliceId(), RecordKind::UserLocation, kNow);
  REQUIRE(r.has_value());
  REQUIRE(r->entries.size() == 2);
  CHECK(r->entries[0].values.front() == "udp:192.0.2.3:5060");
  CHECK(s.recordCount() == 1);
  CHECK_FALSE(s.fetch(aliceId(), RecordKind::ProxyLocation, kNow).has_value());
}

TEST_CASE("record store: a removal wins over older copies until it expires itself") {
  RecordStore s;
  s.merge(alice({entry("phone", "udp:192.0.2.1:5060", kNow, 60)}), kNow);
  s.merge(alice({entry("phone", "", kNow + 1, 60, false)}), kNow);
  CHECK_FALSE(s.fetch(aliceId(), RecordKind::UserLocation, kNow).has_value());
  // A replica still holding the old binding cannot bring it back.
  CHECK(s.merge(alice({entry("phone", "udp:192.0.2.1:5060", kNow, 60)}), kNow) == 0);
  CHECK_FALSE(s.fetch(aliceId(), RecordKind::UserLocation, kNow).has_value());
  CHECK(s.contains(aliceId(), RecordKind::UserLocation));  // the removal travels with replicas
}

TEST_CASE("record store: expired entries vanish, and records with them") {
  RecordStore s;
  s.merge(alice({entry("phone", "udp:192.0.2.1:5060", kNow, 10),
                 entry("laptop", "tcp:192.0.2.2:5060", kNow, 100)}),
          kNow);
  CHECK(s.fetch(aliceId(), RecordKind::UserLocation, kNow + 20'000)->entries.size() == 1);
  CHECK(s.expire(kNow + 20'000) == 1);
  CHECK(s.expire(kNow + 200'000) == 1);
  CHECK(s.recordCount() == 0);
  CHECK(s.merge(alice({entry("old", "x", kNow - 100'000, 10)}), kNow) == 0);  // born dead
  CHECK(s.recordCount() == 0);
}

TEST_CASE("record store: select picks by Resource-ID, bytes count what is held") {
  RecordStore s;
  s.merge(alice({entry("phone", "udp:192.0.2.1:5060", kNow, 60)}), kNow);
  s.merge(Record{RecordKind::ProxyLocation, "example.org",
                 {entry("sip:proxy.example.org", "udp:192.0.2.5:5060", kNow, 60)}},
          kNow);
  CHECK(s.select([](const NodeId&) { return true; }).size() == 2);
  CHECK(s.select([](const NodeId& id) { return id == aliceId(); }).size() == 1);
  CHECK(s.bytes() > 0);
  s.erase(aliceId(), RecordKind::UserLocation);
  CHECK(s.recordCount() == 1);
}

TEST_CASE("record store: liveKeys lists records with live entries that match, up to a bound") {
  RecordStore s;
  for (int i = 0; i < 5; ++i) {
    s.merge(Record{RecordKind::UserLocation, "sip:u" + std::to_string(i) + "@example.org",
                   {entry("phone", "udp:192.0.2.1:5060", kNow, 60)}},
            kNow);
  }
  s.merge(alice({entry("phone", "udp:192.0.2.1:5060", kNow, 60, false)}), kNow);  // a removal only
  CHECK(s.liveKeys(10, [](const NodeId&) { return true; }, kNow).size() == 5);
  CHECK(s.liveKeys(3, [](const NodeId&) { return true; }, kNow).size() == 3);
  CHECK(s.liveKeys(10, [](const NodeId&) { return false; }, kNow).empty());
  CHECK(s.liveKeys(10, [](const NodeId&) { return true; }, kNow + 61'000).empty());  // expired
}
