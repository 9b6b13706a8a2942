#include "probes/nat_verdict.hpp"

#include <cmath>

namespace p2pmon::probes::nat {

std::string_view name(Mapping m) {
  switch (m) {
    case Mapping::endpoint_independent: return "endpoint_independent";
    case Mapping::address_dependent: return "address_dependent";
    case Mapping::address_port_dependent: return "address_port_dependent";
    default: return "unknown";
  }
}

std::string_view name(Filtering f) {
  switch (f) {
    case Filtering::endpoint_independent: return "endpoint_independent";
    case Filtering::address_dependent: return "address_dependent";
    case Filtering::address_port_dependent: return "address_port_dependent";
    default: return "unknown";
  }
}

namespace {
constexpr NatType kAllTypes[] = {NatType::unknown,         NatType::blocked,
                                 NatType::open,            NatType::symmetric_firewall,
                                 NatType::full_cone,       NatType::restricted_cone,
                                 NatType::port_restricted_cone, NatType::symmetric};
}

std::string_view name(NatType t) {
  switch (t) {
    case NatType::blocked: return "blocked";
    case NatType::open: return "open";
    case NatType::symmetric_firewall: return "symmetric_firewall";
    case NatType::full_cone: return "full_cone";
    case NatType::restricted_cone: return "restricted_cone";
    case NatType::port_restricted_cone: return "port_restricted_cone";
    case NatType::symmetric: return "symmetric";
    default: return "unknown";
  }
}

std::optional<NatType> parseNatType(std::string_view s) {
  for (auto t : kAllTypes)
    if (name(t) == s) return t;
  return std::nullopt;
}

Mapping mappingOf(const MappingObservation& o) {
  if (!o.x1 || !o.x2) return Mapping::unknown;
  if (*o.x2 == *o.x1) return Mapping::endpoint_independent;
  if (!o.x3) return Mapping::unknown;
  return *o.x3 == *o.x2 ? Mapping::address_dependent : Mapping::address_port_dependent;
}

Filtering filteringOf(const FilteringObservation& o) {
  if (!o.test1) return Filtering::unknown;
  if (o.test2) return Filtering::endpoint_independent;
  if (!o.test3) return Filtering::unknown;
  return *o.test3 ? Filtering::address_dependent : Filtering::address_port_dependent;
}

bool natPresent(const MappingObservation& o) {
  return !(o.x1 && o.local && *o.x1 == *o.local);
}

NatType classify(const MappingObservation& m, const FilteringObservation& f) {
  if (!m.x1) return NatType::blocked;
  const Filtering filtering = filteringOf(f);
  if (!natPresent(m)) {
    if (filtering == Filtering::unknown) return NatType::unknown;
    return filtering == Filtering::endpoint_independent ? NatType::open : NatType::symmetric_firewall;
  }
  const Mapping mapping = mappingOf(m);
  if (mapping == Mapping::address_dependent || mapping == Mapping::address_port_dependent)
    return NatType::symmetric;
  if (mapping == Mapping::unknown) return NatType::unknown;
  switch (filtering) {
    case Filtering::endpoint_independent: return NatType::full_cone;
    case Filtering::address_dependent: return NatType::restricted_cone;
    case Filtering::address_port_dependent: return NatType::port_restricted_cone;
    default: return NatType::unknown;
  }
}

namespace {
nlohmann::json addr(const std::optional<stun::Address>& a) {
  return a ? nlohmann::json(a->str()) : nlohmann::json(nullptr);
}
template <class T>
nlohmann::json opt(const std::optional<T>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}
// [{"port": 5060, "result": "reachable"}], null when not asked.
nlohmann::json tcpJson(const NatReport& r) {
  if (r.tcp.empty()) return nullptr;
  auto a = nlohmann::json::array();
  for (const auto& t : r.tcp) a.push_back({{"port", t.port}, {"result", stun::name(t.reach)}});
  return a;
}
}  // namespace

nlohmann::json reportJson(const NatReport& r) {
  const NatType type = r.error.empty() || r.error == "timeout" ? classify(r.mapping, r.filtering)
                                                               : NatType::unknown;
  return {{"server", r.server},
          {"other_address", addr(r.otherAddress)},
          {"type", name(type)},
          {"nat", r.mapping.x1 ? nlohmann::json(natPresent(r.mapping)) : nlohmann::json(nullptr)},
          {"mapping", name(mappingOf(r.mapping))},
          {"filtering", name(filteringOf(r.filtering))},
          {"local_address", addr(r.mapping.local)},
          {"mapped_address", addr(r.mapping.x1)},
          {"mapping_tests", {{"x1", addr(r.mapping.x1)}, {"x2", addr(r.mapping.x2)}, {"x3", addr(r.mapping.x3)}}},
          {"filtering_tests",
           {{"test1", r.filtering.test1}, {"test2", r.filtering.test2}, {"test3", opt(r.filtering.test3)}}},
          {"hairpinning", opt(r.hairpinning)},
          {"lifetime_s", opt(r.lifetimeS)},
          {"lifetime_dead_s", opt(r.lifetimeDeadS)},
          {"tcp", tcpJson(r)},
          {"tcp_error", r.tcpError.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.tcpError)},
          {"error", r.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.error)},
          {"detail", r.detail.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.detail)},
          {"elapsed_ms", std::round(r.elapsedMs * 1000.0) / 1000.0}};
}

std::string reportLine(const NatReport& r) {
  const auto j = reportJson(r);
  std::string s = "nat via " + r.server + ": " + j["type"].get<std::string>();
  if (r.mapping.x1) s += ", mapped " + r.mapping.x1->str();
  s += ", mapping " + j["mapping"].get<std::string>() + ", filtering " + j["filtering"].get<std::string>();
  if (r.hairpinning) s += *r.hairpinning ? ", hairpinning" : ", no hairpinning";
  if (r.lifetimeS) s += ", binding lifetime >= " + std::to_string(static_cast<int>(*r.lifetimeS)) + " s";
  for (const auto& t : r.tcp) s += ", TCP " + std::to_string(t.port) + " " + std::string(stun::name(t.reach));
  if (!r.tcpError.empty()) s += ", TCP check " + r.tcpError;
  if (!r.error.empty()) s += " (" + r.error + (r.detail.empty() ? "" : ": " + r.detail) + ")";
  return s;
}

}  // namespace p2pmon::probes::nat
