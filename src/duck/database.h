// Database: one open DuckDB database (a file, or ":memory:") and the owner of its duckdb_database
// handle. Open a file at most once per process and share the Database: DuckDB's file lock is a
// POSIX lock, so a second Open of the same file in the same process is NOT refused, and two
// instances writing one file lose writes. Another process holding the file makes Open fail with
// kUnavailable. Move-only; the Database may be shared by threads (each opening its own Connection).
// Connections keep the underlying instance alive, so the file stays locked until the Database and
// all its Connections are gone.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

struct _duckdb_database;  // NOLINT(bugprone-reserved-identifier): DuckDB's name

namespace timestore::duck {

struct DatabaseOptions {
  // access_mode=READ_ONLY: every write is refused, the file must exist, and other processes may
  // open the same file read-only at the same time (but not while a writer holds it). Default:
  // read-write, the file is created when missing.
  bool read_only = false;
  // Worker threads per query; 0 keeps DuckDB's default (one per core).
  int threads = 0;
  // DuckDB's memory limit, e.g. "512MB" or "2GB"; empty keeps DuckDB's default (80% of RAM).
  std::string memory_limit;
  // Session time zone used to cast TIMESTAMP <-> TIMESTAMP WITH TIME ZONE and to print the latter;
  // empty keeps DuckDB's default (the host's zone). Default "UTC", so results do not depend on the
  // host.
  std::string time_zone = "UTC";
  // Further DuckDB configuration options as (name, value), e.g. {"temp_directory", "/data/tmp"}.
  // Unknown names make Open fail. autoinstall_known_extensions and autoload_known_extensions are
  // refused.
  std::vector<std::pair<std::string, std::string>> extra;
};

class Database {
 public:
  // Opens `path` (a file path, or ":memory:" for a private in-memory database) with `options`,
  // always with autoinstall_known_extensions=false and autoload_known_extensions=false: DuckDB
  // never downloads or loads an extension on its own, so e.g. a query on an s3:// path fails at
  // once ("Missing Extension Error") instead of reaching the network. Errors carry DuckDB's
  // message: kInvalidArgument for a bad option, kUnavailable when another process holds the file,
  // kInternal for other IO errors (missing directory, a read-only open of a missing file).
  static common::Result<Database> Open(std::string_view path, const DatabaseOptions& options = {});

  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();  // closes the handle; open Connections keep the instance alive until they close

  const std::string& path() const { return path_; }
  bool read_only() const { return read_only_; }

 private:
  friend class Connection;
  Database(_duckdb_database* handle, std::string path, bool read_only);
  void Reset();

  _duckdb_database* handle_ = nullptr;  // null only in a moved-from Database
  std::string path_;
  bool read_only_ = false;
};

}  // namespace timestore::duck
