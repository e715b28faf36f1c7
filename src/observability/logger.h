// Logger: a named logger that writes one JSON object per line to stderr:
//   {"time":"2024-01-01T00:00:00.123Z","level":"info","logger":"http","msg":"request",...fields}
// Loggers are cheap handles to a shared, thread-safe sink; copy them freely. InitLogging sets the
// process-wide level once at startup (before other threads log).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/log_level.h"

namespace spdlog {
class logger;
}

namespace timestore::observability {

// Extra key/value pairs of one log line, kept as ready-made JSON members.
class LogFields {
 public:
  LogFields& Add(std::string_view key, std::string_view value);
  LogFields& Add(std::string_view key, const char* value) {
    return Add(key, std::string_view(value));
  }
  LogFields& Add(std::string_view key, int64_t value);
  LogFields& Add(std::string_view key, int value) { return Add(key, static_cast<int64_t>(value)); }
  LogFields& Add(std::string_view key, uint64_t value);
  LogFields& Add(std::string_view key, double value);
  LogFields& Add(std::string_view key, bool value);
  // ",\"k\":v" for every field, in insertion order.
  const std::string& json() const { return json_; }

 private:
  void AppendKey(std::string_view key);
  std::string json_;
};

class Logger {
 public:
  Logger() = default;  // a logger that drops everything
  explicit Logger(std::shared_ptr<spdlog::logger> impl);

  void Trace(std::string_view msg, const LogFields& fields = {}) const;
  void Debug(std::string_view msg, const LogFields& fields = {}) const;
  void Info(std::string_view msg, const LogFields& fields = {}) const;
  void Warn(std::string_view msg, const LogFields& fields = {}) const;
  void Error(std::string_view msg, const LogFields& fields = {}) const;
  bool Enabled(common::LogLevel level) const;

 private:
  void Write(common::LogLevel level, std::string_view msg, const LogFields& fields) const;
  std::shared_ptr<spdlog::logger> impl_;
};

// Sets the level of every logger, existing and future. Call once at startup.
void InitLogging(common::LogLevel level);

// Returns the logger named `name` ("http", "catalog.pool"), creating it on first use. Thread-safe.
Logger GetLogger(const std::string& name);

}  // namespace timestore::observability
