#include "config/service_config.h"

#include <charconv>
#include <cstdlib>
#include <filesystem>

#include "common/text.h"

namespace timestore::config {
namespace {

using common::InvalidArgument;
using common::Result;
using common::Status;

// Reads one variable; empty values count as unset.
std::optional<std::string> Read(const EnvLookup& env, std::string_view name) {
  auto value = env(name);
  if (!value) return std::nullopt;
  std::string trimmed(common::TrimWhitespace(*value));
  if (trimmed.empty()) return std::nullopt;
  return trimmed;
}

Status Invalid(std::string_view name, std::string_view value, std::string_view expected) {
  std::string message(name);
  message += ": '";
  message += value;
  message += "' is not valid (expected ";
  message += expected;
  message += ")";
  return InvalidArgument(std::move(message));
}

// Parses an integer variable within [min, max] into `out`; leaves `out` alone when unset.
template <typename T>
Status ReadInteger(const EnvLookup& env, std::string_view name, int64_t min, int64_t max, T& out) {
  auto raw = Read(env, name);
  if (!raw) return Status::Ok();
  int64_t value = 0;
  const char* end = raw->data() + raw->size();
  auto [ptr, ec] = std::from_chars(raw->data(), end, value);
  if (ec != std::errc() || ptr != end || value < min || value > max) {
    return Invalid(name, *raw,
                   "an integer from " + std::to_string(min) + " to " + std::to_string(max));
  }
  out = static_cast<T>(value);
  return Status::Ok();
}

// Parses a byte size within [min, max] into `out`: an integer of bytes, or one followed by a unit
// as DuckDB writes them (case-insensitive): KB, MB, GB (powers of 1000), KiB, MiB, GiB (of 1024).
Status ReadByteSize(const EnvLookup& env, std::string_view name, int64_t min, int64_t max,
                    int64_t& out) {
  auto raw = Read(env, name);
  if (!raw) return Status::Ok();
  int64_t value = 0;
  const char* end = raw->data() + raw->size();
  auto [ptr, ec] = std::from_chars(raw->data(), end, value);
  const std::string unit = common::ToLowerAscii(common::TrimWhitespace(std::string_view(ptr, end)));
  constexpr std::pair<std::string_view, int64_t> kUnits[] = {{"", 1},
                                                             {"b", 1},
                                                             {"kb", 1'000},
                                                             {"mb", 1'000'000},
                                                             {"gb", 1'000'000'000},
                                                             {"kib", int64_t{1} << 10},
                                                             {"mib", int64_t{1} << 20},
                                                             {"gib", int64_t{1} << 30}};
  int64_t scale = 0;
  for (const auto& [name_of_unit, bytes] : kUnits) {
    if (unit == name_of_unit) scale = bytes;
  }
  const auto expected = [&] {
    return "a size from " + std::to_string(min) + " to " + std::to_string(max) +
           " bytes, as bytes or with a unit: KB, MB, GB, KiB, MiB, GiB";
  };
  if (ec != std::errc() || ptr == raw->data() || scale == 0 || value < 0 || value > max / scale ||
      value * scale < min) {
    return Invalid(name, *raw, expected());
  }
  out = value * scale;
  return Status::Ok();
}

Status ReadMillis(const EnvLookup& env, std::string_view name, int64_t min,
                  std::chrono::milliseconds& out) {
  int64_t ms = out.count();
  TS_RETURN_IF_ERROR(ReadInteger(env, name, min, 24LL * 3600 * 1000, ms));
  out = std::chrono::milliseconds(ms);
  return Status::Ok();
}

bool IsValidSchemaName(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  if (!((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_')) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return s.substr(0, 3) != "pg_";
}

bool IsValidHost(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '-' || c == ':' || c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

EnvLookup ProcessEnvironment() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

std::string_view StorageDriverName(StorageDriver driver) {
  return driver == StorageDriver::kS3 ? "s3" : "local";
}

std::string RedactDatabaseUrl(std::string_view url) {
  const auto scheme = url.find("://");
  const auto at = url.rfind('@');
  if (scheme == std::string_view::npos || at == std::string_view::npos || at < scheme) {
    return std::string(url);
  }
  const auto colon = url.find(':', scheme + 3);
  if (colon == std::string_view::npos || colon > at) return std::string(url);
  std::string out(url.substr(0, colon + 1));
  out += "***";
  out += url.substr(at);
  return out;
}

namespace {

Status ReadBool(const EnvLookup& env, std::string_view name, bool& out) {
  auto v = Read(env, name);
  if (!v) return Status::Ok();
  const std::string lower = common::ToLowerAscii(*v);
  if (lower == "true" || lower == "1") {
    out = true;
  } else if (lower == "false" || lower == "0") {
    out = false;
  } else {
    return Invalid(name, *v, "true or false");
  }
  return Status::Ok();
}

Status ReadSeconds(const EnvLookup& env, std::string_view name, int64_t min,
                   std::chrono::seconds& out) {
  int64_t v = out.count();
  Status st = ReadInteger(env, name, min, int64_t{10} * 365 * 86400, v);
  out = std::chrono::seconds(v);
  return st;
}

// TIMESTORE_HOST, TIMESTORE_PORT and TIMESTORE_HTTP_*.
Status ReadHttpConfig(const EnvLookup& env, ServiceConfig& c) {
  if (auto host = Read(env, "TIMESTORE_HOST")) {
    if (!IsValidHost(*host)) return Invalid("TIMESTORE_HOST", *host, "a host name or IP address");
    c.http.host = *host;
  }
  if (auto port = Read(env, "TIMESTORE_PORT")) {
    int64_t value = -1;
    const char* end = port->data() + port->size();
    auto [ptr, ec] = std::from_chars(port->data(), end, value);
    if (ec != std::errc() || ptr != end || value < 0 || value > 65535) {
      return InvalidArgument("TIMESTORE_PORT: '" + *port +
                             "' is not a port number (expected an integer from 0 to 65535)");
    }
    c.http.port = static_cast<uint16_t>(value);
  }
  TS_RETURN_IF_ERROR(ReadInteger(env, "TIMESTORE_HTTP_BODY_LIMIT_BYTES", 1024, int64_t{1} << 40,
                                 c.http.body_limit_bytes));
  TS_RETURN_IF_ERROR(ReadInteger(env, "TIMESTORE_HTTP_IO_THREADS", 1, 64, c.http.io_threads));
  TS_RETURN_IF_ERROR(
      ReadInteger(env, "TIMESTORE_HTTP_WORKER_THREADS", 1, 1024, c.http.worker_threads));
  TS_RETURN_IF_ERROR(ReadInteger(env, "TIMESTORE_HTTP_MAX_QUEUED_REQUESTS", 1, 1'000'000,
                                 c.http.max_queued_requests));
  TS_RETURN_IF_ERROR(ReadMillis(env, "TIMESTORE_HTTP_HEADER_TIMEOUT_MS", 1, c.http.header_timeout));
  TS_RETURN_IF_ERROR(ReadMillis(env, "TIMESTORE_HTTP_BODY_TIMEOUT_MS", 1, c.http.body_timeout));
  TS_RETURN_IF_ERROR(
      ReadMillis(env, "TIMESTORE_HTTP_KEEP_ALIVE_TIMEOUT_MS", 1, c.http.keep_alive_timeout));
  TS_RETURN_IF_ERROR(ReadMillis(env, "TIMESTORE_HTTP_SHUTDOWN_GRACE_MS", 0, c.http.shutdown_grace));
  return Status::Ok();
}

// TIMESTORE_DATABASE_URL (or DATABASE_URL) and TIMESTORE_PG_*.
Status ReadPostgresConfig(const EnvLookup& env, ServiceConfig& c) {
  if (auto url = Read(env, "TIMESTORE_DATABASE_URL")) {
    c.postgres.url = *url;
  } else if (auto fallback = Read(env, "DATABASE_URL")) {
    c.postgres.url = *fallback;
  }
  if (c.postgres.url.rfind("postgres://", 0) != 0 &&
      c.postgres.url.rfind("postgresql://", 0) != 0) {
    const bool from_fallback = !Read(env, "TIMESTORE_DATABASE_URL").has_value();
    return InvalidArgument(std::string(from_fallback ? "DATABASE_URL" : "TIMESTORE_DATABASE_URL") +
                           ": '" + RedactDatabaseUrl(c.postgres.url) +
                           "' is not valid (expected a postgres:// or postgresql:// URL)");
  }
  if (auto schema = Read(env, "TIMESTORE_PG_SCHEMA")) {
    if (!IsValidSchemaName(*schema)) {
      return Invalid("TIMESTORE_PG_SCHEMA", *schema,
                     "a lowercase identifier of letters, digits and '_', at most 63 characters, "
                     "not starting with a digit or 'pg_'");
    }
    c.postgres.schema = *schema;
  }
  TS_RETURN_IF_ERROR(ReadInteger(env, "TIMESTORE_PG_POOL_MAX", 1, 1000, c.postgres.pool_max));
  TS_RETURN_IF_ERROR(
      ReadMillis(env, "TIMESTORE_PG_CONNECT_TIMEOUT_MS", 1, c.postgres.connect_timeout));
  TS_RETURN_IF_ERROR(
      ReadMillis(env, "TIMESTORE_PG_ACQUIRE_TIMEOUT_MS", 1, c.postgres.acquire_timeout));
  TS_RETURN_IF_ERROR(
      ReadMillis(env, "TIMESTORE_PG_STATEMENT_TIMEOUT_MS", 0, c.postgres.statement_timeout));
  return Status::Ok();
}

// TIMESTORE_STORAGE_*, TIMESTORE_S3_* and TIMESTORE_CACHE_*; relative paths are under
// `working_directory`.
Status ReadStorageConfig(const EnvLookup& env, ServiceConfig& c,
                         const std::string& working_directory) {
  if (auto driver = Read(env, "TIMESTORE_STORAGE_DRIVER")) {
    const std::string lower = common::ToLowerAscii(*driver);
    if (lower == "local") {
      c.storage.driver = StorageDriver::kLocal;
    } else if (lower == "s3") {
      c.storage.driver = StorageDriver::kS3;
    } else {
      return Invalid("TIMESTORE_STORAGE_DRIVER", *driver, "one of: local, s3");
    }
  }
  std::filesystem::path root = std::filesystem::path(working_directory) / "data" / "timestore";
  if (auto r = Read(env, "TIMESTORE_STORAGE_ROOT")) {
    root = std::filesystem::path(*r);
    if (root.is_relative()) root = std::filesystem::path(working_directory) / root;
  }
  c.storage.root = root.lexically_normal().string();
  if (auto bucket = Read(env, "TIMESTORE_S3_BUCKET")) {
    // S3 bucket naming rules: 3-63 characters of lowercase letters, digits, '.', '-'.
    bool ok = bucket->size() >= 3 && bucket->size() <= 63;
    for (char ch : *bucket) {
      ok = ok && ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' || ch == '-');
    }
    if (!ok) {
      return Invalid("TIMESTORE_S3_BUCKET", *bucket,
                     "3 to 63 characters of lowercase letters, digits, '.' and '-'");
    }
    c.storage.s3_bucket = *bucket;
  }

  if (auto v = Read(env, "TIMESTORE_S3_ENDPOINT")) {
    if (v->rfind("http://", 0) != 0 && v->rfind("https://", 0) != 0) {
      return Invalid("TIMESTORE_S3_ENDPOINT", *v, "an http:// or https:// URL");
    }
    c.storage.s3_endpoint = *v;
  }
  if (auto v = Read(env, "TIMESTORE_S3_REGION")) c.storage.s3_region = *v;
  if (auto v = Read(env, "TIMESTORE_S3_PREFIX")) c.storage.s3_prefix = *v;
  if (auto v = Read(env, "TIMESTORE_S3_ACCESS_KEY_ID")) c.storage.s3_access_key_id = *v;
  if (auto v = Read(env, "TIMESTORE_S3_SECRET_ACCESS_KEY")) c.storage.s3_secret_access_key = *v;
  if (auto v = Read(env, "TIMESTORE_S3_SESSION_TOKEN")) c.storage.s3_session_token = *v;
  TS_RETURN_IF_ERROR(ReadBool(env, "TIMESTORE_S3_FORCE_PATH_STYLE", c.storage.s3_force_path_style));
  TS_RETURN_IF_ERROR(ReadInteger(env, "TIMESTORE_S3_MULTIPART_THRESHOLD_BYTES", 5ll << 20,
                                 int64_t{5} << 40, c.storage.s3_multipart_threshold_bytes));

  std::filesystem::path cache = std::filesystem::path(working_directory) / "data" / "cache";
  if (auto v = Read(env, "TIMESTORE_CACHE_DIR")) {
    cache = std::filesystem::path(*v);
    if (cache.is_relative()) cache = std::filesystem::path(working_directory) / cache;
  }
  c.storage.cache_dir = cache.lexically_normal().string();
  TS_RETURN_IF_ERROR(ReadInteger(env, "TIMESTORE_CACHE_MAX_BYTES", 0, int64_t{1} << 50,
                                 c.storage.cache_max_bytes));
  return Status::Ok();
}

// TIMESTORE_WRITE_FORMAT, TIMESTORE_INGEST_* and TIMESTORE_FAULT_INJECTION.
Status ReadIngestConfig(const EnvLookup& env, ServiceConfig& c) {
  if (auto format = Read(env, "TIMESTORE_WRITE_FORMAT")) {
    const std::string lower = common::ToLowerAscii(*format);
    if (lower == "duckdb") {
      c.ingest.write_format = WriteFormat::kDuckdb;
    } else if (lower == "parquet") {
      c.ingest.write_format = WriteFormat::kParquet;
    } else {
      return Invalid("TIMESTORE_WRITE_FORMAT", *format, "one of: duckdb, parquet");
    }
  }
  TS_RETURN_IF_ERROR(
      ReadMillis(env, "TIMESTORE_INGEST_GROUP_COMMIT_MS", 0, c.ingest.group_commit_window));
  TS_RETURN_IF_ERROR(
      ReadInteger(env, "TIMESTORE_INGEST_MAX_ROWS", 1, 100'000'000, c.ingest.max_rows_per_request));
  TS_RETURN_IF_ERROR(ReadInteger(env, "TIMESTORE_INGEST_MAX_ROWS_PER_COMMIT", 1, 100'000'000,
                                 c.ingest.max_rows_per_commit));
  TS_RETURN_IF_ERROR(
      ReadInteger(env, "TIMESTORE_INGEST_FLUSH_CONCURRENCY", 1, 64, c.ingest.flush_concurrency));
  TS_RETURN_IF_ERROR(ReadInteger(env, "TIMESTORE_INGEST_SMALL_PARTITION_BYTES", 0, int64_t{1} << 40,
                                 c.ingest.small_partition_bytes));
  TS_RETURN_IF_ERROR(ReadInteger(env, "TIMESTORE_INGEST_MAX_SMALL_PARTITIONS", 0, 100'000'000,
                                 c.ingest.max_small_partitions));
  if (auto fault = Read(env, "TIMESTORE_FAULT_INJECTION")) {
    if (*fault == "after_put" || *fault == "after_commit") {
      c.ingest.fault_injection_point = *fault;
    } else if (*fault == "compaction_before_commit") {
      c.lifecycle.fault_injection_point = *fault;
    } else {
      return Invalid("TIMESTORE_FAULT_INJECTION", *fault,
                     "one of: after_put, after_commit, compaction_before_commit");
    }
  }
  return Status::Ok();
}

// TIMESTORE_QUERY_* and TIMESTORE_SQL_*.
Status ReadQueryConfig(const EnvLookup& env, ServiceConfig& c) {
  TS_RETURN_IF_ERROR(
      ReadInteger(env, "TIMESTORE_QUERY_DEFAULT_LIMIT", 1, 100'000'000, c.query.default_limit));
  TS_RETURN_IF_ERROR(
      ReadInteger(env, "TIMESTORE_QUERY_MAX_LIMIT", 1, 100'000'000, c.query.max_limit));
  if (c.query.default_limit > c.query.max_limit) {
    return Invalid("TIMESTORE_QUERY_DEFAULT_LIMIT", std::to_string(c.query.default_limit),
                   "at most TIMESTORE_QUERY_MAX_LIMIT (" + std::to_string(c.query.max_limit) + ")");
  }
  TS_RETURN_IF_ERROR(ReadMillis(env, "TIMESTORE_QUERY_TIMEOUT_MS", 1, c.query.timeout));
  TS_RETURN_IF_ERROR(ReadInteger(env, "TIMESTORE_QUERY_CONNECTIONS", 1, 256, c.query.connections));
  TS_RETURN_IF_ERROR(ReadInteger(env, "TIMESTORE_QUERY_THREADS", 0, 1024, c.query.threads));
  if (auto v = Read(env, "TIMESTORE_QUERY_MEMORY_LIMIT")) c.query.memory_limit = *v;
  TS_RETURN_IF_ERROR(
      ReadInteger(env, "TIMESTORE_QUERY_FETCH_CONCURRENCY", 1, 64, c.query.fetch_concurrency));
  TS_RETURN_IF_ERROR(ReadBool(env, "TIMESTORE_QUERY_NATIVE_COPIES", c.query.native_copies));
  TS_RETURN_IF_ERROR(ReadInteger(env, "TIMESTORE_QUERY_NATIVE_MIN_ROWS", int64_t{1},
                                 int64_t{1} << 40, c.query.native_min_rows));
  TS_RETURN_IF_ERROR(ReadMillis(env, "TIMESTORE_SQL_TIMEOUT_MS", 1, c.sql.timeout));
  TS_RETURN_IF_ERROR(ReadInteger(env, "TIMESTORE_SQL_MAX_LENGTH", 1, 1 << 20, c.sql.max_length));
  TS_RETURN_IF_ERROR(ReadInteger(env, "TIMESTORE_SQL_MAX_ROWS", 1, 100'000'000, c.sql.max_rows));
  if (auto v = Read(env, "TIMESTORE_SQL_MEMORY_LIMIT")) c.sql.memory_limit = *v;
  TS_RETURN_IF_ERROR(ReadInteger(env, "TIMESTORE_SQL_SANDBOXES", 1, 64, c.sql.sandboxes));
  return Status::Ok();
}

// TIMESTORE_LIFECYCLE_*, TIMESTORE_COMPACTION_*, TIMESTORE_EXPORT_* and TIMESTORE_SWEEP_*.
Status ReadLifecycleConfig(const EnvLookup& env, ServiceConfig& c) {
  TS_RETURN_IF_ERROR(ReadBool(env, "TIMESTORE_LIFECYCLE_ENABLED", c.lifecycle.enabled));
  TS_RETURN_IF_ERROR(
      ReadInteger(env, "TIMESTORE_LIFECYCLE_CONCURRENCY", 0, 64, c.lifecycle.workers));
  TS_RETURN_IF_ERROR(
      ReadSeconds(env, "TIMESTORE_LIFECYCLE_INTERVAL_SECONDS", 1, c.lifecycle.interval));
  TS_RETURN_IF_ERROR(ReadSeconds(env, "TIMESTORE_LIFECYCLE_JITTER_SECONDS", 0, c.lifecycle.jitter));
  TS_RETURN_IF_ERROR(
      ReadBool(env, "TIMESTORE_LIFECYCLE_EXPORTS_ENABLED", c.lifecycle.exports_enabled));
  TS_RETURN_IF_ERROR(ReadMillis(env, "TIMESTORE_LIFECYCLE_LEASE_MS", 1000, c.lifecycle.lease));
  TS_RETURN_IF_ERROR(ReadInteger(env, "TIMESTORE_COMPACTION_SMALL_BYTES", 1, int64_t{1} << 40,
                                 c.lifecycle.compaction_small_bytes));
  TS_RETURN_IF_ERROR(ReadInteger(env, "TIMESTORE_COMPACTION_TARGET_BYTES", 1, int64_t{1} << 42,
                                 c.lifecycle.compaction_target_bytes));
  TS_RETURN_IF_ERROR(ReadInteger(env, "TIMESTORE_COMPACTION_MAX_ROWS_PER_STEP", 1, int64_t{1} << 40,
                                 c.lifecycle.compaction_max_rows_per_step));
  TS_RETURN_IF_ERROR(ReadByteSize(env, "TIMESTORE_COMPACTION_MEMORY_LIMIT",
                                  kMinCompactionMemoryLimitBytes, int64_t{1} << 50,
                                  c.lifecycle.compaction_memory_limit_bytes));
  TS_RETURN_IF_ERROR(ReadSeconds(env, "TIMESTORE_EXPORT_MIN_INTERVAL_SECONDS", 0,
                                 c.lifecycle.export_min_interval));
  TS_RETURN_IF_ERROR(ReadSeconds(env, "TIMESTORE_SWEEP_GRACE_SECONDS", 0, c.lifecycle.sweep_grace));
  TS_RETURN_IF_ERROR(
      ReadSeconds(env, "TIMESTORE_SWEEP_ORPHAN_AGE_SECONDS", 0, c.lifecycle.sweep_orphan_age));
  return Status::Ok();
}

// TIMESTORE_AUDIT_*.
Status ReadAuditConfig(const EnvLookup& env, ServiceConfig& c) {
  TS_RETURN_IF_ERROR(ReadInteger(env, "TIMESTORE_AUDIT_TTL_DAYS", 1, 3650, c.audit.ttl_days));
  TS_RETURN_IF_ERROR(
      ReadSeconds(env, "TIMESTORE_AUDIT_CLEANUP_INTERVAL_SECONDS", 1, c.audit.cleanup_interval));
  TS_RETURN_IF_ERROR(
      ReadInteger(env, "TIMESTORE_AUDIT_READ_QUEUE", 0, 10'000'000, c.audit.read_queue));
  TS_RETURN_IF_ERROR(ReadInteger(env, "TIMESTORE_AUDIT_READ_BATCH", 1, 5000, c.audit.read_batch));
  return ReadMillis(env, "TIMESTORE_AUDIT_READ_SHUTDOWN_GRACE_MS", 0, c.audit.read_shutdown_grace);
}

// TIMESTORE_AUTH_MODE, the tokens and scopes, and TIMESTORE_LOG_LEVEL.
Status ReadAccessConfig(const EnvLookup& env, ServiceConfig& c) {
  if (auto mode = Read(env, "TIMESTORE_AUTH_MODE")) {
    if (*mode == "none") {
      c.auth.mode = AuthMode::kNone;
    } else if (*mode == "headers") {
      c.auth.mode = AuthMode::kHeaders;
    } else if (*mode == "tokens") {
      c.auth.mode = AuthMode::kTokens;
    } else {
      return Invalid("TIMESTORE_AUTH_MODE", *mode, "one of: none, headers, tokens");
    }
  }
  TS_RETURN_IF_ERROR(ReadBool(env, "TIMESTORE_ALLOW_INSECURE", c.auth.allow_insecure));
  if (auto token = Read(env, "TIMESTORE_ADMIN_TOKEN")) {
    // Not echoed: the value is a secret.
    if (token->size() < 32 || token->size() > 512 ||
        token->find_first_of(" \t\r\n") != std::string::npos) {
      return InvalidArgument(
          "TIMESTORE_ADMIN_TOKEN: must be 32 to 512 characters without whitespace (the value is "
          "not shown)");
    }
    c.auth.admin_token = std::move(*token);
  }
  for (auto [name, out] : {std::pair{"TIMESTORE_REQUIRE_SCOPE", &c.auth.read_scope},
                           std::pair{"TIMESTORE_REQUIRE_WRITE_SCOPE", &c.auth.write_scope},
                           std::pair{"TIMESTORE_ADMIN_SCOPE", &c.auth.admin_scope},
                           std::pair{"TIMESTORE_SQL_READ_SCOPE", &c.auth.sql_read_scope},
                           std::pair{"TIMESTORE_METRICS_SCOPE", &c.auth.metrics_scope}}) {
    if (auto scope = Read(env, name)) {
      if (scope->size() > 200 || scope->find_first_of(", \t\r\n") != std::string::npos) {
        return Invalid(name, *scope, "one scope name, without commas or whitespace");
      }
      *out = std::move(*scope);
    }
  }

  if (auto level = Read(env, "TIMESTORE_LOG_LEVEL")) {
    auto parsed = common::ParseLogLevel(*level);
    if (!parsed) {
      return Invalid("TIMESTORE_LOG_LEVEL", *level,
                     std::string("one of: ") + std::string(common::kLogLevelNames));
    }
    c.log_level = *parsed;
  }
  return Status::Ok();
}

}  // namespace

Result<ServiceConfig> LoadServiceConfig(const EnvLookup& env,
                                        const std::string& working_directory) {
  // Section by section, in this order: the first invalid variable is the one reported.
  ServiceConfig c;
  TS_RETURN_IF_ERROR(ReadHttpConfig(env, c));
  TS_RETURN_IF_ERROR(ReadPostgresConfig(env, c));
  TS_RETURN_IF_ERROR(ReadStorageConfig(env, c, working_directory));
  TS_RETURN_IF_ERROR(ReadIngestConfig(env, c));
  TS_RETURN_IF_ERROR(ReadQueryConfig(env, c));
  TS_RETURN_IF_ERROR(ReadLifecycleConfig(env, c));
  TS_RETURN_IF_ERROR(ReadAuditConfig(env, c));
  TS_RETURN_IF_ERROR(ReadAccessConfig(env, c));
  return c;
}

std::string_view AuthModeName(AuthMode mode) {
  switch (mode) {
    case AuthMode::kNone:
      return "none";
    case AuthMode::kHeaders:
      return "headers";
    case AuthMode::kTokens:
      return "tokens";
  }
  return "none";
}

bool IsLoopbackHost(std::string_view host) {
  if (host == "localhost" || host == "::1" || host == "[::1]") return true;
  if (!host.starts_with("127.")) return false;
  int dots = 0;
  for (char ch : host) {
    if (ch == '.') {
      ++dots;
    } else if (ch < '0' || ch > '9') {
      return false;
    }
  }
  return dots == 3;
}

std::optional<std::string> InsecureBindingWarning(const ServiceConfig& config) {
  if (config.auth.mode != AuthMode::kNone || IsLoopbackHost(config.http.host)) return std::nullopt;
  return "serving " + config.http.host +
         " without access control (TIMESTORE_AUTH_MODE=none, TIMESTORE_ALLOW_INSECURE=true): "
         "anyone who can reach it may read, write and administer every dataset";
}

common::Status CheckAuthBinding(const ServiceConfig& config) {
  if (config.auth.mode != AuthMode::kNone || config.auth.allow_insecure ||
      IsLoopbackHost(config.http.host)) {
    return Status::Ok();
  }
  return InvalidArgument("refusing to serve " + config.http.host +
                         " with TIMESTORE_AUTH_MODE=none: anyone who can reach it could read, "
                         "write and administer every dataset. Set TIMESTORE_AUTH_MODE=tokens (or "
                         "headers behind a gateway that sets x-iam-scopes), bind a loopback "
                         "TIMESTORE_HOST, or set TIMESTORE_ALLOW_INSECURE=true to accept the risk");
}

}  // namespace timestore::config
