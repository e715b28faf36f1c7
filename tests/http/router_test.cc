#include "http/router.h"

#include <gtest/gtest.h>

#include "http/error_response.h"

namespace timestore::http {
namespace {

Handler Named(const std::string& name) {
  return [name](const Request&) { return Response::Json(name); };
}

std::string Call(const RouteMatch& m) { return (*m.handler)(Request{}).body; }

TEST(RouterTest, MatchesLiteralAndParameterSegments) {
  Router router;
  router.Add("GET", "/health", Named("health"));
  router.Add("POST", "/datasets/:datasetSlug/ingest", Named("ingest"));
  router.Add("GET", "/datasets/:datasetSlug/partitions/:partitionId", Named("partition"));

  RouteMatch m = router.Match("GET", "/health");
  ASSERT_EQ(m.kind, RouteMatch::Kind::kFound);
  EXPECT_EQ(Call(m), "health");
  EXPECT_EQ(m.pattern, "/health");
  EXPECT_TRUE(m.params.empty());

  m = router.Match("POST", "/datasets/cpu/ingest");
  ASSERT_EQ(m.kind, RouteMatch::Kind::kFound);
  EXPECT_EQ(Call(m), "ingest");
  EXPECT_EQ(m.pattern, "/datasets/:datasetSlug/ingest");
  ASSERT_EQ(m.params.size(), 1u);
  EXPECT_EQ(m.params[0].first, "datasetSlug");
  EXPECT_EQ(m.params[0].second, "cpu");

  m = router.Match("GET", "/datasets/cpu%20load/partitions/p%2F1");
  ASSERT_EQ(m.kind, RouteMatch::Kind::kFound);
  ASSERT_EQ(m.params.size(), 2u);
  EXPECT_EQ(m.params[0].second, "cpu load");  // parameters are percent-decoded
  EXPECT_EQ(m.params[1].first, "partitionId");
  EXPECT_EQ(m.params[1].second, "p/1");
}

TEST(RouterTest, UnknownPathIsNotFoundAndWrongMethodListsAllowedMethods) {
  Router router;
  router.Add("GET", "/datasets/:slug", Named("get"));
  router.Add("DELETE", "/datasets/:slug", Named("delete"));

  EXPECT_EQ(router.Match("GET", "/nope").kind, RouteMatch::Kind::kNotFound);
  EXPECT_EQ(router.Match("GET", "/datasets").kind, RouteMatch::Kind::kNotFound);
  EXPECT_EQ(router.Match("GET", "/datasets/").kind, RouteMatch::Kind::kNotFound);  // empty param
  EXPECT_EQ(router.Match("GET", "/datasets/cpu/").kind, RouteMatch::Kind::kNotFound);
  EXPECT_EQ(router.Match("GET", "/datasets/cpu/extra").kind, RouteMatch::Kind::kNotFound);

  RouteMatch m = router.Match("POST", "/datasets/cpu");
  ASSERT_EQ(m.kind, RouteMatch::Kind::kMethodNotAllowed);
  EXPECT_EQ(m.pattern, "/datasets/:slug");
  EXPECT_EQ(m.allowed_methods, (std::vector<std::string>{"DELETE", "GET", "HEAD"}));
}

TEST(RouterTest, HeadFallsBackToGetButAnExplicitHeadRouteWins) {
  Router router;
  router.Add("GET", "/a", Named("get-a"));
  router.Add("GET", "/b", Named("get-b"));
  router.Add("HEAD", "/b", Named("head-b"));
  RouteMatch m = router.Match("HEAD", "/a");
  ASSERT_EQ(m.kind, RouteMatch::Kind::kFound);
  EXPECT_EQ(Call(m), "get-a");
  m = router.Match("HEAD", "/b");
  ASSERT_EQ(m.kind, RouteMatch::Kind::kFound);
  EXPECT_EQ(Call(m), "head-b");
}

TEST(RouterTest, LiteralSegmentWinsAndOtherMethodsFallBackToParameterRoutes) {
  Router router;
  router.Add("GET", "/datasets/:slug", Named("get-by-slug"));
  router.Add("POST", "/datasets/new", Named("post-new"));
  router.Add("GET", "/", Named("root"));

  RouteMatch m = router.Match("POST", "/datasets/new");
  ASSERT_EQ(m.kind, RouteMatch::Kind::kFound);
  EXPECT_EQ(Call(m), "post-new");
  // "/datasets/new" has no GET, but "/datasets/:slug" does.
  m = router.Match("GET", "/datasets/new");
  ASSERT_EQ(m.kind, RouteMatch::Kind::kFound);
  EXPECT_EQ(Call(m), "get-by-slug");
  EXPECT_EQ(m.params[0].second, "new");
  // Allowed methods are the union over every pattern matching the path.
  m = router.Match("PUT", "/datasets/new");
  ASSERT_EQ(m.kind, RouteMatch::Kind::kMethodNotAllowed);
  EXPECT_EQ(m.allowed_methods, (std::vector<std::string>{"GET", "HEAD", "POST"}));

  m = router.Match("GET", "/");
  ASSERT_EQ(m.kind, RouteMatch::Kind::kFound);
  EXPECT_EQ(Call(m), "root");
}

TEST(RouterTest, DifferentParameterNamesAtTheSamePositionKeepTheirOwnNames) {
  Router router;
  router.Add("GET", "/jobs/:jobId", Named("get"));
  router.Add("DELETE", "/jobs/:id", Named("delete"));
  EXPECT_EQ(router.Match("GET", "/jobs/7").params[0].first, "jobId");
  EXPECT_EQ(router.Match("DELETE", "/jobs/7").params[0].first, "id");
}

TEST(RouterDeathTest, RegisteringTheSameRouteTwiceIsAProgrammerError) {
  Router router;
  router.Add("GET", "/datasets/:slug", Named("a"));
  EXPECT_DEATH(router.Add("GET", "/datasets/:other", Named("b")), "registered twice");
  EXPECT_DEATH(router.Add("GET", "no-slash", Named("c")), "starts with '/'");
  EXPECT_DEATH(router.Add("GET", "/a/:id/b/:id", Named("d")), "used twice");
}

TEST(RouterTest, RoutesListsEveryRegistrationSortedByPatternThenMethod) {
  Router router;
  EXPECT_TRUE(router.Routes().empty());
  router.Add("POST", "/datasets/:datasetSlug/ingest", Named("ingest"));
  router.Add("GET", "/health", Named("health"));
  router.Add("PUT", "/sql/saved/:id", Named("put"));
  router.Add("GET", "/sql/saved/:id", Named("get"));
  router.Add("GET", "/sql/saved", Named("list"));
  router.Add("GET", "/", Named("root"));

  using Route = std::pair<std::string, std::string>;
  EXPECT_EQ(router.Routes(), (std::vector<Route>{{"GET", "/"},
                                                 {"POST", "/datasets/:datasetSlug/ingest"},
                                                 {"GET", "/health"},
                                                 {"GET", "/sql/saved"},
                                                 {"GET", "/sql/saved/:id"},
                                                 {"PUT", "/sql/saved/:id"}}));
}

TEST(HttpErrorResponseTest, MapsStatusCodesToHttpStatuses) {
  using common::StatusCode;
  EXPECT_EQ(HttpStatusFor(StatusCode::kInvalidArgument), 400);
  EXPECT_EQ(HttpStatusFor(StatusCode::kUnauthenticated), 401);
  EXPECT_EQ(HttpStatusFor(StatusCode::kPermissionDenied), 403);
  EXPECT_EQ(HttpStatusFor(StatusCode::kNotFound), 404);
  EXPECT_EQ(HttpStatusFor(StatusCode::kAlreadyExists), 409);
  EXPECT_EQ(HttpStatusFor(StatusCode::kConflict), 409);
  EXPECT_EQ(HttpStatusFor(StatusCode::kFailedPrecondition), 412);
  EXPECT_EQ(HttpStatusFor(StatusCode::kPayloadTooLarge), 413);
  EXPECT_EQ(HttpStatusFor(StatusCode::kResourceExhausted), 429);
  EXPECT_EQ(HttpStatusFor(StatusCode::kDeadlineExceeded), 504);
  EXPECT_EQ(HttpStatusFor(StatusCode::kUnavailable), 503);
  EXPECT_EQ(HttpStatusFor(StatusCode::kInternal), 500);
}

TEST(HttpErrorResponseTest, BuildsTheFastifyErrorShape) {
  Response r = ErrorResponse(common::NotFound("dataset \"cpu\" not found"));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.content_type, "application/json; charset=utf-8");
  EXPECT_EQ(r.body,
            R"({"statusCode":404,"error":"Not Found","message":"dataset \"cpu\" not found"})");

  r = ErrorResponse(413, "Request body is too large");
  EXPECT_EQ(
      r.body,
      R"({"statusCode":413,"error":"Payload Too Large","message":"Request body is too large"})");
  EXPECT_EQ(ReasonPhrase(429), "Too Many Requests");
  EXPECT_EQ(ReasonPhrase(799), "Unknown");
}

TEST(HttpRequestTest, ParsesQueryStringsLikeNode) {
  QueryParams q = ParseQuery("a=1&b=x%20y+z&a=2&flag&&c=%zz&=v");
  ASSERT_EQ(q.count("a"), 2u);
  auto [first, last] = q.equal_range("a");
  EXPECT_EQ(first->second, "1");
  EXPECT_EQ(std::next(first)->second, "2");
  EXPECT_EQ(q.find("b")->second, "x y z");
  EXPECT_EQ(q.find("flag")->second, "");
  EXPECT_EQ(q.find("c")->second, "%zz");  // invalid escapes stay literal
  EXPECT_EQ(q.find("")->second, "v");
}

TEST(HttpRequestTest, PercentDecodeRejectsInvalidEscapes) {
  EXPECT_EQ(PercentDecode("a%2Fb%20c+d"), "a/b c+d");
  EXPECT_EQ(PercentDecode("a+b", true), "a b");
  EXPECT_FALSE(PercentDecode("%"));
  EXPECT_FALSE(PercentDecode("%4"));
  EXPECT_FALSE(PercentDecode("%G0"));
}

TEST(HttpRequestTest, LooksUpHeadersCaseInsensitivelyAndParametersByName) {
  Request r;
  r.headers = {{"content-type", "application/json"}, {"x-a", "1"}, {"x-a", "2"}};
  r.query = ParseQuery("limit=10");
  r.path_params = {{"datasetSlug", "cpu"}};
  EXPECT_EQ(r.Header("Content-Type"), "application/json");
  EXPECT_EQ(r.Header("X-A"), "1");
  EXPECT_FALSE(r.Header("accept"));
  EXPECT_EQ(r.QueryParam("limit"), "10");
  EXPECT_FALSE(r.QueryParam("offset"));
  EXPECT_EQ(r.PathParam("datasetSlug"), "cpu");
  EXPECT_FALSE(r.PathParam("datasetslug"));
}

}  // namespace
}  // namespace timestore::http
