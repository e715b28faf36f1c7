// Query routes: POST /datasets/:datasetSlug/query (also under /v1). `?format=json` (default),
// `csv` or `ndjson`; every format streams the rows (chunked), so large answers never sit in memory.
// CSV and NDJSON answers carry the JSON answer's other fields as headers: x-timestore-mode,
// x-timestore-version, x-timestore-partitions-scanned, x-timestore-partitions-pruned.
#pragma once

#include "api/access_control.h"
#include "api/request_audit.h"
#include "api/request_metrics.h"
#include "http/router.h"
#include "query/query_service.h"

namespace timestore::api {

// `query` and `metrics` (optional: records every query request's outcome; a streamed answer counts
// as a success only when its body ends well) must outlive the router.
// `audit` (optional) records one "query" event per request, a streamed one when its body ends.
void AddQueryRoutes(http::Router& router, query::QueryService& query,
                    const RequestMetrics* metrics = nullptr, const RequestAudit* audit = nullptr,
                    const AccessControl* access = nullptr);

// The format named by the request's `format` query parameter among `allowed` (the first is the
// default when absent); kInvalidArgument naming the choices otherwise.
common::Result<query::OutputFormat> FormatParam(const http::Request& request,
                                                std::initializer_list<query::OutputFormat> allowed);

// The Content-Type of an answer in `format`.
std::string_view ContentTypeOf(query::OutputFormat format);

}  // namespace timestore::api
