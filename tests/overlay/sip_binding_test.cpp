#include <doctest/doctest.h>

#include "overlay-agent/record_store.hpp"
#include "overlay-agent/sip_binding.hpp"

using namespace p2pmon::overlay;
using namespace p2pmon::overlay::sip;

namespace {
constexpr std::int64_t kNow = 1'700'000'000'000;
const std::string kAor = "sip:alice@p2p.test";
const std::string kPeerA = "sip:127.0.0.1:5061";

// The overlay as the registrar sees it: what it stores comes back from a
// fetch, with the record store's rules (newer wins, removals, expiry).
struct Overlay {
  RecordStore store;
  std::optional<Record> fetch(std::int64_t now) const {
    return store.fetch(resourceIdOf(RecordKind::UserLocation, kAor), RecordKind::UserLocation, now);
  }
  RegisterPlan reg(RegisterRequest req, const RegisterLimits& limits = {}) {
    auto plan = planRegister(req, fetch(req.nowMs), limits);
    if (plan.status == 200 && !plan.update.entries.empty()) store.merge(plan.update, req.nowMs);
    return plan;
  }
};

RegisterRequest request(std::vector<ContactRequest> contacts, std::int64_t now = kNow,
                        std::int64_t expiresHeader = -1) {
  RegisterRequest r;
  r.aor = kAor;
  r.contacts = std::move(contacts);
  r.expiresHeader = expiresHeader;
  r.registrar = kPeerA;
  r.nowMs = now;
  return r;
}

ContactRequest contact(std::string uri, std::int64_t expires = -1) {
  return ContactRequest{uri, "udp:127.0.0.1:5070", expires};
}
}  // namespace

TEST_CASE("sip registrar: a REGISTER stores a binding with the granted lifetime") {
  Overlay o;
  auto plan = o.reg(request({contact("sip:alice@127.0.0.1:5070", 120)}));
  CHECK(plan.status == 200);
  REQUIRE(plan.bindings.size() == 1);
  CHECK(plan.bindings[0].remainingSeconds(kNow) == 120);
  auto t = chooseTarget(o.fetch(kNow + 1000), kNow + 1000);
  CHECK(t.status == 0);
  CHECK(t.binding.contact == "sip:alice@127.0.0.1:5070");
  CHECK(t.binding.transport == "udp:127.0.0.1:5070");
  CHECK(t.binding.registrar == kPeerA);
}

TEST_CASE("sip registrar: the Expires header applies when the contact has no expires") {
  Overlay o;
  auto plan = o.reg(request({contact("sip:alice@127.0.0.1:5070")}, kNow, 30));
  REQUIRE(plan.bindings.size() == 1);
  CHECK(plan.bindings[0].remainingSeconds(kNow) == 30);
  plan = o.reg(request({contact("sip:bob@127.0.0.1:5071")}, kNow));
  REQUIRE(plan.bindings.size() == 2);
  for (const auto& b : plan.bindings) {
    CHECK(b.remainingSeconds(kNow) == (b.contact == "sip:bob@127.0.0.1:5071" ? 3600 : 30));
  }
}

TEST_CASE("sip registrar: a refresh extends the binding, even within the same millisecond") {
  Overlay o;
  o.reg(request({contact("sip:alice@127.0.0.1:5070", 10)}));
  auto plan = o.reg(request({contact("sip:alice@127.0.0.1:5070", 300)}));
  REQUIRE(plan.bindings.size() == 1);
  CHECK(plan.bindings[0].remainingSeconds(kNow + 1) == 300);  // stored 1 ms later, to order
  // After the first lifetime the refreshed binding is still there.
  CHECK(chooseTarget(o.fetch(kNow + 20'000), kNow + 20'000).status == 0);
}

TEST_CASE("sip registrar: Expires 0 removes the binding and the AOR is unknown again (404)") {
  Overlay o;
  o.reg(request({contact("sip:alice@127.0.0.1:5070", 60)}));
  auto plan = o.reg(request({contact("sip:alice@127.0.0.1:5070", 0)}, kNow + 1));
  CHECK(plan.status == 200);
  CHECK(plan.bindings.empty());
  auto t = chooseTarget(o.fetch(kNow + 2), kNow + 2);
  CHECK(t.status == 404);
}

TEST_CASE("sip registrar: an expired registration gives 480, a never registered AOR 404") {
  Overlay o;
  CHECK(chooseTarget(o.fetch(kNow), kNow).status == 404);
  o.reg(request({contact("sip:alice@127.0.0.1:5070", 5)}));
  CHECK(chooseTarget(o.fetch(kNow + 4'000), kNow + 4'000).status == 0);
  const auto later = kNow + 6'000;
  CHECK(chooseTarget(o.fetch(later), later).status == 480);
  // The memory of the registration fades too.
  const auto much = kNow + (5 + kExpiredMemorySeconds + 1) * 1000LL;
  CHECK(chooseTarget(o.fetch(much), much).status == 404);
}

TEST_CASE("sip registrar: Contact * with Expires 0 removes every binding") {
  Overlay o;
  o.reg(request({contact("sip:alice@127.0.0.1:5070"), contact("sip:alice@127.0.0.1:5071")}));
  auto star = request({}, kNow + 1, 0);
  star.wildcard = true;
  auto plan = o.reg(star);
  CHECK(plan.status == 200);
  CHECK(plan.bindings.empty());
  CHECK(chooseTarget(o.fetch(kNow + 2), kNow + 2).status == 404);
}

TEST_CASE("sip registrar: Contact * without Expires 0 or beside other contacts is refused") {
  Overlay o;
  auto star = request({}, kNow, 60);
  star.wildcard = true;
  CHECK(o.reg(star).status == 400);
  star = request({contact("sip:alice@127.0.0.1:5070")}, kNow, 0);
  star.wildcard = true;
  CHECK(o.reg(star).status == 400);
}

TEST_CASE("sip registrar: too brief an interval is 423, too long is shortened") {
  Overlay o;
  RegisterLimits limits;
  limits.minExpires = 60;
  limits.maxExpires = 600;
  CHECK(o.reg(request({contact("sip:alice@127.0.0.1:5070", 10)}), limits).status == 423);
  CHECK_FALSE(o.fetch(kNow).has_value());
  auto plan = o.reg(request({contact("sip:alice@127.0.0.1:5070", 7200)}), limits);
  REQUIRE(plan.bindings.size() == 1);
  CHECK(plan.bindings[0].remainingSeconds(kNow) == 600);
}

TEST_CASE("sip registrar: a query (no Contact) stores nothing and lists the bindings") {
  Overlay o;
  o.reg(request({contact("sip:alice@127.0.0.1:5070", 60)}));
  auto plan = planRegister(request({}, kNow + 1000), o.fetch(kNow + 1000), {});
  CHECK(plan.status == 200);
  CHECK(plan.update.entries.empty());
  REQUIRE(plan.bindings.size() == 1);
  CHECK(plan.bindings[0].remainingSeconds(kNow + 1000) == 59);
}

TEST_CASE("sip registrar: the newest registration is the one requests go to") {
  Overlay o;
  o.reg(request({contact("sip:alice@127.0.0.1:5070", 60)}));
  o.reg(request({contact("sip:alice@127.0.0.1:5071", 60)}, kNow + 10));
  auto t = chooseTarget(o.fetch(kNow + 20), kNow + 20);
  CHECK(t.binding.contact == "sip:alice@127.0.0.1:5071");
}

TEST_CASE("sip registrar: at most kMaxBindings contacts per AOR") {
  Overlay o;
  std::vector<ContactRequest> many;
  for (std::size_t i = 0; i <= kMaxBindings; ++i) {
    many.push_back(contact("sip:alice@127.0.0.1:" + std::to_string(6000 + i), 60));
  }
  CHECK(o.reg(request(many)).status == 403);
  many.pop_back();
  CHECK(o.reg(request(many)).status == 200);
}

TEST_CASE("sip registrar: AORs are canonical, hosts compare without case") {
  CHECK(canonicalAor("alice", "P2P.Test") == "sip:alice@p2p.test");
  CHECK_FALSE(canonicalAor("", "p2p.test").has_value());
  CHECK(sameHost("Example.ORG", "example.org"));
  CHECK_FALSE(sameHost("example.org", "example.net"));
}
