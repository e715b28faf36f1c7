#include "duck/database.h"

#include <algorithm>
#include <cctype>
#include <memory>

#include <duckdb.h>

#include "duck/error_mapping.h"

namespace timestore::duck {
namespace {

using common::InvalidArgument;
using common::Result;
using common::Status;

struct ConfigDeleter {
  void operator()(_duckdb_config* config) const { duckdb_destroy_config(&config); }
};
using ConfigPtr = std::unique_ptr<_duckdb_config, ConfigDeleter>;

std::string Lowercase(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool HasNul(std::string_view s) { return s.find('\0') != std::string_view::npos; }

Status SetOption(duckdb_config config, const std::string& name, const std::string& value) {
  if (HasNul(name) || HasNul(value)) {
    return InvalidArgument("DuckDB option '" + name + "' contains a NUL byte");
  }
  if (duckdb_set_config(config, name.c_str(), value.c_str()) == DuckDBError) {
    return InvalidArgument("DuckDB rejected option " + name + "='" + value + "'");
  }
  return Status::Ok();
}

Status ApplyOptions(duckdb_config config, const DatabaseOptions& options) {
  for (const auto& [name, value] : options.extra) {
    const std::string key = Lowercase(name);
    if (key == "autoinstall_known_extensions" || key == "autoload_known_extensions") {
      return InvalidArgument(
          "DuckDB option '" + name +
          "' cannot be set: timestore never lets DuckDB fetch or load extensions");
    }
    TS_RETURN_IF_ERROR(SetOption(config, name, value));
  }
  TS_RETURN_IF_ERROR(SetOption(config, "autoinstall_known_extensions", "false"));
  TS_RETURN_IF_ERROR(SetOption(config, "autoload_known_extensions", "false"));
  if (options.read_only) TS_RETURN_IF_ERROR(SetOption(config, "access_mode", "READ_ONLY"));
  if (options.threads < 0) return InvalidArgument("DuckDB threads must be >= 0");
  if (options.threads > 0) {
    TS_RETURN_IF_ERROR(SetOption(config, "threads", std::to_string(options.threads)));
  }
  if (!options.memory_limit.empty()) {
    TS_RETURN_IF_ERROR(SetOption(config, "memory_limit", options.memory_limit));
  }
  return Status::Ok();
}

// TimeZone belongs to the ICU extension, which registers it only after the database is open, so it
// cannot go into the duckdb_config; it is set once, globally, through a short-lived connection.
Status SetTimeZone(duckdb_database db, std::string_view time_zone) {
  if (HasNul(time_zone)) return InvalidArgument("time zone contains a NUL byte");
  std::string sql = "SET GLOBAL TimeZone = '";
  for (char c : time_zone) {
    if (c == '\'') sql += '\'';  // a quote inside a SQL string literal is doubled
    sql += c;
  }
  sql += "'";
  duckdb_connection conn = nullptr;
  if (duckdb_connect(db, &conn) == DuckDBError) {
    return common::Internal("duckdb_connect failed while setting the time zone");
  }
  duckdb_result result;
  Status status;
  if (duckdb_query(conn, sql.c_str(), &result) == DuckDBError) {
    status = StatusFromDuckDbError(static_cast<int>(duckdb_result_error_type(&result)),
                                   duckdb_result_error(&result));
  }
  duckdb_destroy_result(&result);  // also after a failed query: it holds the error
  duckdb_disconnect(&conn);
  return status;
}

}  // namespace

Result<Database> Database::Open(std::string_view path, const DatabaseOptions& options) {
  if (HasNul(path)) return InvalidArgument("database path contains a NUL byte");
  duckdb_config raw_config = nullptr;
  if (duckdb_create_config(&raw_config) == DuckDBError) {
    return common::Internal("duckdb_create_config failed");
  }
  ConfigPtr config(raw_config);
  TS_RETURN_IF_ERROR(ApplyOptions(config.get(), options));

  const std::string path_string(path);
  duckdb_database handle = nullptr;
  char* error = nullptr;
  if (duckdb_open_ext(path_string.c_str(), &handle, config.get(), &error) == DuckDBError) {
    Status status = StatusFromDuckDbError(0, error != nullptr ? error : "duckdb_open_ext failed");
    duckdb_free(error);
    return status.WithContext("open DuckDB database '" + path_string + "'");
  }
  Database db(handle, path_string, options.read_only);
  if (!options.time_zone.empty()) {
    TS_RETURN_IF_ERROR(SetTimeZone(handle, options.time_zone).WithContext("set DuckDB time zone"));
  }
  return db;
}

Database::Database(_duckdb_database* handle, std::string path, bool read_only)
    : handle_(handle), path_(std::move(path)), read_only_(read_only) {}

Database::Database(Database&& other) noexcept
    : handle_(std::exchange(other.handle_, nullptr)),
      path_(std::move(other.path_)),
      read_only_(other.read_only_) {}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    Reset();
    handle_ = std::exchange(other.handle_, nullptr);
    path_ = std::move(other.path_);
    read_only_ = other.read_only_;
  }
  return *this;
}

Database::~Database() { Reset(); }

void Database::Reset() {
  if (handle_ != nullptr) {
    duckdb_database handle = handle_;
    duckdb_close(&handle);
    handle_ = nullptr;
  }
}

}  // namespace timestore::duck
