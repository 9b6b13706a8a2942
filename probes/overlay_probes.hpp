// p2pmon-probe's overlay commands: diag, put, get and path, each asking the
// overlay through one peer with an OverlayClient and printing JSON on stdout
// (fields: docs/probes.md). Errors: one line "p2pmon-probe CMD: CODE: text"
// on stderr with a stable code (probe_error.hpp), exit 2; get exits 1 when
// the record is not found.
#pragma once

namespace p2pmon::probes {

int runDiag(int argc, char** argv);
int runPut(int argc, char** argv);
int runGet(int argc, char** argv);
int runPath(int argc, char** argv);

}  // namespace p2pmon::probes
