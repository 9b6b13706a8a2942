// A tool made of subcommands ("p2pmon-probe diag --peer ..."): one
// name-to-function table, so that a new probe is one more row, and the usage
// text comes from the same rows.
#pragma once

#include <iosfwd>
#include <span>
#include <string>
#include <string_view>

namespace p2pmon::probes {

struct Subcommand {
  std::string_view name;
  std::string_view summary;           // one line for the usage text
  int (*run)(int argc, char** argv);  // argv[0] is the subcommand's name
};

std::string usage(std::string_view tool, std::span<const Subcommand> table);

// Runs the subcommand that argv[1] names, with argv[1..] as its arguments.
// -h/--help prints the usage on `out` (exit 0), -V/--version the version
// (exit 0); no name or an unknown one is a usage error: one line on `err`,
// exit 2.
int dispatch(std::string_view tool, std::span<const Subcommand> table, int argc, char** argv,
             std::ostream& out, std::ostream& err);

}  // namespace p2pmon::probes
