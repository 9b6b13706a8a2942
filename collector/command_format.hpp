// Nagios external command lines for passive results (Nagios 4
// base/commands.c): PROCESS_SERVICE_CHECK_RESULT and PROCESS_HOST_CHECK_RESULT,
// with the output escaped the way nsca 2.10 escapes it. Pure.
#pragma once

#include <string>
#include <string_view>

#include "core/check_result.hpp"

namespace p2pmon::collector {

// "\" becomes "\\" and a line feed the two characters "\n" (Nagios turns
// them back into long output); carriage returns are dropped.
std::string escapeCommandOutput(std::string_view text);

// One line, newline-terminated: "[time] PROCESS_..._CHECK_RESULT;...\n".
// The result must have passed core::validate (safe host/service names).
std::string formatExternalCommand(const core::CheckResult& r);

}  // namespace p2pmon::collector
