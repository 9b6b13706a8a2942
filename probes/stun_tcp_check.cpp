#include "probes/stun_tcp_check.hpp"

#include <algorithm>

namespace p2pmon::probes::stun {

namespace {
const Attribute* first(const Message& m, std::uint16_t type) {
  for (const auto& a : m.attributes)
    if (a.type == type) return &a;
  return nullptr;
}
std::uint16_t get16(const std::vector<std::uint8_t>& v, std::size_t at) {
  return static_cast<std::uint16_t>((v[at] << 8) | v[at + 1]);
}
void put16(std::vector<std::uint8_t>& v, std::uint16_t x) {
  v.push_back(static_cast<std::uint8_t>(x >> 8));
  v.push_back(static_cast<std::uint8_t>(x & 0xFF));
}
}  // namespace

std::string_view name(TcpReach r) {
  switch (r) {
    case TcpReach::reachable: return "reachable";
    case TcpReach::refused: return "refused";
    case TcpReach::timeout: return "timeout";
    case TcpReach::error: return "error";
    case TcpReach::limited: return "limited";
  }
  return "error";
}

void addTcpCheck(Message& m, std::span<const std::uint16_t> ports) {
  Attribute a{attr::kP2pmonTcpCheck, {}};
  for (auto p : ports) put16(a.value, p);
  m.attributes.push_back(std::move(a));
}

std::optional<std::vector<std::uint16_t>> findTcpCheck(const Message& m) {
  const auto* a = first(m, attr::kP2pmonTcpCheck);
  if (a == nullptr || a->value.empty() || a->value.size() % 2 != 0 ||
      a->value.size() / 2 > kMaxTcpCheckPorts)
    return std::nullopt;
  std::vector<std::uint16_t> ports;
  for (std::size_t i = 0; i < a->value.size(); i += 2) {
    const auto p = get16(a->value, i);
    if (p == 0) return std::nullopt;
    if (std::find(ports.begin(), ports.end(), p) == ports.end()) ports.push_back(p);
  }
  return ports;
}

void addTcpResults(Message& m, std::span<const TcpResult> results) {
  Attribute a{attr::kP2pmonTcpResult, {}};
  for (const auto& r : results) {
    put16(a.value, r.port);
    a.value.push_back(static_cast<std::uint8_t>(r.reach));
    a.value.push_back(0);
  }
  m.attributes.push_back(std::move(a));
}

std::optional<std::vector<TcpResult>> findTcpResults(const Message& m) {
  const auto* a = first(m, attr::kP2pmonTcpResult);
  if (a == nullptr || a->value.empty() || a->value.size() % 4 != 0 ||
      a->value.size() / 4 > kMaxTcpCheckPorts)
    return std::nullopt;
  std::vector<TcpResult> out;
  for (std::size_t i = 0; i < a->value.size(); i += 4) {
    const auto code = a->value[i + 2];
    out.push_back({get16(a->value, i),
                   code <= static_cast<std::uint8_t>(TcpReach::limited) ? static_cast<TcpReach>(code)
                                                                        : TcpReach::error});
  }
  return out;
}

std::optional<std::vector<std::uint8_t>> withTcpResults(std::span<const std::uint8_t> reply,
                                                       std::span<const TcpResult> results) {
  auto decoded = decode(reply);
  if (!decoded) return std::nullopt;
  Message m = *decoded;
  addTcpResults(m, results);
  return encode(m);
}

}  // namespace p2pmon::probes::stun
