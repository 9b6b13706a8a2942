#include <doctest/doctest.h>

#include "core/state.hpp"

using namespace p2pmon::core;

TEST_CASE("state: severity orders OK < UNKNOWN < WARNING < CRITICAL") {
  CHECK(severity(State::Ok) < severity(State::Unknown));
  CHECK(severity(State::Unknown) < severity(State::Warning));
  CHECK(severity(State::Warning) < severity(State::Critical));
  CHECK(worse(State::Warning, State::Unknown) == State::Warning);
  CHECK(worse(State::Ok, State::Critical) == State::Critical);
  for (int s = 0; s < 4; ++s) {
    CHECK(stateOfSeverity(severity(static_cast<State>(s))) == static_cast<State>(s));
  }
}

TEST_CASE("state: names and integers parse both ways") {
  CHECK(stateName(State::Critical) == "CRITICAL");
  CHECK(parseStateName("warning") == State::Warning);
  CHECK(parseStateName("3") == State::Unknown);
  CHECK(parseStateName("crit") == State::Critical);
  CHECK_FALSE(parseStateName("bad").has_value());
  CHECK(stateFromInt(2) == State::Critical);
  CHECK_FALSE(stateFromInt(4).has_value());
  CHECK_FALSE(stateFromInt(-1).has_value());
}

TEST_CASE("state: host DOWN and UNREACHABLE rank as CRITICAL") {
  CHECK(hostStateAsServiceState(0) == State::Ok);
  CHECK(hostStateAsServiceState(1) == State::Critical);
  CHECK(hostStateAsServiceState(2) == State::Critical);
}
