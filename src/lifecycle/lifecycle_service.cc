#include "lifecycle/lifecycle_service.h"

#include <algorithm>
#include <map>

#include "common/json_writer.h"
#include "lifecycle/retention.h"

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

void OptionalTime(common::JsonWriter& w, std::string_view key,
                  const std::optional<common::UnixMicros>& t) {
  w.Key(key);
  if (t) {
    w.String(common::FormatIso8601(*t));
  } else {
    w.Null();
  }
}

}  // namespace

void WriteJobJson(common::JsonWriter& w, const catalog::Job& job) {
  w.BeginObject();
  w.Key("id").String(job.id.value());
  w.Key("kind").String(job.kind);
  w.Key("datasetId");
  job.dataset_id ? w.String(job.dataset_id->value()) : w.Null();
  w.Key("status").String(catalog::JobStatusName(job.status));
  w.Key("attempts").Int(job.attempts);
  w.Key("maxAttempts").Int(job.max_attempts);
  w.Key("payload").Raw(job.payload_json);
  w.Key("progress").Raw(job.progress_json);
  w.Key("result");
  job.result_json ? w.Raw(*job.result_json) : w.Null();
  w.Key("error");
  job.error ? w.String(*job.error) : w.Null();
  w.Key("leaseOwner");
  job.lease_owner ? w.String(*job.lease_owner) : w.Null();
  w.Key("runAt").String(common::FormatIso8601(job.run_at));
  w.Key("createdAt").String(common::FormatIso8601(job.created_at));
  w.Key("updatedAt").String(common::FormatIso8601(job.updated_at));
  OptionalTime(w, "startedAt", job.started_at);
  OptionalTime(w, "finishedAt", job.finished_at);
  w.EndObject();
}

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

common::Result<RunAnswer> LifecycleService::Run(const RunRequest& request) {
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

  common::JsonWriter w;
  RunAnswer answer;
  if (request.queue) {
    answer.http_status = 202;
    w.BeginObject();
    w.Key("status").String("queued");
    w.Key("jobId").String(jobs.front().job.id.value());
    w.Key("jobs").BeginArray();
    for (const catalog::EnqueueResult& e : jobs) {
      w.BeginObject();
      w.Key("jobId").String(e.job.id.value());
      w.Key("operation").String(e.job.kind);
      w.Key("created").Bool(e.created);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
    answer.body = w.TakeBuffer();
    return answer;
  }

  w.BeginObject();
  w.Key("status").String("completed");
  w.Key("report").BeginObject();
  w.Key("datasetId").String(dataset.id.value());
  w.Key("datasetSlug").String(dataset.slug);
  w.Key("operations").BeginArray();
  for (const catalog::EnqueueResult& e : jobs) {
    w.BeginObject();
    w.Key("operation").String(e.job.kind);
    w.Key("jobId").String(e.job.id.value());
    TS_ASSIGN_OR_RETURN(std::optional<catalog::Job> claimed,
                        catalog_.jobs().ClaimJob(e.job.id, owner_, runner_.options().lease));
    if (!claimed) {
      // A worker took it first (a job is pending from the moment it is enqueued).
      w.Key("status").String("claimed by a worker");
      answer.all_succeeded = false;
      w.EndObject();
      continue;
    }
    common::Result<catalog::Job> done = runner_.Run(*claimed, owner_);
    if (!done.ok()) {
      w.Key("status").String("failed");
      w.Key("error").String(done.status().ToString());
      answer.all_succeeded = false;
    } else {
      w.Key("status").String(catalog::JobStatusName(done->status));
      if (done->result_json) w.Key("result").Raw(*done->result_json);
      if (done->error) w.Key("error").String(*done->error);
      answer.all_succeeded = answer.all_succeeded && done->status == catalog::JobStatus::kSucceeded;
    }
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  w.EndObject();
  answer.body = w.TakeBuffer();
  return answer;
}

common::Result<std::string> LifecycleService::StatusJson(
    const std::optional<std::string>& dataset_id, int limit) {
  if (limit < 1 || limit > 500) return common::InvalidArgument("limit: must be 1..500");
  catalog::ListJobsOptions list;
  if (dataset_id) list.dataset_id = catalog::DatasetId(*dataset_id);
  list.limit = limit;
  TS_ASSIGN_OR_RETURN(std::vector<catalog::Job> jobs, catalog_.jobs().List(list));
  TS_ASSIGN_OR_RETURN(std::vector<catalog::JobTotals> totals,
                      catalog_.jobs().Totals(list.dataset_id));
  common::JsonWriter w;
  w.BeginObject();
  w.Key("jobs").BeginArray();
  for (const catalog::Job& job : jobs) WriteJobJson(w, job);
  w.EndArray();
  std::map<std::string, std::vector<const catalog::JobTotals*>> by_kind;
  for (const catalog::JobTotals& t : totals) by_kind[t.kind].push_back(&t);
  w.Key("totals").BeginObject();
  for (const auto& [kind, rows] : by_kind) {
    w.Key(kind).BeginObject();
    for (const catalog::JobTotals* t : rows) w.Key(t->status).Int(t->count);
    w.EndObject();
  }
  w.EndObject();
  w.EndObject();
  return w.TakeBuffer();
}

common::Result<catalog::Dataset> LifecycleService::DatasetByIdOrSlug(std::string_view dataset) {
  return catalog_.datasets().GetByIdOrSlug(dataset);
}

common::Result<std::string> LifecycleService::RetentionJson(std::string_view dataset) {
  TS_ASSIGN_OR_RETURN(catalog::Dataset d, DatasetByIdOrSlug(dataset));
  TS_ASSIGN_OR_RETURN(StoredRetentionPolicy stored, LoadRetentionPolicy(catalog_, d.id, options_));
  common::JsonWriter w;
  w.BeginObject();
  w.Key("datasetId").String(d.id.value());
  w.Key("datasetSlug").String(d.slug);
  w.Key("policy").Raw(RetentionPolicyJson(stored.policy));
  w.Key("isDefault").Bool(stored.is_default);
  w.Key("updatedBy");
  stored.updated_by ? w.String(*stored.updated_by) : w.Null();
  OptionalTime(w, "updatedAt", stored.updated_at);
  w.EndObject();
  return w.TakeBuffer();
}

common::Result<std::string> LifecycleService::PutRetentionJson(
    std::string_view dataset, std::string_view policy_json,
    const std::optional<std::string>& actor) {
  TS_ASSIGN_OR_RETURN(catalog::Dataset d, DatasetByIdOrSlug(dataset));
  TS_RETURN_IF_ERROR(PutRetentionPolicy(catalog_, d.id, policy_json, actor).status());
  return RetentionJson(d.id.value());
}

common::Result<std::string> LifecycleService::PreviewRetentionJson(std::string_view dataset) {
  TS_ASSIGN_OR_RETURN(catalog::Dataset d, DatasetByIdOrSlug(dataset));
  TS_ASSIGN_OR_RETURN(StoredRetentionPolicy stored, LoadRetentionPolicy(catalog_, d.id, options_));
  TS_ASSIGN_OR_RETURN(RetentionPlan plan,
                      PlanRetention(catalog_, d, stored.policy, common::NowMicros()));
  return RetentionPlanJson(plan);
}

common::Result<std::string> LifecycleService::ExportsJson(std::string_view dataset, int limit) {
  TS_ASSIGN_OR_RETURN(catalog::Dataset d, DatasetByIdOrSlug(dataset));
  TS_ASSIGN_OR_RETURN(std::vector<catalog::DatasetExport> exports,
                      catalog_.exports().List(d.id, limit));
  common::JsonWriter w;
  w.BeginObject();
  w.Key("exports").BeginArray();
  for (const catalog::DatasetExport& e : exports) {
    w.BeginObject();
    w.Key("id").String(e.id.value());
    w.Key("datasetId").String(e.dataset_id.value());
    w.Key("storageTargetId").String(e.storage_target_id.value());
    w.Key("objectKey").String(e.object_key);
    w.Key("version").Int(e.version);
    w.Key("timeRange");
    if (e.range_start && e.range_end) {
      w.BeginObject();
      w.Key("start").String(common::FormatIso8601(*e.range_start));
      w.Key("end").String(common::FormatIso8601(*e.range_end));
      w.EndObject();
    } else {
      w.Null();
    }
    w.Key("rows").Int(e.row_count);
    w.Key("bytes").Int(e.file_size_bytes);
    w.Key("sha256").String(e.checksum_sha256);
    w.Key("jobId");
    e.job_id ? w.String(e.job_id->value()) : w.Null();
    w.Key("createdAt").String(common::FormatIso8601(e.created_at));
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return w.TakeBuffer();
}

common::Result<std::string> LifecycleService::RescheduleJson(const std::string& job_id) {
  TS_ASSIGN_OR_RETURN(catalog::Job job, catalog_.jobs().Reschedule(catalog::JobId(job_id)));
  common::JsonWriter w;
  w.BeginObject();
  w.Key("jobId").String(job.id.value());
  w.Key("status").String("queued");
  w.Key("job");
  WriteJobJson(w, job);
  w.EndObject();
  return w.TakeBuffer();
}

}  // namespace timestore::lifecycle
