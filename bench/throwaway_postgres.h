// ThrowawayPostgres: a temporary PostgreSQL cluster started and stopped with scripts/pg_tmp.sh
// (temp dir, free loopback port, unprivileged OS user, fsync off). Owns the cluster: Stop() or the
// destructor shuts it down and removes its directory, and so does the CleanupRegistry when the
// benchmark is interrupted. Move-only; one thread at a time.
#pragma once

#include <string>

#include "bench/cleanup_registry.h"
#include "common/status.h"

namespace timestore::bench {

class ThrowawayPostgres {
 public:
  // Runs `pg_tmp.sh start <state_file>`; the script's output goes to `log_path`. `cleanup` may be
  // null.
  static common::Result<ThrowawayPostgres> Start(const std::string& script,
                                                 const std::string& state_file,
                                                 const std::string& log_path,
                                                 CleanupRegistry* cleanup);

  ThrowawayPostgres(ThrowawayPostgres&& other) noexcept;
  ThrowawayPostgres& operator=(ThrowawayPostgres&&) = delete;
  ThrowawayPostgres(const ThrowawayPostgres&) = delete;
  ThrowawayPostgres& operator=(const ThrowawayPostgres&) = delete;
  ~ThrowawayPostgres();  // Stop(), error ignored

  // postgres://timestore:timestore@127.0.0.1:<port>/timestore
  const std::string& url() const { return url_; }

  // Runs `pg_tmp.sh stop <state_file>`. Idempotent; kInternal when the script fails.
  common::Status Stop();

 private:
  ThrowawayPostgres() = default;

  std::string script_;
  std::string state_file_;
  std::string log_path_;
  std::string url_;
  CleanupRegistry* cleanup_ = nullptr;
  CleanupRegistry::Id cleanup_id_ = 0;  // 0: nothing registered
  bool running_ = false;
};

}  // namespace timestore::bench
