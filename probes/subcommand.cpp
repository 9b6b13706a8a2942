#include "probes/subcommand.hpp"

#include <algorithm>
#include <ostream>

#include "core/version.hpp"
#include "probes/probe_error.hpp"

namespace p2pmon::probes {

std::string usage(std::string_view tool, std::span<const Subcommand> table) {
  std::string out = "Usage: " + std::string(tool) + " COMMAND [options]   (COMMAND -h for its options)\n\n";
  std::size_t width = 0;
  for (const auto& c : table) width = std::max(width, c.name.size());
  for (const auto& c : table) {
    out += "  " + std::string(c.name) + std::string(width - c.name.size() + 2, ' ');
    out += std::string(c.summary) + "\n";
  }
  return out;
}

int dispatch(std::string_view tool, std::span<const Subcommand> table, int argc, char** argv,
             std::ostream& out, std::ostream& err) {
  std::string names;
  for (const auto& c : table) names += (names.empty() ? "" : ", ") + std::string(c.name);
  if (argc < 2) {
    err << tool << ": bad_usage: a command is needed (" << names << "; -h for help)\n";
    return kExitError;
  }
  const std::string_view first = argv[1];
  if (first == "-h" || first == "--help" || first == "help") {
    out << usage(tool, table);
    return kExitOk;
  }
  if (first == "-V" || first == "--version") {
    out << tool << " " << kVersion << "\n";
    return kExitOk;
  }
  for (const auto& c : table) {
    if (c.name == first) return c.run(argc - 1, argv + 1);
  }
  err << tool << ": bad_usage: unknown command '" << first << "' (" << names << ")\n";
  return kExitError;
}

}  // namespace p2pmon::probes
