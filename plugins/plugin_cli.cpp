#include "plugins/plugin_cli.hpp"

#include <unistd.h>

#include <cmath>
#include <csignal>
#include <string>

#include "core/perfdata.hpp"

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

namespace {
std::string gTimeoutLine;  // written by the handler with write(2) only
extern "C" void onAlarm(int) {
  [[maybe_unused]] auto n = ::write(STDOUT_FILENO, gTimeoutLine.data(), gTimeoutLine.size());
  _exit(3);
}
}  // namespace

void armTimeout(std::string_view service, double seconds) {
  gTimeoutLine = std::string(service) + " UNKNOWN - plugin timed out after " +
                 core::formatNumber(seconds) + " s\n";
  std::signal(SIGALRM, onAlarm);
  ::alarm(static_cast<unsigned>(std::ceil(seconds)));
}

void disarmTimeout() { ::alarm(0); }

}  // namespace p2pmon::plugins
