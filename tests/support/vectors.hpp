// Golden wire samples from tests/vectors/, read whole for the codec tests.
#pragma once

#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <doctest/doctest.h>

namespace p2pmon::test {

// `relative` is a path under tests/vectors/, e.g. "nsca/xor_svc_data.bin".
inline std::vector<std::uint8_t> loadVector(const std::string& relative) {
  std::ifstream in(std::string(P2PMON_VECTORS_DIR) + "/" + relative, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), relative);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace p2pmon::test
