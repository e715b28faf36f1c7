// SQL routes (each also under /v1), as the original served them:
//   GET  /sql/schema  200 the views and runtime tables the caller can read (SqlRuntime::SchemaJson)
//   POST /sql/read?format=json|csv|table  body {"sql": "<one SELECT>", "params"?: [scalars]}
//        200 in the requested format (SqlAnswer::Render), with x-sql-execution-id and, when there
//        are warnings, x-sql-warnings (a JSON array) headers.
// Errors: 400 for a bad body, a refused or failing statement; 413 for SQL above the length limit;
// 504 when it ran past the time limit; 503 when every sandbox stayed busy.
#pragma once

#include "api/access_control.h"
#include "api/request_audit.h"
#include "http/router.h"
#include "query/sql_runtime.h"

namespace timestore::api {

// `runtime` must outlive the router.
// `audit` (optional) records every POST /sql/read as "sql.read".
void AddSqlRoutes(http::Router& router, query::SqlRuntime& runtime,
                  const RequestAudit* audit = nullptr, const AccessControl* access = nullptr);

}  // namespace timestore::api
