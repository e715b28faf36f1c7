// LogLevel: the severity levels accepted by TIMESTORE_LOG_LEVEL (pino's names, as the original
// used).
#pragma once

#include <optional>
#include <string_view>

namespace timestore::common {

enum class LogLevel { kTrace, kDebug, kInfo, kWarn, kError, kFatal, kSilent };

// The accepted spellings, for error messages: "trace, debug, info, warn, error, fatal, silent".
inline constexpr std::string_view kLogLevelNames = "trace, debug, info, warn, error, fatal, silent";

// Parses a level name (case-insensitive); nothing when the name is not one of kLogLevelNames.
std::optional<LogLevel> ParseLogLevel(std::string_view name);
std::string_view LogLevelName(LogLevel level);

}  // namespace timestore::common
