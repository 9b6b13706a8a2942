// The command line every check_p2p_* plugin parses the same way, with
// Boost.Program_options: `-v` may be given several times (monitoring-plugins'
// verbosity levels), which the library cannot count by itself.
#pragma once

#include <boost/program_options.hpp>

#include "core/expected.hpp"

namespace p2pmon::plugins {

// Parses into `vm` (store and notify) and returns how often -v/--verbose
// was given. The option table must declare ("verbose,v", ...) as a switch.
// Errors: code "bad_usage", the parser's message.
core::Expected<int> parsePluginOptions(int argc, char** argv,
                                       const boost::program_options::options_description& opts,
                                       boost::program_options::variables_map& vm);

}  // namespace p2pmon::plugins
