// How probes fail: a small set of stable error codes, kept as strings that
// never change (results, counters and scripts key on them), the exit codes
// of p2pmon-probe, and its one-line message on stderr.
#pragma once

#include <string>
#include <string_view>

#include "core/expected.hpp"

namespace p2pmon::probes {

// timeout      no answer within the time allowed
// refused      the peer said no: ICMP port unreachable or an error answer
// unreachable  no way to send: the name does not resolve, no route
// bad_response an answer that does not decode or is not the one expected
// not_found    the overlay answered, the record is not there
// loop         the routing steps went round in a circle
// ttl_exceeded no responsible peer within the hop limit
// no_route     nobody to ask
// bad_usage    the command line
// internal     anything else (a bug: the raw text follows in the message)
inline constexpr std::string_view kStableCodes[] = {
    "timeout", "refused",      "unreachable", "bad_response", "not_found",
    "loop",    "ttl_exceeded", "no_route",    "bad_usage",    "internal"};

inline constexpr int kExitOk = 0;
inline constexpr int kExitNotFound = 1;  // get: the overlay answered "no such record"
inline constexpr int kExitError = 2;

bool isStableCode(std::string_view code);

// A raw error as an engine reports it ("timeout", "refused: Node-ID in use",
// "not_joined") mapped onto the stable set; the rest of the text becomes the
// message.
core::Error normalizeError(std::string_view raw);

// "p2pmon-probe get: timeout: no answer from 127.0.0.1:4000 within 2000 ms"
std::string errorLine(std::string_view command, const core::Error& e);

}  // namespace p2pmon::probes
