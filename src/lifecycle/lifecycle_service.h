// LifecycleService: what the admin API and `timestore lifecycle --once` ask of the lifecycle: run a
// dataset's maintenance now (inline, in the caller's thread, or queued for the workers), report
// recent jobs with their results and per-operation totals, and put a failed job back in the queue.
// Inline runs go through the job table too (enqueued, then claimed by id), so they show up in the
// status and never run at the same time as a worker's job of the same kind for the dataset.
// Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "common/json_writer.h"
#include "common/status.h"
#include "lifecycle/job_runner.h"

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

struct RunAnswer {
  int http_status = 200;      // 200 inline, 202 queued
  std::string body;           // JSON
  bool all_succeeded = true;  // inline: every operation succeeded
};

class LifecycleService {
 public:
  // `options` supplies the default retention policy.
  LifecycleService(catalog::Catalog& catalog, JobRunner& runner, const OperationSet& operations,
                   const LifecycleOptions& options);

  // Inline: 200
  // {"status":"completed","report":{"datasetId","datasetSlug","operations":[{"operation",
  // "jobId","status","result"|"error"}]}}. Queued: 202 {"status":"queued","jobId":<first>,
  // "jobs":[{"jobId","operation","created"}]}. kInvalidArgument for an unknown operation or a
  // missing dataset name; kNotFound for an unknown dataset.
  common::Result<RunAnswer> Run(const RunRequest& request);

  // {"jobs":[job...],"totals":{"<kind>":{"pending":n,...}}} - the `limit` newest jobs (1..500),
  // of one dataset when given.
  common::Result<std::string> StatusJson(const std::optional<std::string>& dataset_id, int limit);

  // The dataset (by id or slug) retention policy: {"datasetId","policy":{...},"isDefault",
  // "updatedBy","updatedAt"}. kNotFound for an unknown dataset.
  common::Result<std::string> RetentionJson(std::string_view dataset);
  // Validates and stores `policy_json` as the dataset's policy; answers as RetentionJson.
  // kInvalidArgument naming the field for a bad policy.
  common::Result<std::string> PutRetentionJson(std::string_view dataset,
                                               std::string_view policy_json,
                                               const std::optional<std::string>& actor);
  // The dry run: what a retention run would remove now (RetentionPlanJson).
  common::Result<std::string> PreviewRetentionJson(std::string_view dataset);
  // {"exports":[{"id","storageTargetId","objectKey","version","timeRange"|null,"rows","bytes",
  // "sha256","jobId","createdAt"}]}, newest first.
  common::Result<std::string> ExportsJson(std::string_view dataset, int limit);

  // Puts a failed or cancelled job back to pending: {"jobId","status":"queued","job":{...}}.
  // kNotFound / kFailedPrecondition from the job table.
  common::Result<std::string> RescheduleJson(const std::string& job_id);

 private:
  common::Result<catalog::Dataset> FindDataset(const RunRequest& request);
  // By id, else by slug; kNotFound naming it.
  common::Result<catalog::Dataset> DatasetByIdOrSlug(std::string_view dataset);

  catalog::Catalog& catalog_;
  JobRunner& runner_;
  const OperationSet& operations_;
  const LifecycleOptions& options_;
  const std::string owner_;
};

// A job as the admin API shows it.
void WriteJobJson(common::JsonWriter& w, const catalog::Job& job);

}  // namespace timestore::lifecycle
