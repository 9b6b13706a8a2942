// Nagios object configuration from the collector (docs/operations.md "Nagios
// configuration"): GET /api/v1/nagios/objects.cfg and the one-shot
// `p2pmon-collector --write-nagios-config DIR`, which give the same text
// (nagios_config.hpp) for the same database and options.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include <boost/program_options/options_description.hpp>

#include "collector/nagios_config.hpp"
#include "core/address.hpp"

namespace httplib {
class Server;
}  // namespace httplib

namespace p2pmon::collector {

inline constexpr const char* kNagiosConfigFile = "p2pmon.cfg";

struct NagiosSettings {
  NagiosConfigOptions generator;  // collectorUrl empty: http:// + the HTTP listener
  std::optional<std::string> overlay;
  std::string writeDir;           // --write-nagios-config
};

// The --nagios-* options and --write-nagios-config, bound to `s`.
boost::program_options::options_description nagiosOptionDescription(NagiosSettings& s);

// Reads the database read-only and generates the text; throws std::runtime_error.
NagiosConfig nagiosConfigFromDatabase(const std::string& dbPath, const NagiosSettings& s,
                                      const std::string& collectorUrl, double now);

// --write-nagios-config: writes DIR/p2pmon.cfg when its content changed (a
// temporary file renamed over it), reports on stdout, problems on stderr.
// Returns the exit code: 0 written or unchanged, 1 on any failure.
int writeNagiosConfigCommand(const std::string& dbPath, const NagiosSettings& s,
                             const core::HostPort& httpListen);

class NagiosApi {
 public:
  // `listen` gives the HTTP listener's address (its real port once bound)
  // for the default collector URL.
  NagiosApi(NagiosSettings settings, std::string dbPath, std::function<core::HostPort()> listen);
  void install(httplib::Server& server);

 private:
  NagiosSettings settings_;
  std::string dbPath_;
  std::function<core::HostPort()> listen_;
};

}  // namespace p2pmon::collector
