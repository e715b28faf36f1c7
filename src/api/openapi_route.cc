#include "api/openapi_route.h"

#include <string>

namespace timestore::api {

void AddOpenApiRoute(http::Router& router) {
  router.Add("GET", "/openapi.json", [](const http::Request&) {
    return http::Response::Json(std::string(OpenApiDocument()));
  });
}

}  // namespace timestore::api
