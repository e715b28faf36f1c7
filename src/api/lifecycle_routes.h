// Lifecycle admin routes (each also under /v1), as the original served them:
//   POST /admin/lifecycle/run         {"datasetId"|"datasetSlug", "operations"?: [..], "mode"?:
//                                     "inline"|"queue", "timeRange"?: {...} (exports)}
//                                     200 {"status":"completed","report":{...}} inline,
//                                     202 {"status":"queued","jobId",...} queued
//   GET  /admin/lifecycle/status      ?limit=N&datasetId=.. -> {"jobs":[...],"totals":{...}}
//   POST /admin/lifecycle/reschedule  {"jobId"} -> {"jobId","status":"queued","job":{...}}
//   GET  /admin/datasets/:datasetId/retention          the policy (the default when none is set)
//   PUT  /admin/datasets/:datasetId/retention          {"rules":{"maxAgeHours"?,"maxTotalBytes"?},
//                                                       "deleteGraceMinutes"?} -> the policy
//   POST /admin/datasets/:datasetId/retention/preview  what a retention run would remove now
//   GET  /admin/datasets/:datasetId/exports            ?limit=N -> {"exports":[...]}
// :datasetId is a dataset id or slug.
#pragma once

#include "api/access_control.h"
#include "api/request_audit.h"
#include "http/router.h"
#include "lifecycle/lifecycle_service.h"

namespace timestore::api {

// `lifecycle` must outlive the router.
// `audit` (optional) records run, reschedule and retention PUT requests.
void AddLifecycleRoutes(http::Router& router, lifecycle::LifecycleService& lifecycle,
                        const RequestAudit* audit = nullptr, const AccessControl* access = nullptr);

}  // namespace timestore::api
