#include "catalog/job_repository.h"

#include "catalog/rows.h"

namespace timestore::catalog {

using common::Result;
using common::Status;

namespace {

const std::string& JobColumns() {
  static const std::string kColumns(rows::kJobColumns);
  return kColumns;
}

Status LeaseLost(const JobId& id, const std::string& owner) {
  return common::Conflict("job " + id.value() + " is no longer leased to " + owner);
}

}  // namespace

Result<EnqueueResult> JobRepository::Enqueue(const NewJob& job) {
  PgParams params;
  params.Add(job.kind);
  if (job.dataset_id) {
    params.Add(job.dataset_id->value());
  } else {
    params.AddNull();
  }
  params.Add(job.payload_json).Add(job.run_at).Add(job.dedupe_key).Add(job.max_attempts);
  TS_ASSIGN_OR_RETURN(PgLease lease, pool_.Acquire());
  // A duplicate can finish between the insert and the lookup; then the insert is tried again.
  for (int attempt = 0; attempt < 3; ++attempt) {
    // The partial unique index on active dedupe keys turns a concurrent duplicate into a no-op.
    TS_ASSIGN_OR_RETURN(
        PgResult res,
        lease->Exec(
            "INSERT INTO lifecycle_jobs (kind, dataset_id, payload, run_at, dedupe_key, "
            "max_attempts) VALUES ($1, $2, $3::jsonb, coalesce(" TS_FROM_MICROS(
                "$4") ", now()), "
                      "$5, $6) ON CONFLICT (dedupe_key) WHERE status IN ('pending', 'running') "
                      "AND dedupe_key IS NOT NULL DO NOTHING RETURNING " +
                JobColumns(),
            params));
    if (res.rows() == 1) return EnqueueResult{rows::ReadJob(res, 0), true};
    TS_ASSIGN_OR_RETURN(PgResult existing,
                        lease->Exec("SELECT " + JobColumns() +
                                        " FROM lifecycle_jobs WHERE dedupe_key = $1 AND "
                                        "status IN ('pending', 'running')",
                                    PgParams().Add(job.dedupe_key)));
    if (existing.rows() == 1) return EnqueueResult{rows::ReadJob(existing, 0), false};
  }
  return common::Conflict("job with dedupe key '" + job.dedupe_key.value_or("") +
                          "' keeps changing state; try again");
}

Result<std::optional<Job>> JobRepository::Claim(const std::string& owner,
                                                std::chrono::milliseconds lease_for,
                                                const std::vector<std::string>& kinds) {
  TS_ASSIGN_OR_RETURN(PgLease lease, pool_.Acquire());
  PgParams params;
  params.Add(owner).Add(static_cast<int64_t>(lease_for.count()));
  std::string kind_filter;
  if (!kinds.empty()) {
    params.AddTextArray(kinds);
    kind_filter = " AND kind = ANY($3::text[])";
  }
  TS_ASSIGN_OR_RETURN(
      PgResult res, lease->Exec("UPDATE lifecycle_jobs SET status = 'running', lease_owner = $1, "
                                "lease_expires_at = now() + $2::bigint * interval '1 millisecond', "
                                "attempts = attempts + 1, started_at = now(), updated_at = now() "
                                "WHERE id = (SELECT id FROM lifecycle_jobs WHERE "
                                "((status = 'pending' AND run_at <= now()) OR "
                                " (status = 'running' AND lease_expires_at < now()))" +
                                    kind_filter +
                                    " ORDER BY run_at, created_at FOR UPDATE SKIP LOCKED LIMIT 1) "
                                    "RETURNING " +
                                    JobColumns(),
                                params));
  if (res.rows() == 0) return std::optional<Job>();
  return std::optional<Job>(rows::ReadJob(res, 0));
}

Result<std::optional<Job>> JobRepository::ClaimJob(const JobId& id, const std::string& owner,
                                                   std::chrono::milliseconds lease_for) {
  TS_ASSIGN_OR_RETURN(PgLease lease, pool_.Acquire());
  TS_ASSIGN_OR_RETURN(
      PgResult res,
      lease->Exec(
          "UPDATE lifecycle_jobs SET status = 'running', lease_owner = $2, "
          "lease_expires_at = now() + $3::bigint * interval '1 millisecond', "
          "attempts = attempts + 1, started_at = now(), updated_at = now() "
          "WHERE id = (SELECT id FROM lifecycle_jobs WHERE id = $1 AND "
          "(status = 'pending' OR (status = 'running' AND lease_expires_at < now())) "
          "FOR UPDATE SKIP LOCKED) RETURNING " +
              JobColumns(),
          PgParams().Add(id.value()).Add(owner).Add(static_cast<int64_t>(lease_for.count()))));
  if (res.rows() == 0) return std::optional<Job>();
  return std::optional<Job>(rows::ReadJob(res, 0));
}

common::Result<std::vector<JobTotals>> JobRepository::Totals(std::optional<DatasetId> dataset_id) {
  TS_ASSIGN_OR_RETURN(PgLease lease, pool_.Acquire());
  PgParams params;
  if (dataset_id) {
    params.Add(dataset_id->value());
  } else {
    params.AddNull();
  }
  TS_ASSIGN_OR_RETURN(PgResult res, lease->Exec("SELECT kind, status, count(*) FROM lifecycle_jobs "
                                                "WHERE $1::text IS NULL OR dataset_id = $1 "
                                                "GROUP BY kind, status ORDER BY kind, status",
                                                params));
  std::vector<JobTotals> out;
  out.reserve(static_cast<size_t>(res.rows()));
  for (int i = 0; i < res.rows(); ++i) {
    out.push_back(
        {std::string(res.GetText(i, 0)), std::string(res.GetText(i, 1)), res.GetInt64(i, 2)});
  }
  return out;
}

Status JobRepository::Heartbeat(const JobId& id, const std::string& owner,
                                std::chrono::milliseconds lease_for) {
  TS_ASSIGN_OR_RETURN(PgLease lease, pool_.Acquire());
  TS_ASSIGN_OR_RETURN(
      PgResult res,
      lease->Exec(
          "UPDATE lifecycle_jobs SET lease_expires_at = now() + $3::bigint * interval "
          "'1 millisecond', updated_at = now() WHERE id = $1 AND lease_owner = $2 AND "
          "status = 'running'",
          PgParams().Add(id.value()).Add(owner).Add(static_cast<int64_t>(lease_for.count()))));
  if (res.affected_rows() == 0) return LeaseLost(id, owner);
  return Status::Ok();
}

Status JobRepository::SaveProgress(const JobId& id, const std::string& owner,
                                   const std::string& progress_json) {
  TS_ASSIGN_OR_RETURN(PgLease lease, pool_.Acquire());
  TS_ASSIGN_OR_RETURN(
      PgResult res,
      lease->Exec("UPDATE lifecycle_jobs SET progress = $3::jsonb, updated_at = now() "
                  "WHERE id = $1 AND lease_owner = $2 AND status = 'running'",
                  PgParams().Add(id.value()).Add(owner).Add(progress_json)));
  if (res.affected_rows() == 0) return LeaseLost(id, owner);
  return Status::Ok();
}

Result<Job> JobRepository::Complete(const JobId& id, const std::string& owner,
                                    const std::string& result_json) {
  TS_ASSIGN_OR_RETURN(PgLease lease, pool_.Acquire());
  TS_ASSIGN_OR_RETURN(
      PgResult res,
      lease->Exec(
          "UPDATE lifecycle_jobs SET status = 'succeeded', result = $3::jsonb, error = NULL, "
          "lease_owner = NULL, lease_expires_at = NULL, finished_at = now(), "
          "updated_at = now() WHERE id = $1 AND lease_owner = $2 AND status = 'running' "
          "RETURNING " +
              JobColumns(),
          PgParams().Add(id.value()).Add(owner).Add(result_json)));
  if (res.rows() == 0) return LeaseLost(id, owner);
  return rows::ReadJob(res, 0);
}

Result<Job> JobRepository::Fail(const JobId& id, const std::string& owner, const std::string& error,
                                std::optional<std::chrono::milliseconds> retry_delay) {
  const bool retry = retry_delay.has_value();
  TS_ASSIGN_OR_RETURN(PgLease lease, pool_.Acquire());
  TS_ASSIGN_OR_RETURN(
      PgResult res,
      lease->Exec(
          "UPDATE lifecycle_jobs SET error = $3, lease_owner = NULL, lease_expires_at = NULL, "
          "updated_at = now(), "
          "status = CASE WHEN $5 AND attempts < max_attempts THEN 'pending' ELSE 'failed' END, "
          "run_at = CASE WHEN $5 AND attempts < max_attempts "
          "  THEN now() + $4::bigint * interval '1 millisecond' ELSE run_at END, "
          "finished_at = CASE WHEN $5 AND attempts < max_attempts THEN NULL ELSE now() END "
          "WHERE id = $1 AND lease_owner = $2 AND status = 'running' RETURNING " +
              JobColumns(),
          PgParams()
              .Add(id.value())
              .Add(owner)
              .Add(error)
              .Add(static_cast<int64_t>(retry_delay.value_or(std::chrono::milliseconds(0)).count()))
              .Add(retry)));
  if (res.rows() == 0) return LeaseLost(id, owner);
  return rows::ReadJob(res, 0);
}

Result<Job> JobRepository::Reschedule(const JobId& id) {
  TS_ASSIGN_OR_RETURN(PgLease lease, pool_.Acquire());
  TS_ASSIGN_OR_RETURN(
      PgResult res,
      lease->Exec("UPDATE lifecycle_jobs SET status = 'pending', attempts = 0, run_at = now(), "
                  "finished_at = NULL, updated_at = now() WHERE id = $1 AND status IN ('failed', "
                  "'cancelled') RETURNING " +
                      JobColumns(),
                  PgParams().Add(id.value())));
  if (res.rows() == 1) return rows::ReadJob(res, 0);
  TS_ASSIGN_OR_RETURN(Job job, Get(id));
  return common::FailedPrecondition("job " + id.value() + " is " +
                                    std::string(JobStatusName(job.status)) +
                                    "; only failed or cancelled jobs can be rescheduled");
}

Result<Job> JobRepository::Get(const JobId& id) {
  TS_ASSIGN_OR_RETURN(PgLease lease, pool_.Acquire());
  TS_ASSIGN_OR_RETURN(PgResult res,
                      lease->Exec("SELECT " + JobColumns() + " FROM lifecycle_jobs WHERE id = $1",
                                  PgParams().Add(id.value())));
  if (res.rows() == 0) return common::NotFound("job " + id.value() + " not found");
  return rows::ReadJob(res, 0);
}

Result<std::vector<Job>> JobRepository::List(const ListJobsOptions& options) {
  std::string sql = "SELECT " + JobColumns() + " FROM lifecycle_jobs WHERE true";
  PgParams params;
  if (options.dataset_id) {
    params.Add(options.dataset_id->value());
    sql += " AND dataset_id = $" + std::to_string(params.size());
  }
  if (options.status) {
    params.Add(JobStatusName(*options.status));
    sql += " AND status = $" + std::to_string(params.size());
  }
  if (options.kind) {
    params.Add(*options.kind);
    sql += " AND kind = $" + std::to_string(params.size());
  }
  params.Add(static_cast<int64_t>(options.limit));
  sql += " ORDER BY created_at DESC, id LIMIT $" + std::to_string(params.size());
  TS_ASSIGN_OR_RETURN(PgLease lease, pool_.Acquire());
  TS_ASSIGN_OR_RETURN(PgResult res, lease->Exec(sql, params));
  return rows::ReadAll(res, &rows::ReadJob);
}

}  // namespace timestore::catalog
