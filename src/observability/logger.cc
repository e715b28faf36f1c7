#include "observability/logger.h"

#include <mutex>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "common/json_writer.h"

namespace timestore::observability {
namespace {

spdlog::level::level_enum ToSpdlog(common::LogLevel level) {
  switch (level) {
    case common::LogLevel::kTrace:
      return spdlog::level::trace;
    case common::LogLevel::kDebug:
      return spdlog::level::debug;
    case common::LogLevel::kInfo:
      return spdlog::level::info;
    case common::LogLevel::kWarn:
      return spdlog::level::warn;
    case common::LogLevel::kError:
      return spdlog::level::err;
    case common::LogLevel::kFatal:
      return spdlog::level::critical;
    case common::LogLevel::kSilent:
      return spdlog::level::off;
  }
  return spdlog::level::info;
}

std::string_view LevelName(common::LogLevel level) {
  return level == common::LogLevel::kFatal ? "fatal" : common::LogLevelName(level);
}

struct Registry {
  std::mutex mu;
  spdlog::sink_ptr sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  spdlog::level::level_enum level = spdlog::level::info;
};

Registry& GetRegistry() {
  static Registry* registry = [] {
    auto* r = new Registry();
    // The time is UTC with milliseconds; the rest of the line is composed by Logger::Write.
    r->sink->set_formatter(std::make_unique<spdlog::pattern_formatter>(
        R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ",%v)", spdlog::pattern_time_type::utc));
    return r;
  }();
  return *registry;
}

}  // namespace

LogFields& LogFields::Add(std::string_view key, std::string_view value) {
  AppendKey(key);
  common::AppendJsonString(json_, value);
  return *this;
}

LogFields& LogFields::Add(std::string_view key, int64_t value) {
  AppendKey(key);
  json_ += std::to_string(value);
  return *this;
}

LogFields& LogFields::Add(std::string_view key, uint64_t value) {
  AppendKey(key);
  json_ += std::to_string(value);
  return *this;
}

LogFields& LogFields::Add(std::string_view key, double value) {
  AppendKey(key);
  common::JsonWriter w;
  w.Double(value);
  json_ += w.str();
  return *this;
}

LogFields& LogFields::Add(std::string_view key, bool value) {
  AppendKey(key);
  json_ += value ? "true" : "false";
  return *this;
}

void LogFields::AppendKey(std::string_view key) {
  json_.push_back(',');
  common::AppendJsonString(json_, key);
  json_.push_back(':');
}

Logger::Logger(std::shared_ptr<spdlog::logger> impl) : impl_(std::move(impl)) {}

bool Logger::Enabled(common::LogLevel level) const {
  return impl_ && level != common::LogLevel::kSilent && impl_->should_log(ToSpdlog(level));
}

void Logger::Write(common::LogLevel level, std::string_view msg, const LogFields& fields) const {
  if (!Enabled(level)) return;
  std::string line;
  line.reserve(64 + msg.size() + fields.json().size());
  line += "\"level\":\"";
  line += LevelName(level);
  line += "\",\"logger\":";
  common::AppendJsonString(line, impl_->name());
  line += ",\"msg\":";
  common::AppendJsonString(line, msg);
  line += fields.json();
  line += '}';
  impl_->log(ToSpdlog(level), spdlog::string_view_t(line.data(), line.size()));
}

void Logger::Trace(std::string_view m, const LogFields& f) const {
  Write(common::LogLevel::kTrace, m, f);
}
void Logger::Debug(std::string_view m, const LogFields& f) const {
  Write(common::LogLevel::kDebug, m, f);
}
void Logger::Info(std::string_view m, const LogFields& f) const {
  Write(common::LogLevel::kInfo, m, f);
}
void Logger::Warn(std::string_view m, const LogFields& f) const {
  Write(common::LogLevel::kWarn, m, f);
}
void Logger::Error(std::string_view m, const LogFields& f) const {
  Write(common::LogLevel::kError, m, f);
}

void InitLogging(common::LogLevel level) {
  Registry& r = GetRegistry();
  std::lock_guard lock(r.mu);
  r.level = ToSpdlog(level);
  spdlog::apply_all([&](const std::shared_ptr<spdlog::logger>& l) { l->set_level(r.level); });
}

Logger GetLogger(const std::string& name) {
  Registry& r = GetRegistry();
  std::lock_guard lock(r.mu);
  const std::string& full = name;
  auto existing = spdlog::get(full);
  if (existing) return Logger(existing);
  auto logger = std::make_shared<spdlog::logger>(full, r.sink);
  logger->set_level(r.level);
  logger->flush_on(spdlog::level::warn);
  spdlog::register_logger(logger);
  return Logger(logger);
}

}  // namespace timestore::observability
