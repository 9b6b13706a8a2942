// "HOST:PORT" endpoints as options and logs write them ("127.0.0.1:5667",
// "[::1]:8080", "collector.example:5667").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/expected.hpp"

namespace p2pmon::core {

struct HostPort {
  std::string host;
  std::uint16_t port = 0;
  std::string str() const;  // brackets IPv6 literals again
};

// Port 0 is allowed (bind any free port); a missing port is an error unless
// `defaultPort` is given (non-zero).
Expected<HostPort> parseHostPort(std::string_view text, std::uint16_t defaultPort = 0);

}  // namespace p2pmon::core
