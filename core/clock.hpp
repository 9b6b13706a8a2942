// Wall-clock time as Nagios uses it: seconds since the epoch, as a double.
#pragma once

#include <chrono>

namespace p2pmon::core {

inline double nowSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace p2pmon::core
