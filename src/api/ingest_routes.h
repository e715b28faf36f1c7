// Ingest routes: POST /datasets/:datasetSlug/ingest, GET /datasets/:datasetSlug/manifest and
// GET /admin/datasets/:datasetId/manifest (each also under /v1).
#pragma once

#include "http/router.h"
#include "ingest/ingest_service.h"

namespace timestore::api {

// `ingest` must outlive the router.
void AddIngestRoutes(http::Router& router, ingest::IngestService& ingest);

}  // namespace timestore::api
