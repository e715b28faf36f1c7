#include "query/query_engine.h"

#include <utility>

#include "duck/sql_quoting.h"

namespace timestore::query {

common::Result<std::unique_ptr<QueryEngine>> QueryEngine::Open(const QueryEngineOptions& options) {
  duck::DatabaseOptions db_options;
  db_options.threads = options.threads;
  db_options.memory_limit = options.memory_limit;
  if (!options.temp_directory.empty()) {
    db_options.extra.emplace_back("temp_directory", options.temp_directory);
  }
  TS_ASSIGN_OR_RETURN(duck::Database db, duck::Database::Open(":memory:", db_options));
  std::unique_ptr<QueryEngine> engine(new QueryEngine(std::move(db), options.max_attachments));
  for (int i = 0; i < std::max(1, options.connections); ++i) {
    TS_ASSIGN_OR_RETURN(duck::Connection c, duck::Connection::Open(engine->db_));
    if (i == 0) {
      // Parquet footers are read once per file and kept (files are immutable, so never stale).
      // An extension setting: unknown to the config at open, so set it globally here.
      TS_RETURN_IF_ERROR(c.Execute("SET GLOBAL parquet_metadata_cache = true"));
    }
    engine->idle_.push_back(std::make_unique<duck::Connection>(std::move(c)));
  }
  return engine;
}

common::Result<QueryEngine::Lease> QueryEngine::Acquire(Clock::time_point deadline) {
  std::unique_lock lock(pool_mu_);
  if (!pool_cv_.wait_until(lock, deadline, [&] { return !idle_.empty(); })) {
    return common::Unavailable("all query connections are busy; try again later");
  }
  std::unique_ptr<duck::Connection> c = std::move(idle_.back());
  idle_.pop_back();
  return Lease(this, std::move(c));
}

void QueryEngine::Return(std::unique_ptr<duck::Connection> connection) {
  {
    std::lock_guard lock(pool_mu_);
    idle_.push_back(std::move(connection));
  }
  pool_cv_.notify_one();
}

QueryEngine::Lease::Lease(Lease&& other) noexcept
    : engine_(other.engine_), connection_(std::move(other.connection_)) {}

QueryEngine::Lease::~Lease() {
  if (connection_ != nullptr) engine_->Return(std::move(connection_));
}

common::Result<QueryEngine::Attachment> QueryEngine::Attach(duck::Connection& connection,
                                                            const std::string& path) {
  std::lock_guard lock(attach_mu_);
  auto it = attached_.find(path);
  if (it == attached_.end()) {
    const std::string alias = "ts_file_" + std::to_string(next_alias_++);
    TS_RETURN_IF_ERROR(connection.Execute("ATTACH " + duck::QuoteLiteral(path) + " AS " +
                                          duck::QuoteIdent(alias) + " (READ_ONLY)"));
    it = attached_.emplace(path, AttachedFile{alias, 0, unpinned_.end()}).first;
  } else if (it->second.pins == 0) {
    unpinned_.erase(it->second.lru);
  }
  ++it->second.pins;
  // Detach the least recently used unpinned files above the bound.
  while (unpinned_.size() > max_attachments_) {
    auto victim = attached_.find(unpinned_.front());
    unpinned_.pop_front();
    if (!connection.Execute("DETACH " + duck::QuoteIdent(victim->second.alias)).ok()) {
      // Still attached: it stays unpinned and is tried again with the next attachment.
      unpinned_.push_back(victim->first);
      victim->second.lru = std::prev(unpinned_.end());
      break;
    }
    attached_.erase(victim);
  }
  return Attachment(this, path, it->second.alias);
}

void QueryEngine::Unpin(const std::string& path) {
  std::lock_guard lock(attach_mu_);
  auto it = attached_.find(path);
  if (it == attached_.end() || it->second.pins == 0) return;
  if (--it->second.pins == 0) {
    unpinned_.push_back(path);
    it->second.lru = std::prev(unpinned_.end());
  }
}

QueryEngine::Attachment::Attachment(Attachment&& other) noexcept
    : engine_(std::exchange(other.engine_, nullptr)),
      path_(std::move(other.path_)),
      alias_(std::move(other.alias_)) {}

QueryEngine::Attachment::~Attachment() {
  if (engine_ != nullptr) engine_->Unpin(path_);
}

}  // namespace timestore::query
