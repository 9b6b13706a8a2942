// NAT behaviour from what the STUN tests saw: RFC 5780 §4.3 mapping, §4.4
// filtering, §4.6 hairpinning, §4.5 binding lifetime, and the classic
// RFC 3489 type derived from them (open, full cone, restricted,
// port-restricted, symmetric, UDP blocked). Pure: values in, values out.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "probes/stun_codec.hpp"
#include "probes/stun_tcp_check.hpp"

namespace p2pmon::probes::nat {

enum class Mapping { unknown, endpoint_independent, address_dependent, address_port_dependent };
enum class Filtering { unknown, endpoint_independent, address_dependent, address_port_dependent };
enum class NatType {
  unknown,
  blocked,             // no answer to a plain Binding request
  open,                // no NAT, no filter
  symmetric_firewall,  // no NAT, but a filter
  full_cone,           // EIM + EIF
  restricted_cone,     // EIM + ADF
  port_restricted_cone,  // EIM + APDF
  symmetric            // ADM or APDM
};

// Stable names, as in the JSON and in check_p2p_nat --expect.
std::string_view name(Mapping m);
std::string_view name(Filtering f);
std::string_view name(NatType t);
std::optional<NatType> parseNatType(std::string_view s);

// What the mapping tests saw: X1 from the primary address, X2 from the
// alternate IP with the primary port, X3 from the alternate address.
// Missing = no answer (or the test was not needed).
struct MappingObservation {
  std::optional<stun::Address> local;  // the probe's own address towards the server
  std::optional<stun::Address> x1, x2, x3;
};
// What the filtering tests saw: answers to Test I, to Test II (change IP
// and port), to Test III (change port only; not run when II was answered).
struct FilteringObservation {
  bool test1 = false;
  bool test2 = false;
  std::optional<bool> test3;
};

Mapping mappingOf(const MappingObservation& o);
Filtering filteringOf(const FilteringObservation& o);
// X1 equals the local address: no NAT on the path.
bool natPresent(const MappingObservation& o);
// The classic type. Test I unanswered: blocked. Unknown when a needed part is.
NatType classify(const MappingObservation& m, const FilteringObservation& f);

struct NatReport {
  std::string server;          // primary address asked
  std::optional<stun::Address> otherAddress;
  MappingObservation mapping;
  FilteringObservation filtering;
  std::optional<bool> hairpinning;      // not tested: nullopt
  std::optional<double> lifetimeS;      // largest wait the binding survived, when measured
  std::optional<double> lifetimeDeadS;  // smallest wait it did not survive
  std::vector<stun::TcpResult> tcp;     // TCP reachability per port, when asked
  std::string tcpError;  // asked but no results: not_supported (the server ignored it), timeout
  std::string error;   // stable code when the probe could not finish (timeout, ...)
  std::string detail;
  double elapsedMs = 0;
};

nlohmann::json reportJson(const NatReport& r);
std::string reportLine(const NatReport& r);

}  // namespace p2pmon::probes::nat
