// SqlSandbox: one DuckDB instance of its own for caller SQL, locked down at creation (no file
// outside its directories, no network, no extension, configuration locked), with the views and
// attachments the runtime defined in it. SqlSandboxPool lends sandboxes, one request at a time
// each, creates them on demand up to a bound and drops broken ones. The pool is thread-safe; a
// sandbox belongs to the lease holding it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/status.h"
#include "duck/connection.h"
#include "duck/database.h"
#include "duck/prepared_statement.h"

namespace timestore::query {

struct SqlSandboxOptions {
  std::string memory_limit = "1GB";  // per sandbox
  int threads = 0;                   // DuckDB threads per sandbox; 0 = one per core
  int sandboxes = 2;                 // sandboxes in existence at most (at least 1)
};

struct SqlSandbox {
  // An in-memory instance whose statements may read files only under `dirs` (absolute, no
  // trailing '/'), with the schemas timestore and timestore_runtime.
  static common::Result<std::unique_ptr<SqlSandbox>> Create(const std::set<std::string>& dirs,
                                                            const SqlSandboxOptions& options);

  // True when `path` lies strictly under one of `directories`.
  bool Allows(const std::string& path) const;

  duck::Database db;
  duck::Connection connection;
  // CheckReadOnlySql's statement, prepared on `connection` the first time it is needed.
  std::optional<duck::PreparedStatement> sql_serializer{};
  std::set<std::string> directories;
  std::map<std::string, std::string> views{};        // slug -> definition signature
  std::map<std::string, std::string> attachments{};  // DuckDB file path -> catalog alias
  std::map<std::string, std::set<std::string>> view_attachments{};  // slug -> DuckDB files it reads
  // Last values (sql_last_values.h), per "<slug>/<key>": the per-partition tables kept, and the
  // signature of the view over them.
  std::map<std::string, std::set<std::string>> last_value_tables{};
  std::map<std::string, std::string> last_value_views{};
  // When each attached file was last read (a counter, `use_clock`): the least recently read of
  // the attachments no view reads are detached first.
  std::map<std::string, uint64_t> attachment_last_use{};
  uint64_t use_clock = 0;
  uint64_t next_alias = 1;  // attachments are "ts_file_<n>"
  bool broken = false;      // replaced instead of reused
};

class SqlSandboxPool {
 public:
  // Holds a sandbox and gives it back to the pool when destroyed.
  class Lease {
   public:
    Lease(SqlSandboxPool* pool, std::unique_ptr<SqlSandbox> sandbox)
        : pool_(pool), sandbox_(std::move(sandbox)) {}
    Lease(Lease&& other) noexcept : pool_(other.pool_), sandbox_(std::move(other.sandbox_)) {}
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();
    SqlSandbox& operator*() { return *sandbox_; }
    SqlSandbox* operator->() { return sandbox_.get(); }

   private:
    friend class SqlSandboxPool;
    SqlSandboxPool* pool_;
    std::unique_ptr<SqlSandbox> sandbox_;
  };

  // `allowed_directories`: where partition files may live; "" entries are ignored (never "/").
  SqlSandboxPool(SqlSandboxOptions options, const std::vector<std::string>& allowed_directories);
  SqlSandboxPool(const SqlSandboxPool&) = delete;
  SqlSandboxPool& operator=(const SqlSandboxPool&) = delete;

  // An idle sandbox, or a new one while fewer than options.sandboxes exist; otherwise waits.
  // kUnavailable when every sandbox stayed busy until `deadline`; DuckDB's error when creating
  // one failed.
  common::Result<Lease> Acquire(std::chrono::steady_clock::time_point deadline);

  // Lets sandboxes read `directory` from now on (a storage target added since they were made) and
  // replaces the lease's sandbox by a fresh one that can (the old one is destroyed).
  common::Status Widen(Lease& lease, const std::string& directory);

 private:
  void Return(std::unique_ptr<SqlSandbox> sandbox);

  const SqlSandboxOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<SqlSandbox>> idle_;  // guarded by mu_
  int created_ = 0;                                // guarded by mu_; sandboxes in existence
  std::set<std::string> directories_;              // guarded by mu_; allowed in new sandboxes
};

}  // namespace timestore::query
