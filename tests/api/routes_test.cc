#include "api/routes.h"

#include <gtest/gtest.h>

#include "api/json_body.h"

namespace timestore::api {
namespace {

http::Response Call(const http::Router& router, const std::string& method, const std::string& path,
                    std::string body = {}) {
  http::RouteMatch m = router.Match(method, path);
  EXPECT_EQ(m.kind, http::RouteMatch::Kind::kFound) << method << " " << path;
  http::Request req;
  req.method = method;
  req.path = path;
  req.body = std::move(body);
  return (*m.handler)(req);
}

http::Router OperationalRouter(common::Status* readiness) {
  http::Router router;
  AddOperationalRoutes(router, {"1.2.3", [readiness] { return *readiness; },
                                [] { return std::string("# TYPE x counter\nx 1\n"); }});
  return router;
}

TEST(OperationalRoutesTest, HealthAnswersOkWithVersion) {
  common::Status ready;
  http::Router router = OperationalRouter(&ready);
  http::Response r = Call(router, "GET", "/health");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"status":"ok","version":"1.2.3"})");
}

TEST(OperationalRoutesTest, ReadyReflectsReadinessWithTheReason) {
  common::Status ready;
  http::Router router = OperationalRouter(&ready);
  EXPECT_EQ(Call(router, "GET", "/ready").body, R"({"status":"ready"})");
  ready = common::Unavailable("PostgreSQL at 127.0.0.1:5432 is unreachable: refused");
  http::Response r = Call(router, "GET", "/ready");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(
      r.body,
      R"({"status":"unavailable","reason":"PostgreSQL at 127.0.0.1:5432 is unreachable: refused"})");
}

TEST(OperationalRoutesTest, MetricsUsesThePrometheusContentType) {
  common::Status ready;
  http::Router router = OperationalRouter(&ready);
  http::Response r = Call(router, "GET", "/metrics");
  EXPECT_EQ(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(r.body, "# TYPE x counter\nx 1\n");
}

TEST(OperationalRoutesTest, OperationalRoutesAreNotVersioned) {
  common::Status ready;
  http::Router router = OperationalRouter(&ready);
  EXPECT_EQ(router.Match("GET", "/v1/health").kind, http::RouteMatch::Kind::kNotFound);
  EXPECT_EQ(router.Match("GET", "/v1/ready").kind, http::RouteMatch::Kind::kNotFound);
}

TEST(AddVersionedRouteTest, RouteIsServedAtRootAndUnderV1) {
  http::Router router;
  AddVersionedRoute(router, "GET", "/datasets/:datasetSlug", [](const http::Request& r) {
    return http::Response::Json("\"" + std::string(*r.PathParam("datasetSlug")) + "\"");
  });
  EXPECT_EQ(router.Match("GET", "/datasets/cpu").kind, http::RouteMatch::Kind::kFound);
  EXPECT_EQ(router.Match("GET", "/v1/datasets/cpu").kind, http::RouteMatch::Kind::kFound);
  EXPECT_EQ(router.Match("POST", "/v1/datasets/cpu").kind,
            http::RouteMatch::Kind::kMethodNotAllowed);
}

TEST(JsonRouteTest, MalformedBodyIs400InFastifyShapeAndHandlerIsNotCalled) {
  bool called = false;
  http::Handler h = JsonRoute([&](const http::Request&, simdjson::dom::element) {
    called = true;
    return http::Response::Json("{}");
  });
  for (std::string body : {"{\"a\":", "{'a':1}", "[1,2", "nul", "{\"a\":1} trailing"}) {
    http::Request req;
    req.body = body;
    http::Response r = h(req);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_EQ(
        r.body.rfind(R"({"statusCode":400,"error":"Bad Request","message":"Body is not valid JSON)",
                     0),
        0u)
        << r.body;
  }
  http::Request empty;
  EXPECT_EQ(h(empty).status, 400);
  EXPECT_FALSE(called);
}

TEST(JsonRouteTest, ValidBodyReachesTheHandlerParsed) {
  http::Handler h = JsonRoute([](const http::Request&, simdjson::dom::element root) {
    int64_t n = 0;
    EXPECT_EQ(root["n"].get(n), simdjson::SUCCESS);
    return http::Response::Json(std::to_string(n * 2));
  });
  http::Request req;
  req.body = R"({"n": 21, "rows": [1, 2, 3]})";
  EXPECT_EQ(h(req).body, "42");
}

}  // namespace
}  // namespace timestore::api
