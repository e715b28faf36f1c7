// Ingest routes: POST /datasets/:datasetSlug/ingest, GET /datasets/:datasetSlug/manifest and
// GET /admin/datasets/:datasetId/manifest (each also under /v1).
#pragma once

#include "api/access_control.h"
#include "api/request_audit.h"
#include "api/request_metrics.h"
#include "http/router.h"
#include "ingest/ingest_service.h"

namespace timestore::api {

// `ingest` and `metrics` (optional: records every ingest request's outcome) must outlive the
// router.
// `audit` (optional) records one "ingest" event per request.
void AddIngestRoutes(http::Router& router, ingest::IngestService& ingest,
                     const RequestMetrics* metrics = nullptr, const RequestAudit* audit = nullptr,
                     const AccessControl* access = nullptr);

}  // namespace timestore::api
