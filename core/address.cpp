#include "core/address.hpp"

#include <charconv>

namespace p2pmon::core {

std::string HostPort::str() const {
  bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Expected<HostPort> parseHostPort(std::string_view text, std::uint16_t defaultPort) {
  HostPort hp;
  std::string_view portText;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos) return makeError("bad_address", "missing ']' in address");
    hp.host = std::string(text.substr(1, close - 1));
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return makeError("bad_address", "expected ':' after ']'");
      portText = rest.substr(1);
    }
  } else {
    auto colon = text.rfind(':');
    if (colon != std::string_view::npos && text.find(':') != colon) {
      return makeError("bad_address", "IPv6 addresses need brackets: [addr]:port");
    }
    hp.host = std::string(text.substr(0, colon));
    if (colon != std::string_view::npos) portText = text.substr(colon + 1);
  }
  if (hp.host.empty()) return makeError("bad_address", "missing host in '" + std::string(text) + "'");
  if (portText.empty()) {
    if (defaultPort == 0) return makeError("bad_address", "missing port in '" + std::string(text) + "'");
    hp.port = defaultPort;
    return hp;
  }
  unsigned value = 0;
  auto [ptr, ec] = std::from_chars(portText.data(), portText.data() + portText.size(), value);
  if (ec != std::errc() || ptr != portText.data() + portText.size() || value > 65535) {
    return makeError("bad_address", "bad port in '" + std::string(text) + "'");
  }
  hp.port = static_cast<std::uint16_t>(value);
  return hp;
}

}  // namespace p2pmon::core
