// LifecycleService: what the admin API and `timestore lifecycle --once` ask of the lifecycle: run a
// dataset's maintenance now (inline, in the caller's thread, or queued for the workers), report
// recent jobs with their results and per-operation totals, and put a failed job back in the queue.
// Answers are typed values; their JSON form is the API's business (api/lifecycle_encoding.h).
// Inline runs go through the job table too (enqueued, then claimed by id), so they show up in the
// status and never run at the same time as a worker's job of the same kind for the dataset.
// Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "catalog/catalog.h"
#include "common/status.h"
#include "lifecycle/job_runner.h"
#include "lifecycle/retention.h"

namespace timestore::lifecycle {

struct RunRequest {
  std::optional<std::string> dataset_id;  // one of the two names the dataset
  std::optional<std::string> dataset_slug;
  // Operation names (compaction, retention, export - "parquetExport" as the original - and
  // sweep); empty: compaction, retention and export.
  std::vector<std::string> operations;
  bool queue = false;               // queue for the workers instead of running inline
  std::string payload_json = "{}";  // passed to every job (e.g. an export's timeRange)
};

// How one operation of an inline run ended.
struct OperationOutcome {
  std::string operation;  // the job kind
  catalog::JobId job_id;
  // Nothing: a worker claimed the job before this run could (it runs there). Otherwise the job as
  // the runner left it (its status, result or error), or the runner's own failure.
  std::optional<common::Result<catalog::Job>> run;

  // The job ran here and succeeded.
  bool succeeded() const {
    return run && run->ok() && (*run)->status == catalog::JobStatus::kSucceeded;
  }
};

// An inline run: each requested operation ran in the caller's thread, in request order.
struct RunReport {
  catalog::Dataset dataset;
  std::vector<OperationOutcome> operations;
  // Every operation ran here and succeeded.
  bool all_succeeded() const;
};

// A queued run: one job per operation, in request order (never empty). A job that joined a pending
// one with the same dedupe key has `created` false.
struct QueuedRun {
  catalog::Dataset dataset;
  std::vector<catalog::EnqueueResult> jobs;
};

// What Run did: ran inline, or queued for the workers (RunRequest::queue).
using RunOutcome = std::variant<RunReport, QueuedRun>;

// Recent jobs (newest first) with per-kind, per-status totals.
struct JobListing {
  std::vector<catalog::Job> jobs;
  std::vector<catalog::JobTotals> totals;
};

// A dataset's retention policy as the admin API shows it.
struct RetentionPolicyView {
  catalog::Dataset dataset;
  StoredRetentionPolicy stored;
};

class LifecycleService {
 public:
  // `options` supplies the default retention policy.
  LifecycleService(catalog::Catalog& catalog, JobRunner& runner, const OperationSet& operations,
                   const LifecycleOptions& options);

  // Runs (or queues) the requested operations for the dataset the request names; see RunOutcome.
  // kInvalidArgument for an unknown operation or a missing dataset name; kNotFound for an unknown
  // dataset. A failed operation is an outcome, not an error.
  common::Result<RunOutcome> Run(const RunRequest& request);

  // The `limit` newest jobs (1..500, else kInvalidArgument), of one dataset when given, and the
  // totals of the same jobs' scope.
  common::Result<JobListing> Status(const std::optional<catalog::DatasetId>& dataset_id, int limit);

  // The dataset whose id or slug is `dataset`: kNotFound naming it.
  common::Result<catalog::Dataset> GetDataset(std::string_view dataset);

  // `dataset`'s retention policy (the default when it has none of its own).
  common::Result<RetentionPolicyView> Retention(const catalog::Dataset& dataset);
  // Validates `policy_json` and stores it as `dataset`'s policy; answers as Retention.
  // kInvalidArgument naming the field for a bad policy.
  common::Result<RetentionPolicyView> PutRetention(const catalog::Dataset& dataset,
                                                   std::string_view policy_json,
                                                   const std::optional<std::string>& actor);
  // The dry run: what a retention run would remove from `dataset` now.
  common::Result<RetentionPlan> PreviewRetention(const catalog::Dataset& dataset);
  // `dataset`'s Parquet exports, newest first, at most `limit`.
  common::Result<std::vector<catalog::DatasetExport>> Exports(const catalog::Dataset& dataset,
                                                              int limit);

  // Puts a failed or cancelled job back to pending and returns it. kNotFound /
  // kFailedPrecondition from the job table.
  common::Result<catalog::Job> Reschedule(const catalog::JobId& job_id);

 private:
  common::Result<catalog::Dataset> FindDataset(const RunRequest& request);
  // The job kinds `request` asks for (the defaults when it names none); kInvalidArgument naming an
  // unknown operation.
  common::Result<std::vector<std::string>> KindsOf(const RunRequest& request) const;
  // Claims and runs each of `jobs` here.
  common::Result<RunReport> RunInline(catalog::Dataset dataset,
                                      const std::vector<catalog::EnqueueResult>& jobs);

  catalog::Catalog& catalog_;
  JobRunner& runner_;
  const OperationSet& operations_;
  const LifecycleOptions& options_;
  const std::string owner_;
};

}  // namespace timestore::lifecycle
