#include "query/sql_sandbox.h"

#include <algorithm>
#include <filesystem>
#include <utility>

#include "duck/sql_quoting.h"

namespace timestore::query {
namespace {

// Attachments a sandbox keeps before it is replaced by a fresh one (each holds a file open).
constexpr size_t kMaxSandboxAttachments = 512;

}  // namespace

common::Result<std::unique_ptr<SqlSandbox>> SqlSandbox::Create(const std::set<std::string>& dirs,
                                                               const SqlSandboxOptions& options) {
  duck::DatabaseOptions db_options;
  db_options.memory_limit = options.memory_limit;
  db_options.threads = options.threads;
  TS_ASSIGN_OR_RETURN(duck::Database db, duck::Database::Open(":memory:", db_options));
  TS_ASSIGN_OR_RETURN(duck::Connection connection, duck::Connection::Open(db));
  std::string allowed;
  for (const std::string& d : dirs) {
    allowed += (allowed.empty() ? "" : ", ") + duck::QuoteLiteral(d + "/");
  }
  // The second wall (the first is CheckReadOnlySql): no file outside the partition directories,
  // no network, no extension, and no setting can be changed back afterwards.
  TS_RETURN_IF_ERROR(connection.Execute(
      "CREATE SCHEMA timestore; CREATE SCHEMA timestore_runtime; CREATE SCHEMA timestore_last; "
      "SET allowed_directories = [" +
      allowed +
      "]; SET enable_external_access = false; SET autoinstall_known_extensions = false; "
      "SET autoload_known_extensions = false; SET GLOBAL parquet_metadata_cache = true; "
      "SET lock_configuration = true;"));
  return std::make_unique<SqlSandbox>(
      SqlSandbox{.db = std::move(db), .connection = std::move(connection), .directories = dirs});
}

bool SqlSandbox::Allows(const std::string& path) const {
  for (const std::string& d : directories) {
    if (path.size() > d.size() && path.compare(0, d.size(), d) == 0 && path[d.size()] == '/') {
      return true;
    }
  }
  return false;
}

SqlSandboxPool::Lease::~Lease() {
  if (sandbox_ != nullptr) pool_->Return(std::move(sandbox_));
}

SqlSandboxPool::SqlSandboxPool(SqlSandboxOptions options,
                               const std::vector<std::string>& allowed_directories)
    : options_(std::move(options)) {
  for (const std::string& d : allowed_directories) {
    // An unset directory ("") must not become "/" - every file - in allowed_directories.
    if (d.empty()) continue;
    std::string dir = std::filesystem::path(d).lexically_normal().string();
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    directories_.insert(std::move(dir));
  }
}

common::Result<SqlSandboxPool::Lease> SqlSandboxPool::Acquire(
    std::chrono::steady_clock::time_point deadline) {
  std::set<std::string> dirs;
  {
    std::unique_lock lock(mu_);
    for (;;) {
      if (!idle_.empty()) {
        std::unique_ptr<SqlSandbox> s = std::move(idle_.back());
        idle_.pop_back();
        return Lease(this, std::move(s));
      }
      if (created_ < std::max(1, options_.sandboxes)) break;
      if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty()) {
        return common::Unavailable("every SQL sandbox stayed busy; try again later");
      }
    }
    ++created_;
    dirs = directories_;
  }
  auto sandbox = SqlSandbox::Create(dirs, options_);
  if (!sandbox.ok()) {
    std::lock_guard lock(mu_);
    --created_;
    cv_.notify_one();
    return sandbox.status();
  }
  return Lease(this, std::move(sandbox).value());
}

common::Status SqlSandboxPool::Widen(Lease& lease, const std::string& directory) {
  std::set<std::string> dirs;
  {
    std::lock_guard lock(mu_);
    directories_.insert(directory);
    dirs = directories_;
  }
  TS_ASSIGN_OR_RETURN(lease.sandbox_, SqlSandbox::Create(dirs, options_));
  return common::Status::Ok();
}

void SqlSandboxPool::Return(std::unique_ptr<SqlSandbox> sandbox) {
  std::lock_guard lock(mu_);
  if (sandbox->broken || sandbox->attachments.size() > kMaxSandboxAttachments) {
    --created_;  // dropped; a fresh one is made on demand
  } else {
    idle_.push_back(std::move(sandbox));
  }
  cv_.notify_one();
}

}  // namespace timestore::query
