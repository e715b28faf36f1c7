// QueryEngine: the DuckDB side of the read path, shared by every query of the process. One
// in-memory DuckDB instance (its Parquet metadata cache stays warm across requests), a bounded pool
// of connections that queries borrow, the read-only attachments of DuckDB-format partition files
// (reused across requests, detached least recently used first when above a bound, never while a
// query uses them) and the deadline watchdog. Thread-safe; outlives every Lease and Attachment.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/status.h"
#include "duck/connection.h"
#include "duck/database.h"
#include "query/deadline_watchdog.h"

namespace timestore::query {

struct QueryEngineOptions {
  int connections = 4;           // queries that run at once; more wait for a free connection
  int threads = 0;               // DuckDB worker threads; 0 = one per core
  std::string memory_limit;      // DuckDB memory limit ("4GB"); empty = DuckDB's default
  size_t max_attachments = 256;  // attached DuckDB files kept open when unused
  // Where DuckDB spills large sorts and aggregates; empty: DuckDB's default (".tmp" in the working
  // directory).
  std::string temp_directory;
};

class QueryEngine {
 public:
  using Clock = std::chrono::steady_clock;

  static common::Result<std::unique_ptr<QueryEngine>> Open(const QueryEngineOptions& options);
  QueryEngine(const QueryEngine&) = delete;
  QueryEngine& operator=(const QueryEngine&) = delete;

  // A borrowed connection, returned to the pool when the lease goes. Move-only.
  class Lease {
   public:
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&& other) noexcept = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();
    duck::Connection& connection() { return *connection_; }

   private:
    friend class QueryEngine;
    Lease(QueryEngine* engine, std::unique_ptr<duck::Connection> connection)
        : engine_(engine), connection_(std::move(connection)) {}
    QueryEngine* engine_;
    std::unique_ptr<duck::Connection> connection_;  // null in a moved-from lease
  };

  // Waits for a free connection until `deadline`; kUnavailable ("all query connections are busy")
  // when none came free in time.
  common::Result<Lease> Acquire(Clock::time_point deadline);

  // A pinned read-only attachment of the DuckDB file at `path`: `alias()` names its catalog in SQL
  // run on any connection of this engine while the handle lives. Move-only.
  class Attachment {
   public:
    Attachment(Attachment&& other) noexcept;
    Attachment& operator=(Attachment&& other) noexcept = delete;
    Attachment(const Attachment&) = delete;
    Attachment& operator=(const Attachment&) = delete;
    ~Attachment();
    const std::string& alias() const { return alias_; }

   private:
    friend class QueryEngine;
    Attachment(QueryEngine* engine, std::string path, std::string alias)
        : engine_(engine), path_(std::move(path)), alias_(std::move(alias)) {}
    QueryEngine* engine_;  // null in a moved-from handle
    std::string path_;
    std::string alias_;
  };

  // Attaches `path` read-only (or reuses its attachment) through `connection`. Errors are DuckDB's
  // (a missing or corrupt file).
  common::Result<Attachment> Attach(duck::Connection& connection, const std::string& path);

  DeadlineWatchdog& watchdog() { return watchdog_; }

 private:
  QueryEngine(duck::Database db, size_t max_attachments)
      : db_(std::move(db)), max_attachments_(max_attachments) {}
  void Return(std::unique_ptr<duck::Connection> connection);
  void Unpin(const std::string& path);

  duck::Database db_;
  const size_t max_attachments_;

  std::mutex pool_mu_;
  std::condition_variable pool_cv_;
  std::vector<std::unique_ptr<duck::Connection>> idle_;  // guarded by pool_mu_

  struct AttachedFile {
    std::string alias;
    int pins = 0;
    std::list<std::string>::iterator lru;  // in unpinned_ when pins == 0
  };
  std::mutex attach_mu_;
  std::map<std::string, AttachedFile> attached_;  // guarded by attach_mu_; by path
  std::list<std::string> unpinned_;               // guarded by attach_mu_; front = oldest
  uint64_t next_alias_ = 1;                       // guarded by attach_mu_

  DeadlineWatchdog watchdog_;
};

}  // namespace timestore::query
