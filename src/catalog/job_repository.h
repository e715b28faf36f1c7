// JobRepository: the lifecycle job queue in PostgreSQL. Any number of workers in any number of
// processes claim jobs with leases (FOR UPDATE SKIP LOCKED): a job is held by one worker at a time,
// and a job whose lease expired (its worker died) is claimable again. Every state change by a
// worker names the lease owner and fails with kConflict once the lease was lost. Thread-safe.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "catalog/pg_pool.h"
#include "catalog/types.h"
#include "common/status.h"

namespace timestore::catalog {

struct EnqueueResult {
  Job job;
  bool created = true;  // false: a pending or running job with the same dedupe key already existed
};

// How many jobs of one kind are in one status.
struct JobTotals {
  std::string kind;
  std::string status;  // JobStatusName
  int64_t count = 0;
};

struct ListJobsOptions {
  std::optional<DatasetId> dataset_id;
  std::optional<JobStatus> status;
  std::optional<std::string> kind;
  int limit = 50;
};

class JobRepository {
 public:
  explicit JobRepository(PgPool& pool) : pool_(pool) {}

  // Adds a pending job. With a dedupe key, an existing pending/running job with that key is
  // returned instead (created = false).
  common::Result<EnqueueResult> Enqueue(const NewJob& job);

  // Claims the oldest due job (pending with run_at <= now, or running with an expired lease),
  // limited to `kinds` when non-empty: status running, attempts + 1, leased to `owner` for `lease`.
  // Nothing when no job is due.
  common::Result<std::optional<Job>> Claim(const std::string& owner,
                                           std::chrono::milliseconds lease,
                                           const std::vector<std::string>& kinds = {});

  // Claims job `id` itself when it is pending (whatever its run_at) or running with an expired
  // lease, as Claim does; nothing when another worker holds it or it has finished. For running a
  // job inline, right after enqueueing it.
  common::Result<std::optional<Job>> ClaimJob(const JobId& id, const std::string& owner,
                                              std::chrono::milliseconds lease);

  // Job counts by kind and status, for one dataset or all.
  common::Result<std::vector<JobTotals>> Totals(std::optional<DatasetId> dataset_id);

  // Extends the lease. kConflict when `owner` no longer holds it.
  common::Status Heartbeat(const JobId& id, const std::string& owner,
                           std::chrono::milliseconds lease);
  // Saves resumable progress (replaces the progress document). kConflict when the lease was lost.
  common::Status SaveProgress(const JobId& id, const std::string& owner,
                              const std::string& progress_json);
  // Marks the job succeeded with its result. kConflict when the lease was lost.
  common::Result<Job> Complete(const JobId& id, const std::string& owner,
                               const std::string& result_json);
  // Records a failure: back to pending with run_at = now + retry_delay while attempts <
  // max_attempts, else terminally failed; without a retry_delay terminally failed at once (a
  // failure retrying cannot fix). The error text is kept either way. kConflict when the lease was
  // lost.
  common::Result<Job> Fail(const JobId& id, const std::string& owner, const std::string& error,
                           std::optional<std::chrono::milliseconds> retry_delay);
  // Puts a failed or cancelled job back to pending now, with its attempts reset. kNotFound for an
  // unknown job, kFailedPrecondition for a job that is pending, running or succeeded.
  common::Result<Job> Reschedule(const JobId& id);

  common::Result<Job> Get(const JobId& id);  // kNotFound when absent
  // Newest first.
  common::Result<std::vector<Job>> List(const ListJobsOptions& options);

 private:
  PgPool& pool_;
};

}  // namespace timestore::catalog
