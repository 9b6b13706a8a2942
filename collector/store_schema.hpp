// The collector's SQLite schema and its migrations, versioned through
// PRAGMA user_version: each step runs once, in order, in one transaction.
#pragma once

#include "collector/sqlite_db.hpp"

namespace p2pmon::collector {

inline constexpr int kSchemaVersion = 5;

// Sets WAL mode and brings the schema to kSchemaVersion. Throws when the
// database is newer than this binary knows.
void migrate(Database& db);

}  // namespace p2pmon::collector
