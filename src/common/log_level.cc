#include "common/log_level.h"

#include <array>
#include <utility>

#include "common/text.h"

namespace timestore::common {
namespace {
constexpr std::array<std::pair<std::string_view, LogLevel>, 7> kLevels{{
    {"trace", LogLevel::kTrace},
    {"debug", LogLevel::kDebug},
    {"info", LogLevel::kInfo},
    {"warn", LogLevel::kWarn},
    {"error", LogLevel::kError},
    {"fatal", LogLevel::kFatal},
    {"silent", LogLevel::kSilent},
}};
}  // namespace

std::optional<LogLevel> ParseLogLevel(std::string_view name) {
  for (const auto& [n, level] : kLevels) {
    if (EqualsIgnoreCase(n, name)) return level;
  }
  return std::nullopt;
}

std::string_view LogLevelName(LogLevel level) {
  for (const auto& [n, l] : kLevels) {
    if (l == level) return n;
  }
  return "info";
}

}  // namespace timestore::common
