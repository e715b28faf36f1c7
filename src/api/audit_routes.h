// Audit routes (also under /v1): GET /admin/datasets/:datasetId/audit, the dataset's audit trail,
// and GET /admin/audit, every event (events of no dataset included); newest first, filtered by
// `actions`, `success`, `since`/`until` (half-open) and paged by an opaque `cursor`
// (`limit` 1..500, default 50). Every bad parameter is a 400 naming it.
#pragma once

#include "api/access_control.h"
#include "catalog/catalog.h"
#include "http/router.h"

namespace timestore::api {

// `catalog` must outlive the router.
void AddAuditRoutes(http::Router& router, catalog::Catalog& catalog,
                    const AccessControl* access = nullptr);

}  // namespace timestore::api
