// ThrowawayPostgres: a temporary PostgreSQL cluster started and stopped with scripts/pg_tmp.sh
// (temp dir, free loopback port, unprivileged OS user, fsync off). Owns the cluster: Stop() or the
// destructor shuts it down and removes its directory, and so does the CleanupRegistry when the
// benchmark is interrupted. Move-only; one thread at a time.
#pragma once

#include <string>

#include "common/status.h"
#include "harness/cleanup_registry.h"
#include "harness/throwaway_service.h"

namespace timestore::harness {

class ThrowawayPostgres {
 public:
  // Runs `pg_tmp.sh start <state_file>`; the script's output goes to `log_path`. `cleanup` may be
  // null.
  static common::Result<ThrowawayPostgres> Start(const std::string& script,
                                                 const std::string& state_file,
                                                 const std::string& log_path,
                                                 CleanupRegistry* cleanup) {
    TS_ASSIGN_OR_RETURN(ThrowawayService service,
                        ThrowawayService::Start(script, state_file, log_path, cleanup));
    TS_ASSIGN_OR_RETURN(std::string url, service.Export("TIMESTORE_PG_URL"));
    return ThrowawayPostgres(std::move(service), std::move(url));
  }

  // postgres://timestore:timestore@127.0.0.1:<port>/timestore
  const std::string& url() const { return url_; }

  // Runs `pg_tmp.sh stop <state_file>`. Idempotent; kInternal when the script fails.
  common::Status Stop() { return service_.Stop(); }

 private:
  ThrowawayPostgres(ThrowawayService service, std::string url)
      : service_(std::move(service)), url_(std::move(url)) {}

  ThrowawayService service_;
  std::string url_;
};

}  // namespace timestore::harness
