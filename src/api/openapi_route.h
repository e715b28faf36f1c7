// The OpenAPI 3.0 document of the HTTP API (src/api/openapi.json, embedded at build time by
// cmake/EmbedText.cmake) and the route that serves it. API paths are documented once, without the
// "/v1" prefix: the document lists two servers, the root and "/v1", and the operational path items
// (/health, /ready, /metrics, /openapi.json) override `servers` with the root alone, as they are
// registered (api/routes.h). tests/app/openapi_test.cc checks the document against the router.
#pragma once

#include <string_view>

#include "http/router.h"

namespace timestore::api {

// The document's JSON text; static storage, never empty.
std::string_view OpenApiDocument();

// GET /openapi.json: 200 with OpenApiDocument() as application/json. Root only, like /health.
void AddOpenApiRoute(http::Router& router);

}  // namespace timestore::api
