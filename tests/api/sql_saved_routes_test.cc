#include "api/sql_saved_routes.h"

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "catalog/catalog.h"
#include "common/time.h"
#include "testing/test_env.h"

namespace timestore::api {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

std::string Error(int status, const std::string& error, const std::string& message) {
  return R"({"statusCode":)" + std::to_string(status) + R"(,"error":")" + error +
         R"(","message":")" + message + R"("})";
}

std::string BadRequest(const std::string& message) { return Error(400, "Bad Request", message); }

// A router with only the saved-query routes over a fresh, migrated catalog schema.
class SavedQueryRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    catalog::CatalogOptions options;
    options.url = testing::PostgresUrl();
    options.schema = testing::UniqueName("api");
    options.pool_max = 4;
    catalog_ = std::make_unique<catalog::Catalog>(options);
    auto migrated = catalog_->Migrate();
    ASSERT_TRUE(migrated.ok()) << migrated.status().ToString();
    access_ = std::make_unique<AccessControl>(config::AuthConfig{}, catalog_->datasets(),
                                              catalog_->tokens());
    AddSavedQueryRoutes(router_, catalog_->saved_queries(), nullptr, access_.get());
  }

  http::Response Call(const std::string& method, const std::string& path, std::string body = {},
                      Headers headers = {}) {
    http::RouteMatch m = router_.Match(method, path);
    EXPECT_EQ(m.kind, http::RouteMatch::Kind::kFound) << method << " " << path;
    if (m.kind != http::RouteMatch::Kind::kFound) return {};
    http::Request req;
    req.method = method;
    req.path = path;
    req.route = std::string(m.pattern);
    req.path_params = std::move(m.params);
    req.headers = std::move(headers);
    req.body = std::move(body);
    req.identity = access_->Identify(req);  // as the server's identify hook does
    return (*m.handler)(req);
  }

  // The record JSON of `id` as stored, with the catalog's own timestamps.
  std::string Record(const std::string& id, const std::string& statement, const std::string& label,
                     const std::string& created_by, const std::string& stats) {
    auto found = catalog_->saved_queries().Find(catalog::SavedQueryId(id));
    EXPECT_TRUE(found.ok() && found->has_value()) << id;
    if (!found.ok() || !found->has_value()) return {};
    return R"({"id":")" + id + R"(","statement":")" + statement + R"(","label":)" + label +
           R"(,"createdBy":)" + created_by + R"(,"stats":)" + stats + R"(,"createdAt":")" +
           common::FormatIso8601((*found)->created_at) + R"(","updatedAt":")" +
           common::FormatIso8601((*found)->updated_at) + R"("})";
  }

  std::unique_ptr<catalog::Catalog> catalog_;
  std::unique_ptr<AccessControl> access_;  // mode none: attribution from the x-iam-* headers
  http::Router router_;
};

TEST_F(SavedQueryRoutesTest, CrudRoundTripAnswersExactJson) {
  EXPECT_EQ(Call("GET", "/sql/saved").body, R"({"savedQueries":[]})");

  http::Response created = Call(
      "PUT", "/sql/saved/cpu.daily",
      R"({"statement":"SELECT 1","label":"  Daily CPU ","stats":{"rowCount":3,"elapsedMs":12}})",
      {{"x-iam-user", "alice"}});
  ASSERT_EQ(created.status, 200) << created.body;
  const std::string first = Record("cpu.daily", "SELECT 1", R"("Daily CPU")", R"("alice")",
                                   R"({"rowCount":3,"elapsedMs":12})");
  EXPECT_EQ(created.body, R"({"savedQuery":)" + first + "}");
  EXPECT_EQ(created.content_type, "application/json; charset=utf-8");

  http::Response got = Call("GET", "/sql/saved/cpu.daily");
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.body, R"({"savedQuery":)" + first + "}");
  EXPECT_EQ(Call("GET", "/sql/saved").body, R"({"savedQueries":[)" + first + "]}");

  http::Response updated =
      Call("PUT", "/sql/saved/cpu.daily", R"({"statement":"SELECT 2","label":"   ","stats":null})",
           {{"x-iam-user", "bob"}});
  ASSERT_EQ(updated.status, 200) << updated.body;
  EXPECT_EQ(updated.body, R"({"savedQuery":)" +
                              Record("cpu.daily", "SELECT 2", "null", R"("alice")", "null") + "}");

  http::Response deleted = Call("DELETE", "/sql/saved/cpu.daily");
  EXPECT_EQ(deleted.status, 204);
  EXPECT_EQ(deleted.body, "");
  EXPECT_EQ(deleted.content_type, "");

  http::Response missing = Call("GET", "/sql/saved/cpu.daily");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body, Error(404, "Not Found", "saved query 'cpu.daily' not found"));
  http::Response delete_missing = Call("DELETE", "/sql/saved/cpu.daily");
  EXPECT_EQ(delete_missing.status, 404);
  EXPECT_EQ(delete_missing.body, Error(404, "Not Found", "saved query 'cpu.daily' not found"));
  EXPECT_EQ(Call("GET", "/sql/saved").body, R"({"savedQueries":[]})");
}

TEST_F(SavedQueryRoutesTest, RoutesAreServedUnderV1Too) {
  http::Response created = Call("PUT", "/v1/sql/saved/q1", R"({"statement":"SELECT 1"})");
  ASSERT_EQ(created.status, 200) << created.body;
  const std::string record = Record("q1", "SELECT 1", "null", "null", "null");
  EXPECT_EQ(created.body, R"({"savedQuery":)" + record + "}");
  EXPECT_EQ(Call("GET", "/v1/sql/saved/q1").body, R"({"savedQuery":)" + record + "}");
  EXPECT_EQ(Call("GET", "/v1/sql/saved").body, R"({"savedQueries":[)" + record + "]}");
  EXPECT_EQ(Call("DELETE", "/v1/sql/saved/q1").status, 204);
  EXPECT_EQ(Call("GET", "/v1/sql/saved/q1").status, 404);
}

TEST_F(SavedQueryRoutesTest, CreatorIsTheFirstNonEmptyActorHeader) {
  Call("PUT", "/sql/saved/by-user-id", R"({"statement":"SELECT 1"})",
       {{"x-iam-user", ""}, {"x-user-id", "u-7"}, {"x-actor-id", "svc"}});
  Call("PUT", "/sql/saved/by-actor-id", R"({"statement":"SELECT 1"})", {{"x-actor-id", "svc"}});
  Call("PUT", "/sql/saved/anonymous", R"({"statement":"SELECT 1"})");
  auto creator = [&](const std::string& id) {
    auto q = catalog_->saved_queries().Find(catalog::SavedQueryId(id));
    EXPECT_TRUE(q.ok() && q->has_value()) << id;
    return q.ok() && q->has_value() ? (*q)->created_by : std::nullopt;
  };
  EXPECT_EQ(creator("by-user-id"), "u-7");
  EXPECT_EQ(creator("by-actor-id"), "svc");
  EXPECT_EQ(creator("anonymous"), std::nullopt);
  // A query saved anonymously takes the first actor that updates it, and keeps that one.
  Call("PUT", "/sql/saved/anonymous", R"({"statement":"SELECT 2"})", {{"x-iam-user", "carol"}});
  Call("PUT", "/sql/saved/anonymous", R"({"statement":"SELECT 3"})", {{"x-iam-user", "dave"}});
  EXPECT_EQ(creator("anonymous"), "carol");
}

TEST_F(SavedQueryRoutesTest, ListIsMostRecentlySavedFirst) {
  for (const char* id : {"a", "b", "c", "a"}) {
    ASSERT_EQ(Call("PUT", std::string("/sql/saved/") + id, R"({"statement":"SELECT 1"})").status,
              200);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  const std::string a = Record("a", "SELECT 1", "null", "null", "null");
  const std::string b = Record("b", "SELECT 1", "null", "null", "null");
  const std::string c = Record("c", "SELECT 1", "null", "null", "null");
  EXPECT_EQ(Call("GET", "/sql/saved").body, R"({"savedQueries":[)" + a + "," + c + "," + b + "]}");
}

TEST_F(SavedQueryRoutesTest, InvalidBodiesAre400NamingTheFieldAndChangeNothing) {
  const std::string original =
      R"({"statement":"SELECT 1","label":"keep","stats":{"rowCount":1,"elapsedMs":2}})";
  ASSERT_EQ(Call("PUT", "/sql/saved/q1", original, {{"x-iam-user", "alice"}}).status, 200);
  const std::string before = Call("GET", "/sql/saved/q1").body;

  const std::string count_message =
      "must be a non-negative integer no greater than 9007199254740991";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"label":"x"})", "statement: must be a non-empty string"},
      {R"({"statement":""})", "statement: must be a non-empty string"},
      {R"({"statement":"  \n\t "})", "statement: must be a non-empty string"},
      {R"({"statement":null})", "statement: must be a non-empty string"},
      {R"({"statement":42})", "statement: must be a non-empty string"},
      {R"({"statement":["SELECT 1"]})", "statement: must be a non-empty string"},
      {R"({"statement":"SELECT\u00002"})", "statement: must not contain NUL characters"},
      {R"({"statement":"SELECT 2","label":"a\u0000b"})", "label: must not contain NUL characters"},
      {R"({"statement":"SELECT 2","label":5})", "label: must be a string or null"},
      {R"({"statement":"SELECT 2","label":{}})", "label: must be a string or null"},
      {R"({"statement":"SELECT 2","stats":[]})", "stats: must be an object or null"},
      {R"({"statement":"SELECT 2","stats":"fast"})", "stats: must be an object or null"},
      {R"({"statement":"SELECT 2","stats":{"rowCount":-1}})", "stats.rowCount: " + count_message},
      {R"({"statement":"SELECT 2","stats":{"rowCount":1.5}})", "stats.rowCount: " + count_message},
      {R"({"statement":"SELECT 2","stats":{"rowCount":"3"}})", "stats.rowCount: " + count_message},
      {R"({"statement":"SELECT 2","stats":{"rowCount":true}})", "stats.rowCount: " + count_message},
      {R"({"statement":"SELECT 2","stats":{"rowCount":9007199254740992}})",
       "stats.rowCount: " + count_message},
      {R"({"statement":"SELECT 2","stats":{"rowCount":18446744073709551615}})",
       "stats.rowCount: " + count_message},
      {R"({"statement":"SELECT 2","stats":{"rowCount":1e300}})",
       "stats.rowCount: " + count_message},
      {R"({"statement":"SELECT 2","stats":{"elapsedMs":-0.5}})",
       "stats.elapsedMs: " + count_message},
      {R"({"statement":"SELECT 2","stats":{"rowCount":1,"elapsedMs":-3}})",
       "stats.elapsedMs: " + count_message},
      {R"(["SELECT 2"])", "body: must be a JSON object"},
      {R"("SELECT 2")", "body: must be a JSON object"},
      {"{\"statement\":\"" + std::string(100'001, 'x') + "\"}",
       "statement: must be at most 100000 characters"},
  };
  for (const auto& [body, message] : cases) {
    http::Response r = Call("PUT", "/sql/saved/q1", body, {{"x-iam-user", "mallory"}});
    EXPECT_EQ(r.status, 400) << body.substr(0, 80);
    EXPECT_EQ(r.body, BadRequest(message)) << body.substr(0, 80);
  }
  http::Response not_json = Call("PUT", "/sql/saved/q1", R"({"statement":)");
  EXPECT_EQ(not_json.status, 400);
  EXPECT_NE(not_json.body.find("Body is not valid JSON"), std::string::npos) << not_json.body;
  http::Response new_id = Call("PUT", "/sql/saved/q2", R"({"statement":""})");
  EXPECT_EQ(new_id.status, 400);

  EXPECT_EQ(Call("GET", "/sql/saved/q1").body, before);
  EXPECT_EQ(Call("GET", "/sql/saved/q2").status, 404);
}

TEST_F(SavedQueryRoutesTest, AcceptedEdgeValuesAreStoredAsSent) {
  http::Response r = Call(
      "PUT", "/sql/saved/edge",
      R"({"statement":"SELECT 1","label":null,"stats":{"rowCount":9007199254740991,"elapsedMs":5.0},"extra":true})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, R"({"savedQuery":)" +
                        Record("edge", "SELECT 1", "null", "null",
                               R"({"rowCount":9007199254740991,"elapsedMs":5})") +
                        "}");
  r = Call("PUT", "/sql/saved/edge",
           R"({"statement":"SELECT 1","stats":{"rowCount":null,"elapsedMs":0}})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, R"({"savedQuery":)" +
                        Record("edge", "SELECT 1", "null", "null", R"({"elapsedMs":0})") + "}");
  r = Call("PUT", "/sql/saved/edge", R"({"statement":"SELECT 1","stats":{}})");
  EXPECT_EQ(r.body, R"({"savedQuery":)" + Record("edge", "SELECT 1", "null", "null", "null") + "}");
}

TEST_F(SavedQueryRoutesTest, StatementLimitCountsCharactersNotBytes) {
  std::string at_limit;
  for (int i = 0; i < 100'000; ++i) at_limit += "\xC3\xA9";  // é: two bytes, one character
  EXPECT_EQ(Call("PUT", "/sql/saved/long", "{\"statement\":\"" + at_limit + "\"}").status, 200);
  auto stored = catalog_->saved_queries().Find(catalog::SavedQueryId("long"));
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->statement, at_limit);
  http::Response over = Call("PUT", "/sql/saved/long", "{\"statement\":\"" + at_limit + "x\"}");
  EXPECT_EQ(over.status, 400);
  EXPECT_EQ(over.body, BadRequest("statement: must be at most 100000 characters"));
}

TEST_F(SavedQueryRoutesTest, InvalidIdIs400OnEveryRoute) {
  const std::string message =
      "id: must be 1-128 characters of letters, digits, '.', '_', ':' or '-'";
  for (const std::string& path :
       {std::string("/sql/saved/a%20b"), std::string("/sql/saved/") + std::string(129, 'x'),
        std::string("/v1/sql/saved/semi%3Bcolon")}) {
    for (const char* method : {"GET", "PUT", "DELETE"}) {
      http::Response r = Call(method, path, R"({"statement":"SELECT 1"})");
      EXPECT_EQ(r.status, 400) << method << " " << path;
      EXPECT_EQ(r.body, BadRequest(message)) << method << " " << path;
    }
  }
  EXPECT_EQ(Call("GET", "/sql/saved").body, R"({"savedQueries":[]})");
  const std::string longest(128, 'x');
  EXPECT_EQ(Call("PUT", "/sql/saved/" + longest, R"({"statement":"SELECT 1"})").status, 200);
  EXPECT_EQ(Call("PUT", "/sql/saved/A.b_c:d-9", R"({"statement":"SELECT 1"})").status, 200);
}

}  // namespace
}  // namespace timestore::api
