// Process-wide logging to stderr with levels; one line per message, safe to
// call from any thread. Daemons log, plugins do not (their stdout is the result).
#pragma once

#include <string_view>

namespace p2pmon::core {

enum class LogLevel { Debug = 0, Info = 1, Warning = 2, Error = 3, Off = 4 };

void setLogLevel(LogLevel level);
LogLevel logLevel();
bool parseLogLevel(std::string_view text, LogLevel& out);
void log(LogLevel level, std::string_view message);

inline void logDebug(std::string_view m) { log(LogLevel::Debug, m); }
inline void logInfo(std::string_view m) { log(LogLevel::Info, m); }
inline void logWarning(std::string_view m) { log(LogLevel::Warning, m); }
inline void logError(std::string_view m) { log(LogLevel::Error, m); }

}  // namespace p2pmon::core
