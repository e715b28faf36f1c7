// Ingest routes: POST /datasets/:datasetSlug/ingest, GET /datasets/:datasetSlug/manifest and
// GET /admin/datasets/:datasetId/manifest (each also under /v1).
#pragma once

#include "api/request_metrics.h"
#include "http/router.h"
#include "ingest/ingest_service.h"

namespace timestore::api {

// `ingest` and `metrics` (optional: records every ingest request's outcome) must outlive the
// router.
void AddIngestRoutes(http::Router& router, ingest::IngestService& ingest,
                     const RequestMetrics* metrics = nullptr);

}  // namespace timestore::api
