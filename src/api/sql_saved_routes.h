// Saved SQL query routes (each also under /v1), as the original served them:
//   GET    /sql/saved      200 {"savedQueries":[record...]}, most recently saved first
//   GET    /sql/saved/:id  200 {"savedQuery":record}; 404 when unknown
//   PUT    /sql/saved/:id  upsert; 200 {"savedQuery":record}; the creator is the request's actor
//   DELETE /sql/saved/:id  204 with no body; 404 when unknown
// record: see WriteSavedQueryJson (api/catalog_encoding.h). The statement is stored, never parsed
// or run. PUT body: {"statement": non-blank string of at most 100,000 characters (Unicode code
// points), "label"?: string|null (trimmed; blank becomes null), neither with a NUL (PostgreSQL text
// cannot hold one), "stats"?: {"rowCount"?, "elapsedMs"?}|null with members null or integers in [0,
// 2^53-1]}. Unknown fields are ignored, as the original did. Every violation, an over-long
// statement included, is a 400 naming the field and changes nothing; so is an :id that is not 1-128
// characters of [A-Za-z0-9._:-].
#pragma once

#include "api/access_control.h"
#include "api/request_audit.h"
#include "catalog/saved_query_repository.h"
#include "http/router.h"

namespace timestore::api {

// `saved_queries` must outlive the router.
// `audit` (optional) records PUT and DELETE as "sql.saved.upsert" and "sql.saved.delete".
void AddSavedQueryRoutes(http::Router& router, catalog::SavedQueryRepository& saved_queries,
                         const RequestAudit* audit = nullptr,
                         const AccessControl* access = nullptr);

}  // namespace timestore::api
