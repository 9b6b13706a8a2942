// NAT verdict logic, exhaustively: every combination of mapping test
// answers (none, same as before, different) and filtering test answers is
// checked against the RFC 5780 §4.3/§4.4 decision trees written out
// independently below, and the classic type against the usual mapping
// (EIM+EIF full cone, EIM+ADF restricted, EIM+APDF port-restricted,
// ADM/APDM symmetric).
#include <doctest/doctest.h>

#include <set>

#include "probes/nat_verdict.hpp"

using namespace p2pmon::probes;
using namespace p2pmon::probes::nat;

namespace {
stun::Address a(const char* s) { return *stun::parseAddress(s); }

const stun::Address kLocal = a("192.168.77.2:40000");
const stun::Address kMappedA = a("203.0.113.1:40000");
const stun::Address kMappedB = a("203.0.113.1:51111");
const stun::Address kMappedC = a("203.0.113.1:52222");

// 0: no answer, 1: the local address (no NAT), 2..4: public mappings
std::optional<stun::Address> pick(int k) {
  switch (k) {
    case 1: return kLocal;
    case 2: return kMappedA;
    case 3: return kMappedB;
    case 4: return kMappedC;
    default: return std::nullopt;
  }
}
}  // namespace

TEST_CASE("nat verdict: names are stable and parse back") {
  for (auto t : {NatType::unknown, NatType::blocked, NatType::open, NatType::symmetric_firewall,
                 NatType::full_cone, NatType::restricted_cone, NatType::port_restricted_cone,
                 NatType::symmetric})
    CHECK(parseNatType(name(t)) == t);
  CHECK(name(NatType::port_restricted_cone) == "port_restricted_cone");
  CHECK(name(Mapping::address_port_dependent) == "address_port_dependent");
  CHECK(name(Filtering::address_dependent) == "address_dependent");
  CHECK_FALSE(parseNatType("cone"));
}

TEST_CASE("nat verdict: every combination of test answers") {
  std::set<std::string> seen;
  for (int x1 = 0; x1 <= 2; ++x1)
    for (int x2 = 0; x2 <= 4; ++x2)
      for (int x3 = 0; x3 <= 4; ++x3)
        for (int f1 = 0; f1 <= 1; ++f1)
          for (int f2 = 0; f2 <= 1; ++f2)
            for (int f3 = -1; f3 <= 1; ++f3) {
              MappingObservation m{kLocal, pick(x1), pick(x2), pick(x3)};
              FilteringObservation f{f1 == 1, f2 == 1, f3 < 0 ? std::nullopt : std::optional<bool>(f3 == 1)};
              CAPTURE(x1); CAPTURE(x2); CAPTURE(x3); CAPTURE(f1); CAPTURE(f2); CAPTURE(f3);

              Mapping wantMapping = Mapping::unknown;
              if (x1 != 0 && x2 != 0) {
                if (x2 == x1) wantMapping = Mapping::endpoint_independent;
                else if (x3 != 0) wantMapping = x3 == x2 ? Mapping::address_dependent : Mapping::address_port_dependent;
              }
              CHECK(mappingOf(m) == wantMapping);

              Filtering wantFiltering = Filtering::unknown;
              if (f1 == 1) {
                if (f2 == 1) wantFiltering = Filtering::endpoint_independent;
                else if (f3 >= 0) wantFiltering = f3 == 1 ? Filtering::address_dependent : Filtering::address_port_dependent;
              }
              CHECK(filteringOf(f) == wantFiltering);

              NatType want = NatType::unknown;
              if (x1 == 0) {
                want = NatType::blocked;
              } else if (x1 == 1) {  // no NAT: only the filter counts
                if (wantFiltering == Filtering::endpoint_independent) want = NatType::open;
                else if (wantFiltering != Filtering::unknown) want = NatType::symmetric_firewall;
              } else if (wantMapping == Mapping::address_dependent ||
                         wantMapping == Mapping::address_port_dependent) {
                want = NatType::symmetric;
              } else if (wantMapping == Mapping::endpoint_independent) {
                if (wantFiltering == Filtering::endpoint_independent) want = NatType::full_cone;
                if (wantFiltering == Filtering::address_dependent) want = NatType::restricted_cone;
                if (wantFiltering == Filtering::address_port_dependent) want = NatType::port_restricted_cone;
              }
              CHECK(classify(m, f) == want);
              seen.insert(std::string(name(classify(m, f))));
              CHECK(natPresent(m) == (x1 != 1));
            }
  CHECK(seen.size() == 8);  // every type is reachable
}

TEST_CASE("nat verdict: the rig's NAT kinds, as the tests see them") {
  FilteringObservation eif{true, true, std::nullopt};
  FilteringObservation adf{true, false, true};
  FilteringObservation apdf{true, false, false};
  MappingObservation eim{kLocal, kMappedA, kMappedA, std::nullopt};
  MappingObservation apdm{kLocal, kMappedA, kMappedB, kMappedC};
  MappingObservation adm{kLocal, kMappedA, kMappedB, kMappedB};
  MappingObservation none{kLocal, kLocal, kLocal, std::nullopt};
  CHECK(classify(none, eif) == NatType::open);
  CHECK(classify(none, apdf) == NatType::symmetric_firewall);
  CHECK(classify(eim, eif) == NatType::full_cone);
  CHECK(classify(eim, adf) == NatType::restricted_cone);
  CHECK(classify(eim, apdf) == NatType::port_restricted_cone);
  CHECK(classify(apdm, apdf) == NatType::symmetric);
  CHECK(classify(adm, adf) == NatType::symmetric);
  CHECK(classify({kLocal, std::nullopt, std::nullopt, std::nullopt}, {}) == NatType::blocked);
  // The local address unknown: assume a NAT (the safe side for a monitor).
  CHECK(natPresent({std::nullopt, kLocal, kLocal, std::nullopt}));
}

TEST_CASE("nat verdict: JSON and text forms") {
  NatReport r;
  r.server = "203.0.113.10:3478";
  r.otherAddress = a("203.0.113.11:3479");
  r.mapping = {kLocal, kMappedA, kMappedA, std::nullopt};
  r.filtering = {true, false, false};
  r.hairpinning = false;
  r.lifetimeS = 4;
  r.lifetimeDeadS = 5;
  const auto j = reportJson(r);
  CHECK(j["type"] == "port_restricted_cone");
  CHECK(j["nat"] == true);
  CHECK(j["mapping"] == "endpoint_independent");
  CHECK(j["filtering"] == "address_port_dependent");
  CHECK(j["mapped_address"] == "203.0.113.1:40000");
  CHECK(j["other_address"] == "203.0.113.11:3479");
  CHECK(j["filtering_tests"]["test3"] == false);
  CHECK(j["hairpinning"] == false);
  CHECK(j["lifetime_s"] == 4.0);
  CHECK(j["error"].is_null());
  CHECK(reportLine(r) == "nat via 203.0.113.10:3478: port_restricted_cone, mapped 203.0.113.1:40000, mapping "
                         "endpoint_independent, filtering address_port_dependent, no hairpinning, "
                         "binding lifetime >= 4 s");
  NatReport blocked;
  blocked.server = "203.0.113.10:3478";
  blocked.error = "timeout";
  CHECK(reportJson(blocked)["type"] == "blocked");
  CHECK(reportJson(blocked)["nat"].is_null());
  NatReport noAlt = r;
  noAlt.error = "bad_response";
  CHECK(reportJson(noAlt)["type"] == "unknown");
}
