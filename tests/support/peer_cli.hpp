// p2pmon-peer's command line in tests: parsed options, or the one-line
// refusal a bad command line gets ("accepted" when there is none).
#pragma once

#include <doctest/doctest.h>

#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "overlay-agent/peer_options.hpp"

namespace p2pmon::test {

inline overlay::PeerOptions parse(std::vector<const char*> args) {
  args.insert(args.begin(), "p2pmon-peer");
  std::ostringstream out;
  auto o = overlay::parsePeerOptions(static_cast<int>(args.size()), args.data(), out);
  REQUIRE(o.has_value());
  return *o;
}

inline std::string refusal(std::vector<const char*> args) {
  args.insert(args.begin(), "p2pmon-peer");
  std::ostringstream out;
  try {
    overlay::parsePeerOptions(static_cast<int>(args.size()), args.data(), out);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "accepted";
}

}  // namespace p2pmon::test
