// Lifecycle admin routes (each also under /v1), as the original served them:
//   POST /admin/lifecycle/run         {"datasetId"|"datasetSlug", "operations"?: [..], "mode"?:
//                                     "inline"|"queue", "timeRange"?: {...} (exports)}
//                                     200 {"status":"completed","report":{...}} inline,
//                                     202 {"status":"queued","jobId",...} queued
//   GET  /admin/lifecycle/status      ?limit=N&datasetId=.. -> {"jobs":[...],"totals":{...}}
//   POST /admin/lifecycle/reschedule  {"jobId"} -> {"jobId","status":"queued","job":{...}}
#pragma once

#include "http/router.h"
#include "lifecycle/lifecycle_service.h"

namespace timestore::api {

// `lifecycle` must outlive the router.
void AddLifecycleRoutes(http::Router& router, lifecycle::LifecycleService& lifecycle);

}  // namespace timestore::api
