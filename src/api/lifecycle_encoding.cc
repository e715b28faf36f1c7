#include "api/lifecycle_encoding.h"

#include <map>
#include <optional>
#include <variant>

#include "common/time.h"

namespace timestore::api {
namespace {

void OptionalTime(common::JsonWriter& w, std::string_view key,
                  const std::optional<common::UnixMicros>& t) {
  w.Key(key);
  if (t) {
    w.String(common::FormatIso8601(*t));
  } else {
    w.Null();
  }
}

void WriteOperationOutcome(common::JsonWriter& w, const lifecycle::OperationOutcome& outcome) {
  w.BeginObject();
  w.Key("operation").String(outcome.operation);
  w.Key("jobId").String(outcome.job_id.value());
  if (!outcome.run) {
    w.Key("status").String("claimed by a worker");
  } else if (!outcome.run->ok()) {
    w.Key("status").String("failed");
    w.Key("error").String(outcome.run->status().ToString());
  } else {
    const catalog::Job& done = **outcome.run;
    w.Key("status").String(catalog::JobStatusName(done.status));
    if (done.result_json) w.Key("result").Raw(*done.result_json);
    if (done.error) w.Key("error").String(*done.error);
  }
  w.EndObject();
}

std::string RunReportJson(const lifecycle::RunReport& report) {
  common::JsonWriter w;
  w.BeginObject();
  w.Key("status").String("completed");
  w.Key("report").BeginObject();
  w.Key("datasetId").String(report.dataset.id.value());
  w.Key("datasetSlug").String(report.dataset.slug);
  w.Key("operations").BeginArray();
  for (const lifecycle::OperationOutcome& o : report.operations) WriteOperationOutcome(w, o);
  w.EndArray();
  w.EndObject();
  w.EndObject();
  return w.TakeBuffer();
}

std::string QueuedRunJson(const lifecycle::QueuedRun& queued) {
  common::JsonWriter w;
  w.BeginObject();
  w.Key("status").String("queued");
  w.Key("jobId").String(queued.jobs.front().job.id.value());
  w.Key("jobs").BeginArray();
  for (const catalog::EnqueueResult& e : queued.jobs) {
    w.BeginObject();
    w.Key("jobId").String(e.job.id.value());
    w.Key("operation").String(e.job.kind);
    w.Key("created").Bool(e.created);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return w.TakeBuffer();
}

void WriteTimeRange(common::JsonWriter& w, const catalog::DatasetExport& e) {
  if (!e.range_start || !e.range_end) {
    w.Null();
    return;
  }
  w.BeginObject();
  w.Key("start").String(common::FormatIso8601(*e.range_start));
  w.Key("end").String(common::FormatIso8601(*e.range_end));
  w.EndObject();
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

std::string RunOutcomeJson(const lifecycle::RunOutcome& outcome) {
  if (const auto* queued = std::get_if<lifecycle::QueuedRun>(&outcome)) {
    return QueuedRunJson(*queued);
  }
  return RunReportJson(std::get<lifecycle::RunReport>(outcome));
}

int RunOutcomeHttpStatus(const lifecycle::RunOutcome& outcome) {
  return std::holds_alternative<lifecycle::QueuedRun>(outcome) ? 202 : 200;
}

std::string RunFailureJson(std::string_view slug, const common::Status& status) {
  common::JsonWriter w;
  w.BeginObject();
  w.Key("datasetSlug").String(slug);
  w.Key("error").String(status.ToString());
  w.EndObject();
  return w.TakeBuffer();
}

std::string JobListingJson(const lifecycle::JobListing& listing) {
  common::JsonWriter w;
  w.BeginObject();
  w.Key("jobs").BeginArray();
  for (const catalog::Job& job : listing.jobs) WriteJobJson(w, job);
  w.EndArray();
  std::map<std::string, std::vector<const catalog::JobTotals*>> by_kind;
  for (const catalog::JobTotals& t : listing.totals) by_kind[t.kind].push_back(&t);
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

std::string RetentionPolicyViewJson(const lifecycle::RetentionPolicyView& view) {
  common::JsonWriter w;
  w.BeginObject();
  w.Key("datasetId").String(view.dataset.id.value());
  w.Key("datasetSlug").String(view.dataset.slug);
  w.Key("policy").Raw(lifecycle::RetentionPolicyJson(view.stored.policy));
  w.Key("isDefault").Bool(view.stored.is_default);
  w.Key("updatedBy");
  view.stored.updated_by ? w.String(*view.stored.updated_by) : w.Null();
  OptionalTime(w, "updatedAt", view.stored.updated_at);
  w.EndObject();
  return w.TakeBuffer();
}

std::string RetentionPlanJson(const lifecycle::RetentionPlan& plan) {
  common::JsonWriter w;
  w.BeginObject();
  w.Key("datasetId").String(plan.dataset_id.value());
  w.Key("version").Int(plan.version);
  w.Key("now").String(common::FormatIso8601(plan.now));
  OptionalTime(w, "ageCutoff", plan.age_cutoff);
  w.Key("policy").Raw(lifecycle::RetentionPolicyJson(plan.policy));
  w.Key("partitions").BeginArray();
  for (const lifecycle::RetentionCandidate& c : plan.remove) {
    w.BeginObject();
    w.Key("id").String(c.partition.id.value());
    w.Key("objectKey").String(c.partition.object_key.value());
    w.Key("reason").String(c.reason);
    w.Key("rowCount").Int(c.partition.row_count);
    w.Key("fileSizeBytes").Int(c.partition.file_size_bytes);
    w.Key("startTime").String(common::FormatIso8601(c.partition.start_time));
    w.Key("endTime").String(common::FormatIso8601(c.partition.end_time));
    w.EndObject();
  }
  w.EndArray();
  w.Key("totals").BeginObject();
  w.Key("partitions").Int(static_cast<int64_t>(plan.remove.size()));
  w.Key("rows").Int(plan.rows);
  w.Key("bytes").Int(plan.bytes);
  w.Key("byAge").Int(plan.by_age);
  w.Key("bySize").Int(plan.by_size);
  w.Key("livePartitions").Int(plan.live_partitions);
  w.Key("liveBytes").Int(plan.live_bytes);
  w.EndObject();
  w.EndObject();
  return w.TakeBuffer();
}

std::string ExportsJson(const std::vector<catalog::DatasetExport>& exports) {
  common::JsonWriter w;
  w.BeginObject();
  w.Key("exports").BeginArray();
  for (const catalog::DatasetExport& e : exports) {
    w.BeginObject();
    w.Key("id").String(e.id.value());
    w.Key("datasetId").String(e.dataset_id.value());
    w.Key("storageTargetId").String(e.storage_target_id.value());
    w.Key("objectKey").String(e.object_key.value());
    w.Key("version").Int(e.version);
    w.Key("timeRange");
    WriteTimeRange(w, e);
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

std::string RescheduleJson(const catalog::Job& job) {
  common::JsonWriter w;
  w.BeginObject();
  w.Key("jobId").String(job.id.value());
  w.Key("status").String("queued");
  w.Key("job");
  WriteJobJson(w, job);
  w.EndObject();
  return w.TakeBuffer();
}

}  // namespace timestore::api
