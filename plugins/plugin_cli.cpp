#include "plugins/plugin_cli.hpp"

#include <string>

namespace p2pmon::plugins {

namespace po = boost::program_options;

core::Expected<int> parsePluginOptions(int argc, char** argv, const po::options_description& opts,
                                       po::variables_map& vm) {
  try {
    auto parsed = po::command_line_parser(argc, argv).options(opts).run();
    // Counted and taken out before store(): a repeated switch is an error there.
    const auto verbose = std::erase_if(
        parsed.options, [](const po::option& x) { return x.string_key == "verbose"; });
    po::store(parsed, vm);
    po::notify(vm);
    return static_cast<int>(verbose);
  } catch (const std::exception& e) {
    return core::makeError("bad_usage", e.what());
  }
}

}  // namespace p2pmon::plugins
