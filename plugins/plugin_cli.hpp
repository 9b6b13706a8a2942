// The command line every check_p2p_* plugin parses the same way, with
// Boost.Program_options: `-v` may be given several times (monitoring-plugins'
// verbosity levels), which the library cannot count by itself.
#pragma once

#include <boost/program_options.hpp>

#include <string_view>

#include "core/expected.hpp"

namespace p2pmon::plugins {

// Parses into `vm` (store and notify) and returns how often -v/--verbose
// was given. The option table must declare ("verbose,v", ...) as a switch.
// Errors: code "bad_usage", the parser's message.
core::Expected<int> parsePluginOptions(int argc, char** argv,
                                       const boost::program_options::options_description& opts,
                                       boost::program_options::variables_map& vm);

// The plugin's own deadline around blocking probes: after `seconds`
// (rounded up) SIGALRM prints "SERVICE UNKNOWN - plugin timed out after N s"
// with write(2) and exits 3, the only safe way out of a blocking call.
// disarmTimeout() cancels it.
void armTimeout(std::string_view service, double seconds);
void disarmTimeout();

}  // namespace p2pmon::plugins
