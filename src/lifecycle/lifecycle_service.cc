#include "lifecycle/lifecycle_service.h"

#include <algorithm>

namespace timestore::lifecycle {
namespace {

// The job kind of an operation name; nothing for an unknown one.
std::optional<std::string> KindOf(std::string_view name) {
  if (name == kCompaction || name == kRetention || name == kExport || name == kSweep) {
    return std::string(name);
  }
  if (name == "parquetExport") return std::string(kExport);  // the original's name
  return std::nullopt;
}

}  // namespace

LifecycleService::LifecycleService(catalog::Catalog& catalog, JobRunner& runner,
                                   const OperationSet& operations, const LifecycleOptions& options)
    : catalog_(catalog),
      runner_(runner),
      operations_(operations),
      options_(options),
      owner_(DefaultWorkerPrefix() + "-inline") {}

common::Result<catalog::Dataset> LifecycleService::FindDataset(const RunRequest& request) {
  if (request.dataset_id && !request.dataset_id->empty()) {
    TS_ASSIGN_OR_RETURN(std::optional<catalog::Dataset> found,
                        catalog_.datasets().FindById(catalog::DatasetId(*request.dataset_id)));
    if (!found) return common::NotFound("dataset '" + *request.dataset_id + "' not found");
    return *found;
  }
  if (request.dataset_slug && !request.dataset_slug->empty()) {
    return catalog_.datasets().GetBySlug(*request.dataset_slug);
  }
  return common::InvalidArgument("datasetId or datasetSlug is required");
}

bool RunReport::all_succeeded() const {
  return std::all_of(operations.begin(), operations.end(),
                     [](const OperationOutcome& o) { return o.succeeded(); });
}

common::Result<std::vector<std::string>> LifecycleService::KindsOf(
    const RunRequest& request) const {
  std::vector<std::string> kinds;
  for (const std::string& name : request.operations) {
    std::optional<std::string> kind = KindOf(name);
    if (!kind || operations_.Find(*kind) == nullptr) {
      return common::InvalidArgument("operations: unknown operation '" + name +
                                     "' (expected compaction, retention, export or sweep)");
    }
    if (std::find(kinds.begin(), kinds.end(), *kind) == kinds.end()) kinds.push_back(*kind);
  }
  if (kinds.empty()) {
    for (std::string_view k : {kCompaction, kRetention, kExport}) {
      if (operations_.Find(k) != nullptr) kinds.emplace_back(k);
    }
  }
  return kinds;
}

common::Result<RunOutcome> LifecycleService::Run(const RunRequest& request) {
  TS_ASSIGN_OR_RETURN(std::vector<std::string> kinds, KindsOf(request));
  TS_ASSIGN_OR_RETURN(catalog::Dataset dataset, FindDataset(request));

  // One job per operation. Queued jobs share the scheduler's dedupe key, so a run requested while
  // the same maintenance is pending joins it; inline jobs have none (they run now, here).
  std::vector<catalog::EnqueueResult> jobs;
  for (const std::string& kind : kinds) {
    catalog::NewJob job;
    job.kind = kind;
    job.dataset_id = dataset.id;
    job.payload_json = request.payload_json;
    if (request.queue) job.dedupe_key = kind + ":" + dataset.id.value();
    if (!request.queue) job.max_attempts = 1;
    TS_ASSIGN_OR_RETURN(catalog::EnqueueResult enqueued, catalog_.jobs().Enqueue(job));
    jobs.push_back(std::move(enqueued));
  }
  if (request.queue) return RunOutcome(QueuedRun{std::move(dataset), std::move(jobs)});
  TS_ASSIGN_OR_RETURN(RunReport report, RunInline(std::move(dataset), jobs));
  return RunOutcome(std::move(report));
}

common::Result<RunReport> LifecycleService::RunInline(
    catalog::Dataset dataset, const std::vector<catalog::EnqueueResult>& jobs) {
  RunReport report;
  report.dataset = std::move(dataset);
  for (const catalog::EnqueueResult& e : jobs) {
    OperationOutcome outcome;
    outcome.operation = e.job.kind;
    outcome.job_id = e.job.id;
    TS_ASSIGN_OR_RETURN(std::optional<catalog::Job> claimed,
                        catalog_.jobs().ClaimJob(e.job.id, owner_, runner_.options().lease));
    // Not claimed: a worker took it first (a job is pending from the moment it is enqueued).
    if (claimed) outcome.run = runner_.Run(*claimed, owner_);
    report.operations.push_back(std::move(outcome));
  }
  return report;
}

common::Result<JobListing> LifecycleService::Status(
    const std::optional<catalog::DatasetId>& dataset_id, int limit) {
  if (limit < 1 || limit > 500) return common::InvalidArgument("limit: must be 1..500");
  catalog::ListJobsOptions list;
  list.dataset_id = dataset_id;
  list.limit = limit;
  JobListing listing;
  TS_ASSIGN_OR_RETURN(listing.jobs, catalog_.jobs().List(list));
  TS_ASSIGN_OR_RETURN(listing.totals, catalog_.jobs().Totals(list.dataset_id));
  return listing;
}

common::Result<catalog::Dataset> LifecycleService::GetDataset(std::string_view dataset) {
  return catalog_.datasets().GetByIdOrSlug(dataset);
}

common::Result<RetentionPolicyView> LifecycleService::Retention(const catalog::Dataset& dataset) {
  TS_ASSIGN_OR_RETURN(StoredRetentionPolicy stored,
                      LoadRetentionPolicy(catalog_, dataset.id, options_));
  return RetentionPolicyView{dataset, std::move(stored)};
}

common::Result<RetentionPolicyView> LifecycleService::PutRetention(
    const catalog::Dataset& dataset, std::string_view policy_json,
    const std::optional<std::string>& actor) {
  TS_RETURN_IF_ERROR(PutRetentionPolicy(catalog_, dataset.id, policy_json, actor).status());
  return Retention(dataset);
}

common::Result<RetentionPlan> LifecycleService::PreviewRetention(const catalog::Dataset& dataset) {
  TS_ASSIGN_OR_RETURN(StoredRetentionPolicy stored,
                      LoadRetentionPolicy(catalog_, dataset.id, options_));
  return PlanRetention(catalog_, dataset, stored.policy, common::NowMicros());
}

common::Result<std::vector<catalog::DatasetExport>> LifecycleService::Exports(
    const catalog::Dataset& dataset, int limit) {
  return catalog_.exports().List(dataset.id, limit);
}

common::Result<catalog::Job> LifecycleService::Reschedule(const catalog::JobId& job_id) {
  return catalog_.jobs().Reschedule(job_id);
}

}  // namespace timestore::lifecycle
