#include <doctest/doctest.h>

#include "collector/command_format.hpp"

using namespace p2pmon;
using namespace p2pmon::collector;

TEST_CASE("command format: service result as nsca writes it") {
  core::CheckResult r{"peer-node-1", "P2P Overlay Ring", core::State::Warning,
                      "WARNING - ring successor unreachable", "succ_rtt=0.250s;0.2;0.5;0;",
                      1795216230.7, ""};
  CHECK(formatExternalCommand(r) ==
        "[1795216230] PROCESS_SERVICE_CHECK_RESULT;peer-node-1;P2P Overlay Ring;1;WARNING - ring "
        "successor unreachable | succ_rtt=0.250s;0.2;0.5;0;\n");
}

TEST_CASE("command format: host result and escaped long output") {
  core::CheckResult h{"peer-node-2", "", core::State::Ok, "UP - overlay peer alive", "",
                      1795216239, ""};
  CHECK(formatExternalCommand(h) ==
        "[1795216239] PROCESS_HOST_CHECK_RESULT;peer-node-2;0;UP - overlay peer alive\n");
  core::CheckResult m{"peer-node-2", "P2P DHT Store", core::State::Critical,
                      "CRITICAL - 3 of 5 replicas lost\nreplica k1 missing\nreplica k2 missing",
                      "replicas=2;4;3;0;5", 1795216239, ""};
  CHECK(formatExternalCommand(m) ==
        "[1795216239] PROCESS_SERVICE_CHECK_RESULT;peer-node-2;P2P DHT Store;2;CRITICAL - 3 of 5 "
        "replicas lost | replicas=2;4;3;0;5\\nreplica k1 missing\\nreplica k2 missing\n");
}

TEST_CASE("command format: backslashes doubled, carriage returns dropped, one line always") {
  CHECK(escapeCommandOutput("a\\b\r\nc") == "a\\\\b\\nc");
  core::CheckResult r{"h", "s", core::State::Ok, "x\ny\nz;w", "", 1, ""};
  auto line = formatExternalCommand(r);
  CHECK(line.find('\n') == line.size() - 1);
}
