// Gathers the Nagios generator's input (nagios_config.hpp) from the
// collector's database: hosts and services from `current`, each service's
// interval from the spacing of its newest results (the (service_id, time)
// index), peers' addresses and SIP ports from the stored crawls.
#pragma once

#include <optional>
#include <string>

#include "collector/nagios_config.hpp"
#include "collector/sqlite_db.hpp"

namespace p2pmon::collector {

// `overlay`: the peers of that overlay's crawls; none: of the overlay of the
// newest crawl. Throws std::runtime_error when the database cannot be read
// or its schema is not the current one.
NagiosInventory readNagiosInventory(Database& db, const std::optional<std::string>& overlay);

}  // namespace p2pmon::collector
