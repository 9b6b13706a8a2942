// p2pmon-probe sip: SIP OPTIONS to one target (--target, --count) or a sweep
// of many (--targets-from, --max-in-flight); human-readable lines or JSON
// (fields: docs/probes.md). Errors: one line "p2pmon-probe sip: CODE: text"
// on stderr with a stable code (probe_error.hpp), exit 2.
#pragma once

namespace p2pmon::probes {

int runSip(int argc, char** argv);

}  // namespace p2pmon::probes
