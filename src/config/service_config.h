// ServiceConfig: every TIMESTORE_* setting, parsed and validated once at startup from the
// environment and then passed down by value or const reference (no module reads the environment
// itself). Defaults follow the original Node.js service; each field documents its variable and
// default.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/log_level.h"
#include "common/status.h"

namespace timestore::config {

enum class StorageDriver { kLocal, kS3 };

struct HttpConfig {
  std::string host = "127.0.0.1";                        // TIMESTORE_HOST
  uint16_t port = 4100;                                  // TIMESTORE_PORT (0 = any free port)
  uint64_t body_limit_bytes = 64ull << 20;               // TIMESTORE_HTTP_BODY_LIMIT_BYTES
  int io_threads = 1;                                    // TIMESTORE_HTTP_IO_THREADS
  int worker_threads = 8;                                // TIMESTORE_HTTP_WORKER_THREADS
  int max_queued_requests = 1024;                        // TIMESTORE_HTTP_MAX_QUEUED_REQUESTS
  std::chrono::milliseconds header_timeout{10'000};      // TIMESTORE_HTTP_HEADER_TIMEOUT_MS
  std::chrono::milliseconds body_timeout{30'000};        // TIMESTORE_HTTP_BODY_TIMEOUT_MS
  std::chrono::milliseconds keep_alive_timeout{72'000};  // TIMESTORE_HTTP_KEEP_ALIVE_TIMEOUT_MS
  std::chrono::milliseconds shutdown_grace{10'000};      // TIMESTORE_HTTP_SHUTDOWN_GRACE_MS
};

struct PostgresConfig {
  // TIMESTORE_DATABASE_URL, else DATABASE_URL, else this default.
  std::string url = "postgres://apphub:apphub@127.0.0.1:5432/apphub";
  std::string schema = "timestore";                  // TIMESTORE_PG_SCHEMA
  int pool_max = 10;                                 // TIMESTORE_PG_POOL_MAX
  std::chrono::milliseconds connect_timeout{5'000};  // TIMESTORE_PG_CONNECT_TIMEOUT_MS
  std::chrono::milliseconds acquire_timeout{5'000};  // TIMESTORE_PG_ACQUIRE_TIMEOUT_MS
  std::chrono::milliseconds statement_timeout{
      30'000};  // TIMESTORE_PG_STATEMENT_TIMEOUT_MS (0 = none)
};

struct StorageConfig {
  StorageDriver driver = StorageDriver::kLocal;  // TIMESTORE_STORAGE_DRIVER: local | s3
  std::string root;                          // TIMESTORE_STORAGE_ROOT, default <cwd>/data/timestore
  std::string s3_bucket = "timestore-data";  // TIMESTORE_S3_BUCKET
  std::string s3_endpoint;                   // TIMESTORE_S3_ENDPOINT (empty: AWS for the region)
  std::string s3_region = "us-east-1";       // TIMESTORE_S3_REGION
  std::string s3_prefix;                     // TIMESTORE_S3_PREFIX (key prefix in the bucket)
  std::string s3_access_key_id;              // TIMESTORE_S3_ACCESS_KEY_ID
  std::string s3_secret_access_key;          // TIMESTORE_S3_SECRET_ACCESS_KEY (never logged)
  std::string s3_session_token;              // TIMESTORE_S3_SESSION_TOKEN (never logged)
  bool s3_force_path_style = true;           // TIMESTORE_S3_FORCE_PATH_STYLE
  int64_t s3_multipart_threshold_bytes = 64ll << 20;  // TIMESTORE_S3_MULTIPART_THRESHOLD_BYTES
  // TIMESTORE_CACHE_DIR: local copies of remote partition files, default <working dir>/data/cache
  // (outside the storage root, which a local target owns).
  std::string cache_dir;
  int64_t cache_max_bytes = 10ll << 30;  // TIMESTORE_CACHE_MAX_BYTES
};

enum class WriteFormat { kDuckdb, kParquet };

struct IngestConfig {
  // TIMESTORE_WRITE_FORMAT: the format of new datasets' partition files.
  WriteFormat write_format = WriteFormat::kParquet;
  std::chrono::milliseconds group_commit_window{0};  // TIMESTORE_INGEST_GROUP_COMMIT_MS
  int64_t max_rows_per_request = 1'000'000;          // TIMESTORE_INGEST_MAX_ROWS
  int64_t max_rows_per_commit = 500'000;             // TIMESTORE_INGEST_MAX_ROWS_PER_COMMIT
  int flush_concurrency = 2;                         // TIMESTORE_INGEST_FLUSH_CONCURRENCY
  int64_t small_partition_bytes = 20ll << 20;        // TIMESTORE_INGEST_SMALL_PARTITION_BYTES
  int64_t max_small_partitions = 5000;  // TIMESTORE_INGEST_MAX_SMALL_PARTITIONS (0 = off)
  // TIMESTORE_FAULT_INJECTION (tests only): "after_put" or "after_commit" kills the process there.
  std::string fault_injection_point;
};

struct QueryConfig {
  int64_t default_limit = 10'000;             // TIMESTORE_QUERY_DEFAULT_LIMIT
  int64_t max_limit = 1'000'000;              // TIMESTORE_QUERY_MAX_LIMIT
  std::chrono::milliseconds timeout{30'000};  // TIMESTORE_QUERY_TIMEOUT_MS
  int connections = 4;                        // TIMESTORE_QUERY_CONNECTIONS (queries at once)
  int threads = 0;                            // TIMESTORE_QUERY_THREADS (0 = one per core)
  std::string memory_limit;                   // TIMESTORE_QUERY_MEMORY_LIMIT ("" = DuckDB's)
  int fetch_concurrency = 4;                  // TIMESTORE_QUERY_FETCH_CONCURRENCY
  bool native_copies = true;                  // TIMESTORE_QUERY_NATIVE_COPIES
  int64_t native_min_rows = 50'000;           // TIMESTORE_QUERY_NATIVE_MIN_ROWS
};

struct SqlConfig {
  std::chrono::milliseconds timeout{30'000};  // TIMESTORE_SQL_TIMEOUT_MS
  int64_t max_length = 10'000;                // TIMESTORE_SQL_MAX_LENGTH (characters; longer: 413)
  int64_t max_rows = 10'000;                  // TIMESTORE_SQL_MAX_ROWS (more: truncated)
  std::string memory_limit = "1GB";           // TIMESTORE_SQL_MEMORY_LIMIT (per sandbox)
  int sandboxes = 2;                          // TIMESTORE_SQL_SANDBOXES (SQL reads at once)
};

// The smallest TIMESTORE_COMPACTION_MEMORY_LIMIT accepted: 64 MiB.
inline constexpr int64_t kMinCompactionMemoryLimitBytes = int64_t{64} << 20;

struct LifecycleConfig {
  bool enabled = true;                          // TIMESTORE_LIFECYCLE_ENABLED (workers + scheduler)
  int workers = 1;                              // TIMESTORE_LIFECYCLE_CONCURRENCY (0 = none)
  std::chrono::seconds interval{300};           // TIMESTORE_LIFECYCLE_INTERVAL_SECONDS
  std::chrono::seconds jitter{30};              // TIMESTORE_LIFECYCLE_JITTER_SECONDS
  bool exports_enabled = true;                  // TIMESTORE_LIFECYCLE_EXPORTS_ENABLED (scheduled)
  std::chrono::milliseconds lease{60'000};      // TIMESTORE_LIFECYCLE_LEASE_MS
  int64_t compaction_small_bytes = 20ll << 20;  // TIMESTORE_COMPACTION_SMALL_BYTES
  int64_t compaction_target_bytes = 200ll << 20;     // TIMESTORE_COMPACTION_TARGET_BYTES
  int64_t compaction_max_rows_per_step = 2'000'000;  // TIMESTORE_COMPACTION_MAX_ROWS_PER_STEP
  // TIMESTORE_COMPACTION_MEMORY_LIMIT: what compaction's merges may use at most, in bytes (bytes or
  // a size such as 512MiB; at least kMinCompactionMemoryLimitBytes). Default 256 MiB.
  int64_t compaction_memory_limit_bytes = int64_t{256} << 20;
  std::chrono::seconds export_min_interval{86'400};  // TIMESTORE_EXPORT_MIN_INTERVAL_SECONDS
  std::chrono::seconds sweep_grace{300};             // TIMESTORE_SWEEP_GRACE_SECONDS
  std::chrono::seconds sweep_orphan_age{3600};       // TIMESTORE_SWEEP_ORPHAN_AGE_SECONDS
  // TIMESTORE_FAULT_INJECTION (tests only): "compaction_before_commit" kills the process (SIGKILL)
  // after a compaction step published its output and before it commits.
  std::string fault_injection_point;
};

// The audit trail's retention: a background pass deletes older events in bounded batches. Events
// of reads (api::IsReadAuditAction) go through a bounded queue stored by a background writer; every
// other event is stored before the request answers.
struct AuditConfig {
  int64_t ttl_days = 7;                         // TIMESTORE_AUDIT_TTL_DAYS (1..3650)
  std::chrono::seconds cleanup_interval{3600};  // TIMESTORE_AUDIT_CLEANUP_INTERVAL_SECONDS (>= 1)
  // TIMESTORE_AUDIT_READ_QUEUE: read events waiting to be stored, at most (more are dropped and
  // counted); 0 stores read events synchronously, as the others.
  int64_t read_queue = 10'000;
  int64_t read_batch = 500;  // TIMESTORE_AUDIT_READ_BATCH: read events per INSERT (1..5000)
  // TIMESTORE_AUDIT_READ_SHUTDOWN_GRACE_MS: how long a graceful stop keeps retrying to store the
  // queued read events while PostgreSQL fails; then they are dropped.
  std::chrono::milliseconds read_shutdown_grace{10'000};
};

// Who may do what (api::AccessControl). The scope variables rename the scopes each permission
// needs; the admin scope passes every check.
enum class AuthMode { kNone, kHeaders, kTokens };
std::string_view AuthModeName(AuthMode mode);  // "none", "headers", "tokens"

struct AuthConfig {
  AuthMode mode = AuthMode::kNone;  // TIMESTORE_AUTH_MODE
  // TIMESTORE_ALLOW_INSECURE: lets mode none bind a non-loopback address (CheckAuthBinding).
  bool allow_insecure = false;
  // TIMESTORE_ADMIN_TOKEN (tokens mode; at least 32 characters): one more bearer token carrying
  // the admin scope, to bootstrap the first tokens. Never logged.
  std::optional<std::string> admin_token;
  std::string read_scope = "timestore:read";          // TIMESTORE_REQUIRE_SCOPE
  std::string write_scope = "timestore:write";        // TIMESTORE_REQUIRE_WRITE_SCOPE
  std::string admin_scope = "timestore:admin";        // TIMESTORE_ADMIN_SCOPE
  std::string sql_read_scope = "timestore:sql:read";  // TIMESTORE_SQL_READ_SCOPE
  std::string metrics_scope = "timestore:metrics";    // TIMESTORE_METRICS_SCOPE
};

struct ServiceConfig {
  HttpConfig http;
  PostgresConfig postgres;
  StorageConfig storage;
  IngestConfig ingest;
  QueryConfig query;
  SqlConfig sql;
  LifecycleConfig lifecycle;
  AuditConfig audit;
  AuthConfig auth;
  common::LogLevel log_level = common::LogLevel::kInfo;  // TIMESTORE_LOG_LEVEL
};

// Returns the value of an environment variable, or nothing when it is unset.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;

// Reads the real process environment.
EnvLookup ProcessEnvironment();

// Parses every variable. An empty value counts as unset. An invalid value is kInvalidArgument with
// a message that names the variable, the value and what is accepted, e.g. "TIMESTORE_PORT: 'abc' is
// not a port number (expected an integer from 0 to 65535)". `working_directory` anchors the default
// and relative storage roots.
common::Result<ServiceConfig> LoadServiceConfig(const EnvLookup& env,
                                                const std::string& working_directory);

// kInvalidArgument, saying what to set, when auth mode none would serve a non-loopback address
// without TIMESTORE_ALLOW_INSECURE=true. Checked by `serve` only: other commands bind nothing.
common::Status CheckAuthBinding(const ServiceConfig& config);

// What `serve` warns about when CheckAuthBinding let mode none serve a non-loopback address
// (TIMESTORE_ALLOW_INSECURE=true); nothing otherwise.
std::optional<std::string> InsecureBindingWarning(const ServiceConfig& config);

// True for "localhost", 127.0.0.0/8 and ::1.
bool IsLoopbackHost(std::string_view host);

// The storage driver's name as written in TIMESTORE_STORAGE_DRIVER.
std::string_view StorageDriverName(StorageDriver driver);

// A PostgreSQL URL with its password replaced by "***", safe to log.
std::string RedactDatabaseUrl(std::string_view url);

}  // namespace timestore::config
