// The JSON answers of the lifecycle admin routes and of `timestore lifecycle --once`, encoded from
// LifecycleService's typed results (field names and order as the original service answered).
// Stateless free functions; every string goes through common::JsonWriter (escaped).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "catalog/types.h"
#include "common/json_writer.h"
#include "common/status.h"
#include "lifecycle/lifecycle_service.h"
#include "lifecycle/retention.h"

namespace timestore::api {

// A job as the admin API shows it: {"id","kind","datasetId","status","attempts","maxAttempts",
// "payload","progress","result","error","leaseOwner","runAt","createdAt","updatedAt","startedAt",
// "finishedAt"}.
void WriteJobJson(common::JsonWriter& w, const catalog::Job& job);

// Inline: {"status":"completed","report":{"datasetId","datasetSlug","operations":[{"operation",
// "jobId","status","result"?,"error"?}]}}. Queued: {"status":"queued","jobId":<first>,
// "jobs":[{"jobId","operation","created"}]}.
std::string RunOutcomeJson(const lifecycle::RunOutcome& outcome);
// The HTTP status of a run's answer: 200 inline, 202 queued.
int RunOutcomeHttpStatus(const lifecycle::RunOutcome& outcome);
// {"datasetSlug":..,"error":..}: a run of `slug` that could not start (the CLI's line for it).
std::string RunFailureJson(std::string_view slug, const common::Status& status);

// {"jobs":[job...],"totals":{"<kind>":{"<status>":n,...}}} (kinds in name order).
std::string JobListingJson(const lifecycle::JobListing& listing);

// {"datasetId","datasetSlug","policy":{...},"isDefault","updatedBy","updatedAt"}.
std::string RetentionPolicyViewJson(const lifecycle::RetentionPolicyView& view);

// The dry-run answer: {"datasetId":..,"version":V,"now":iso,"ageCutoff":iso|null,"policy":{..},
// "partitions":[{"id":..,"objectKey":..,"reason":"age","rowCount":N,"fileSizeBytes":N,
// "startTime":iso,"endTime":iso}],"totals":{"partitions":N,"rows":N,"bytes":N,"byAge":N,
// "bySize":N,"livePartitions":N,"liveBytes":N}}.
std::string RetentionPlanJson(const lifecycle::RetentionPlan& plan);

// {"exports":[{"id","datasetId","storageTargetId","objectKey","version","timeRange"|null,"rows",
// "bytes","sha256","jobId","createdAt"}]}.
std::string ExportsJson(const std::vector<catalog::DatasetExport>& exports);

// {"jobId","status":"queued","job":{...}}: the answer to a reschedule.
std::string RescheduleJson(const catalog::Job& job);

}  // namespace timestore::api
