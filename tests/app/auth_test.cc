// Access control through a real Service: the 401/403 matrix over every registered route in tokens
// and headers modes, token issuing (hash only in the catalog), revocation and expiry, per-dataset
// IAM scopes for ingest, query and SQL, dataset-limited tokens, the metrics scope, refusals in the
// audit trail, the `timestore token` CLI, and the insecure-bind refusal.
#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <simdjson.h>

#include "api/access_control.h"
#include "app/service.h"
#include "app/service_fixture.h"
#include "catalog/catalog.h"
#include "catalog/pg_connection.h"
#include "common/time.h"
#include "testing/raw_http_client.h"
#include "testing/subprocess.h"
#include "testing/test_env.h"

namespace timestore::app {
namespace {

using namespace std::chrono_literals;
using testing::RawHttpClient;
using testing::RawResponse;

constexpr const char* kAdminToken = "admin-secret-for-tests-0123456789abcdef";

std::string Bearer(const std::string& token) { return "Authorization: Bearer " + token + "\r\n"; }

// Admin credentials in both tokens and headers mode (each mode ignores the other's header), with
// the admin scope under its default name and the one RenamedScopesApply gives it.
const std::string kAdmin = Bearer(kAdminToken) + "x-iam-scopes: timestore:admin,ops\r\n";

// The scope a route needs with the default scope names (the matrix the README documents).
std::string ExpectedScope(const std::string& method, const std::string& pattern) {
  std::string path = pattern.starts_with("/v1/") ? pattern.substr(3) : pattern;
  if (path == "/metrics") return "timestore:metrics";
  if (path.starts_with("/admin/")) return "timestore:admin";
  if (path.starts_with("/sql/")) return "timestore:sql:read";
  if (method == "POST" && path.ends_with("/ingest")) return "timestore:write";
  return "timestore:read";
}

bool IsPublic(const std::string& pattern) {
  return pattern == "/health" || pattern == "/ready" || pattern == "/openapi.json";
}

// `pattern` with every ":param" replaced by a plausible value.
std::string Concrete(const std::string& pattern) {
  std::string out;
  size_t i = 0;
  while (i < pattern.size()) {
    if (pattern[i] == ':') {
      size_t end = pattern.find('/', i);
      if (end == std::string::npos) end = pattern.size();
      out += "cpu";
      i = end;
    } else {
      out += pattern[i++];
    }
  }
  return out;
}

class AuthTest : public ServiceTest {
 protected:
  AuthTest() : ServiceTest("auth") {}

  void StartService(config::AuthMode mode) {
    config_.auth.mode = mode;
    config_.auth.admin_token = kAdminToken;
    ServiceTest::StartService();
  }

  // Issues a token through the API with the admin token; returns its secret.
  std::string Issue(const std::string& scopes_json, const std::string& extra = "") {
    RawResponse r =
        Call("POST", "/admin/tokens", R"({"name":"t","scopes":)" + scopes_json + extra + "}",
             Bearer(kAdminToken));
    EXPECT_EQ(r.status, 201) << r.body;
    simdjson::dom::parser parser;
    std::string_view secret;
    EXPECT_EQ(parser.parse(r.body)["token"].get(secret), simdjson::SUCCESS) << r.body;
    return std::string(secret);
  }

  void CreateDataset(const std::string& slug, std::vector<std::string> read_scopes,
                     std::vector<std::string> write_scopes) {
    catalog::NewDataset d;
    d.slug = slug;
    d.name = slug;
    d.read_scopes = std::move(read_scopes);
    d.write_scopes = std::move(write_scopes);
    ASSERT_TRUE(catalog_->datasets().Create(d).ok());
    ASSERT_EQ(Call("POST", "/datasets/" + slug + "/ingest", IngestBody(3), kAdmin).status, 201);
  }

  int AuditCount(const std::string& action) { return static_cast<int>(AuditEvents(action).size()); }
};

TEST_F(AuthTest, TokensModeEveryProtectedRouteIs401WithoutCredentialsAnd403WithoutTheScope) {
  StartService(config::AuthMode::kTokens);
  const std::string stranger = Issue(R"(["someone:else"])");
  int checked = 0;
  for (const auto& [method, pattern] : service_->RegisteredRoutes()) {
    const std::string target = Concrete(pattern);
    const std::string body = method == "GET" || method == "DELETE" ? "" : "{}";
    RawResponse anonymous = Call(method, target, body);
    if (IsPublic(pattern)) {
      EXPECT_NE(anonymous.status, 401) << method << " " << pattern;
      continue;
    }
    ++checked;
    EXPECT_EQ(anonymous.status, 401) << method << " " << pattern << ": " << anonymous.body;
    EXPECT_EQ(anonymous.Header("www-authenticate"), "Bearer realm=\"timestore\"") << pattern;
    EXPECT_NE(anonymous.body.find(R"("error":"Unauthorized")"), std::string::npos)
        << anonymous.body;

    RawResponse wrong_token = Call(method, target, body, Bearer("tst_not-a-real-token"));
    EXPECT_EQ(wrong_token.status, 401) << method << " " << pattern;

    RawResponse without_scope = Call(method, target, body, Bearer(stranger));
    EXPECT_EQ(without_scope.status, 403) << method << " " << pattern << ": " << without_scope.body;
    const std::string scope = ExpectedScope(method, pattern);
    EXPECT_NE(without_scope.body.find("missing required scope " + scope), std::string::npos)
        << method << " " << pattern << ": " << without_scope.body;

    // The admin scope passes everywhere.
    RawResponse admin = Call(method, target, body, Bearer(kAdminToken));
    EXPECT_NE(admin.status, 401) << method << " " << pattern;
    EXPECT_NE(admin.status, 403) << method << " " << pattern << ": " << admin.body;
  }
  EXPECT_GT(checked, 20);
  // Refusals are in the audit trail.
  EXPECT_GE(AuditCount("access.denied"), 3 * checked);
}

// Secured resolves a dataset by id or slug and hands it to the query route; the route still
// answers by slug only, and a commit made after one request is seen by the next.
TEST_F(AuthTest, QueryRouteUsesTheCheckedDatasetYetStillNamesItBySlugOnly) {
  StartService(config::AuthMode::kTokens);
  CreateDataset("bytes", {}, {});
  auto dataset = catalog_->datasets().GetBySlug("bytes");
  ASSERT_TRUE(dataset.ok()) << dataset.status().ToString();
  RawResponse by_slug = Call("POST", "/datasets/bytes/query", kFirstDayQuery, kAdmin);
  ASSERT_EQ(by_slug.status, 200) << by_slug.body;
  EXPECT_NE(by_slug.body.find(R"("version":1)"), std::string::npos) << by_slug.body;
  RawResponse by_id =
      Call("POST", "/datasets/" + dataset->id.value() + "/query", kFirstDayQuery, kAdmin);
  EXPECT_EQ(by_id.status, 404) << by_id.body;
  ASSERT_EQ(Call("POST", "/datasets/bytes/ingest", IngestBody(2), kAdmin).status, 201);
  RawResponse after = Call("POST", "/datasets/bytes/query", kFirstDayQuery, kAdmin);
  ASSERT_EQ(after.status, 200) << after.body;
  EXPECT_NE(after.body.find(R"("version":2)"), std::string::npos) << after.body;
}

TEST_F(AuthTest, ABadAuthorizationHeaderIs401) {
  StartService(config::AuthMode::kTokens);
  for (const std::string header :
       {"Authorization: Basic YWRtaW46YWRtaW4=\r\n", "Authorization: Bearer\r\n",
        "Authorization: Bearer \r\n", "Authorization: tst_abc\r\n"}) {
    RawResponse r = Call("GET", "/admin/tokens", "", header);
    EXPECT_EQ(r.status, 401) << header << r.body;
  }
  // The scheme is case-insensitive.
  EXPECT_EQ(
      Call("GET", "/admin/tokens", "", std::string("Authorization: bearer ") + kAdminToken + "\r\n")
          .status,
      200);
  // The x-iam headers mean nothing in tokens mode.
  EXPECT_EQ(Call("GET", "/admin/tokens", "", "x-iam-scopes: timestore:admin\r\n").status, 401);
}

TEST_F(AuthTest, IssuedTokensAreStoredOnlyAsAHashAndShownOnce) {
  StartService(config::AuthMode::kTokens);
  RawResponse created = Call(
      "POST", "/v1/admin/tokens",
      R"({"name":"dashboards","scopes":["timestore:read","timestore:sql:read"],"datasets":["cpu"]})",
      Bearer(kAdminToken));
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.Header("cache-control"), "no-store");
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(created.body);
  const std::string secret(doc["token"].get_string().value());
  const std::string id(doc["id"].get_string().value());
  EXPECT_TRUE(secret.starts_with("tst_")) << secret;
  EXPECT_EQ(secret.size(), 4u + 43u);
  EXPECT_EQ(std::string(doc["createdBy"].get_string().value()), "admin-token");
  EXPECT_EQ(std::string(doc["status"].get_string().value()), "active");

  // No column of the catalog holds the secret; the hash is SHA-256 of it.
  catalog::PgConnectOptions options;
  options.url = config_.postgres.url;
  options.schema = config_.postgres.schema;
  auto conn = catalog::PgConnection::Connect(options);
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  auto rows = conn->Exec("SELECT row_to_json(t)::text, t.token_hash FROM api_tokens t");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->rows(), 1);
  EXPECT_EQ(std::string(rows->GetText(0, 0)).find(secret.substr(4)), std::string::npos);
  EXPECT_EQ(rows->GetText(0, 1), api::HashToken(secret));

  // Listing never shows a secret.
  RawResponse list = Call("GET", "/admin/tokens", "", Bearer(kAdminToken));
  ASSERT_EQ(list.status, 200);
  EXPECT_NE(list.body.find(id), std::string::npos);
  EXPECT_EQ(list.body.find(secret), std::string::npos);
  EXPECT_EQ(list.body.find(R"("token":)"), std::string::npos) << list.body;
  // Two issued tokens never share a secret.
  EXPECT_NE(Issue(R"(["timestore:read"])"), Issue(R"(["timestore:read"])"));
  EXPECT_EQ(AuditCount("token.create"), 3);
}

TEST_F(AuthTest, TokenRequestsAreValidated) {
  StartService(config::AuthMode::kTokens);
  struct Case {
    std::string body;
    std::string message;
  };
  const std::vector<Case> cases = {
      {R"({"scopes":["a"]})", "name: required"},
      {R"({"name":"x"})", "scopes: required"},
      {R"({"name":"","scopes":["a"]})", "name: must be 1 to 200 characters"},
      {R"({"name":"x","scopes":[]})", "scopes: must list 1 to 64 scopes"},
      {R"({"name":"x","scopes":["a b"]})", "scopes[0]: 'a b' is not a scope name"},
      {R"({"name":"x","scopes":["a,b"]})", "scopes[0]: 'a,b' is not a scope name"},
      {R"({"name":"x","scopes":[1]})", "scopes[0]: expected a non-empty string, got number 1"},
      {R"({"name":"x","scopes":["a"],"datasets":["Bad!"]})", "datasets[0]: 'Bad!' is not"},
      {R"({"name":"x","scopes":["a"],"datasets":[]})", "datasets: must list 1 to 1000"},
      {R"({"name":"x","scopes":["a"],"expiresAt":"2001-01-01T00:00:00Z"})",
       "expiresAt: must be in the future"},
      {R"({"name":"x","scopes":["a"],"expiresAt":"tomorrow"})", "expiresAt: expected an ISO 8601"},
      {R"({"name":"x","scopes":["a"],"token":"mine"})", "body: unknown field 'token'"},
  };
  for (const Case& c : cases) {
    RawResponse r = Call("POST", "/admin/tokens", c.body, Bearer(kAdminToken));
    EXPECT_EQ(r.status, 400) << c.body << " " << r.body;
    EXPECT_NE(r.body.find(c.message), std::string::npos) << c.body << " " << r.body;
  }
  RawResponse list = Call("GET", "/admin/tokens", "", Bearer(kAdminToken));
  EXPECT_EQ(list.body, R"({"tokens":[]})");
  EXPECT_EQ(Call("DELETE", "/admin/tokens/tok-nope", "", Bearer(kAdminToken)).status, 404);
}

TEST_F(AuthTest, RevocationAndExpiryTakeEffectAtOnce) {
  StartService(config::AuthMode::kTokens);
  CreateDataset("cpu", {}, {});
  RawResponse created = Call("POST", "/admin/tokens", R"({"name":"r","scopes":["timestore:read"]})",
                             Bearer(kAdminToken));
  ASSERT_EQ(created.status, 201);
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(created.body);
  const std::string secret(doc["token"].get_string().value());
  const std::string id(doc["id"].get_string().value());
  ASSERT_EQ(Call("POST", "/datasets/cpu/query", kFirstDayQuery, Bearer(secret)).status, 200);
  RawResponse revoked = Call("DELETE", "/admin/tokens/" + id, "", Bearer(kAdminToken));
  ASSERT_EQ(revoked.status, 200) << revoked.body;
  EXPECT_NE(revoked.body.find(R"("status":"revoked")"), std::string::npos) << revoked.body;
  EXPECT_EQ(Call("POST", "/datasets/cpu/query", kFirstDayQuery, Bearer(secret)).status, 401);
  // Revoking again is harmless.
  EXPECT_EQ(Call("DELETE", "/admin/tokens/" + id, "", Bearer(kAdminToken)).status, 200);
  EXPECT_EQ(AuditCount("token.revoke"), 2);

  const std::string expiring =
      Issue(R"(["timestore:read"])",
            R"(,"expiresAt":")" + common::FormatIso8601(common::NowMicros() + 1'500'000) + "\"");
  EXPECT_EQ(Call("POST", "/datasets/cpu/query", kFirstDayQuery, Bearer(expiring)).status, 200);
  std::this_thread::sleep_for(1700ms);
  RawResponse expired = Call("POST", "/datasets/cpu/query", kFirstDayQuery, Bearer(expiring));
  EXPECT_EQ(expired.status, 401) << expired.body;
  RawResponse list = Call("GET", "/admin/tokens", "", Bearer(kAdminToken));
  EXPECT_NE(list.body.find(R"("status":"expired")"), std::string::npos) << list.body;
}

TEST_F(AuthTest, DatasetScopesReplaceTheGlobalOnesForIngestQueryAndSql) {
  StartService(config::AuthMode::kTokens);
  CreateDataset("open", {}, {});
  CreateDataset("secure", {"team:a"}, {"team:a-write"});
  const std::string reader = Issue(R"(["timestore:read","timestore:write","timestore:sql:read"])");
  const std::string team = Issue(R"(["team:a","team:a-write","timestore:sql:read"])");

  // Global scopes: the open dataset only.
  EXPECT_EQ(Call("POST", "/datasets/open/query", kFirstDayQuery, Bearer(reader)).status, 200);
  RawResponse denied = Call("POST", "/datasets/secure/query", kFirstDayQuery, Bearer(reader));
  EXPECT_EQ(denied.status, 403);
  EXPECT_NE(denied.body.find("missing required scope team:a for dataset secure"), std::string::npos)
      << denied.body;
  EXPECT_EQ(Call("POST", "/datasets/open/ingest", IngestBody(2), Bearer(reader)).status, 201);
  RawResponse write_denied = Call("POST", "/datasets/secure/ingest", IngestBody(2), Bearer(reader));
  EXPECT_EQ(write_denied.status, 403);
  EXPECT_NE(write_denied.body.find("team:a-write"), std::string::npos) << write_denied.body;
  EXPECT_EQ(Call("GET", "/datasets/secure/manifest", "", Bearer(reader)).status, 403);

  // The dataset's scopes: the secure dataset only.
  EXPECT_EQ(Call("POST", "/datasets/secure/query", kFirstDayQuery, Bearer(team)).status, 200);
  EXPECT_EQ(Call("POST", "/datasets/secure/ingest", IngestBody(2), Bearer(team)).status, 201);
  EXPECT_EQ(Call("POST", "/datasets/open/query", kFirstDayQuery, Bearer(team)).status, 403);
  // A new dataset needs the global write scope.
  EXPECT_EQ(Call("POST", "/datasets/fresh/ingest", IngestBody(1), Bearer(team)).status, 403);
  EXPECT_EQ(Call("POST", "/datasets/fresh/ingest", IngestBody(1), Bearer(reader)).status, 201);

  // SQL: a dataset the caller may not read is exactly like one that does not exist.
  auto sql = [&](const std::string& token, const std::string& table) {
    return Call("POST", "/sql/read",
                R"({"sql":"SELECT count(*) AS n FROM timestore.\")" + table + R"(\""})",
                Bearer(token));
  };
  EXPECT_EQ(sql(reader, "open").status, 200);
  RawResponse hidden = sql(reader, "secure");
  RawResponse missing = sql(reader, "nosuch");
  EXPECT_EQ(hidden.status, missing.status) << hidden.body;
  EXPECT_GE(hidden.status, 400);
  std::string normalized = hidden.body;
  for (size_t at; (at = normalized.find("secure")) != std::string::npos;) {
    normalized.replace(at, 6, "nosuch");
  }
  EXPECT_EQ(normalized, missing.body);
  EXPECT_EQ(sql(team, "secure").status, 200);
  EXPECT_EQ(sql(team, "open").status, missing.status);

  RawResponse schema = Call("GET", "/sql/schema", "", Bearer(reader));
  ASSERT_EQ(schema.status, 200) << schema.body;
  EXPECT_NE(schema.body.find(R"(\"open\")"), std::string::npos) << schema.body;
  EXPECT_EQ(schema.body.find("secure"), std::string::npos) << schema.body;
  RawResponse runtime =
      Call("POST", "/sql/read", R"({"sql":"SELECT slug FROM timestore_runtime.datasets"})",
           Bearer(team));
  ASSERT_EQ(runtime.status, 200) << runtime.body;
  EXPECT_NE(runtime.body.find("secure"), std::string::npos) << runtime.body;
  EXPECT_EQ(runtime.body.find("open"), std::string::npos) << runtime.body;
}

TEST_F(AuthTest, DatasetLimitedTokensReachOnlyTheirDatasets) {
  StartService(config::AuthMode::kTokens);
  CreateDataset("cpu", {}, {});
  CreateDataset("mem", {}, {});
  const std::string limited = Issue(R"(["timestore:read","timestore:sql:read","timestore:admin"])",
                                    R"(,"datasets":["cpu"])");
  EXPECT_EQ(Call("POST", "/datasets/cpu/query", kFirstDayQuery, Bearer(limited)).status, 200);
  RawResponse other = Call("POST", "/datasets/mem/query", kFirstDayQuery, Bearer(limited));
  EXPECT_EQ(other.status, 403);
  EXPECT_NE(other.body.find("do not cover dataset mem"), std::string::npos) << other.body;
  // Admin routes of its dataset, addressed by slug or id; never the global ones.
  auto cpu = catalog_->datasets().GetBySlug("cpu");
  ASSERT_TRUE(cpu.ok());
  EXPECT_EQ(Call("GET", "/admin/datasets/cpu/retention", "", Bearer(limited)).status, 200);
  EXPECT_EQ(
      Call("GET", "/admin/datasets/" + cpu->id.value() + "/audit", "", Bearer(limited)).status,
      200);
  EXPECT_EQ(Call("GET", "/admin/datasets/mem/retention", "", Bearer(limited)).status, 403);
  EXPECT_EQ(Call("GET", "/admin/tokens", "", Bearer(limited)).status, 403);
  EXPECT_EQ(Call("GET", "/admin/lifecycle/status", "", Bearer(limited)).status, 403);
  RawResponse schema = Call("GET", "/sql/schema", "", Bearer(limited));
  ASSERT_EQ(schema.status, 200);
  EXPECT_EQ(schema.body.find("mem"), std::string::npos) << schema.body;
}

TEST_F(AuthTest, MetricsNeedTheMetricsScope) {
  StartService(config::AuthMode::kTokens);
  EXPECT_EQ(Call("GET", "/metrics").status, 401);
  EXPECT_EQ(Call("GET", "/metrics", "", Bearer(Issue(R"(["timestore:read"])"))).status, 403);
  RawResponse scraped = Call("GET", "/metrics", "", Bearer(Issue(R"(["timestore:metrics"])")));
  EXPECT_EQ(scraped.status, 200);
  EXPECT_NE(scraped.body.find("timestore_http_requests_total"), std::string::npos);
  // Health, readiness and the API description stay public.
  EXPECT_EQ(Call("GET", "/health").status, 200);
  EXPECT_EQ(Call("GET", "/ready").status, 200);
  EXPECT_EQ(Call("GET", "/openapi.json").status, 200);
}

TEST_F(AuthTest, RequestLogLinesNameTheActorAndNeverASecret) {
  StartService(config::AuthMode::kTokens);
  ::testing::internal::CaptureStderr();
  RawResponse created = Call("POST", "/admin/tokens",
                             R"({"name":"loki","scopes":["timestore:read"]})", Bearer(kAdminToken));
  ASSERT_EQ(created.status, 201);
  simdjson::dom::parser parser;
  const std::string secret(parser.parse(created.body)["token"].get_string().value());
  Call("POST", "/datasets/nope/query", kFirstDayQuery, Bearer(secret));
  Call("GET", "/admin/tokens", "", Bearer(secret));
  Call("GET", "/admin/tokens", "", Bearer("tst_guess"));
  service_->Stop();  // flushes: every request line is written before Stop returns
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(log.find(R"("route":"/datasets/:datasetSlug/query","status":404)"), std::string::npos)
      << log;
  const std::string token_id(parser.parse(created.body)["id"].get_string().value());
  EXPECT_NE(log.find(R"("actor":"token:loki/)" + token_id + "\""), std::string::npos) << log;
  EXPECT_NE(log.find(R"("actor":"admin-token")"), std::string::npos) << log;
  EXPECT_EQ(log.find(secret.substr(4)), std::string::npos) << "token secret logged";
  EXPECT_EQ(log.find(kAdminToken), std::string::npos) << "admin token logged";
  EXPECT_EQ(log.find("tst_guess"), std::string::npos) << "presented credentials logged";
}

TEST_F(AuthTest, HeadersModeTrustsTheGatewayHeaders) {
  StartService(config::AuthMode::kHeaders);
  CreateDataset("cpu", {}, {});
  RawResponse anonymous = Call("POST", "/datasets/cpu/query", kFirstDayQuery);
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(anonymous.Header("www-authenticate"), "");
  EXPECT_EQ(Call("POST", "/datasets/cpu/query", kFirstDayQuery, "x-iam-scopes: timestore:read\r\n")
                .status,
            200);
  RawResponse no_scope = Call("POST", "/datasets/cpu/query", kFirstDayQuery, "x-iam-user: bob\r\n");
  EXPECT_EQ(no_scope.status, 403);
  EXPECT_NE(no_scope.body.find("missing required scope timestore:read"), std::string::npos);
  RawResponse write = Call("POST", "/datasets/cpu/ingest", IngestBody(1),
                           "x-iam-user: bob\r\nx-iam-scopes: timestore:read, other\r\n");
  EXPECT_EQ(write.status, 403);
  EXPECT_NE(write.body.find("missing required scope timestore:write"), std::string::npos);
  EXPECT_EQ(Call("GET", "/admin/lifecycle/status", "", "x-iam-scopes: timestore:admin\r\n").status,
            200);
  // Bearer tokens mean nothing in headers mode.
  EXPECT_EQ(Call("GET", "/admin/lifecycle/status", "", Bearer(kAdminToken)).status, 401);
  // The refused write is attributed to bob.
  catalog::ListAuditOptions o;
  o.actions = {"access.denied"};
  auto events = catalog_->audit().List(o);
  ASSERT_TRUE(events.ok());
  bool bob = false;
  for (const auto& e : *events) bob = bob || (e.actor == "bob" && e.dataset_slug == "cpu");
  EXPECT_TRUE(bob);
}

TEST_F(AuthTest, RenamedScopesApply) {
  config_.auth.read_scope = "metrics.read";
  config_.auth.admin_scope = "ops";
  StartService(config::AuthMode::kHeaders);
  CreateDataset("cpu", {}, {});
  EXPECT_EQ(Call("POST", "/datasets/cpu/query", kFirstDayQuery, "x-iam-scopes: timestore:read\r\n")
                .status,
            403);
  EXPECT_EQ(
      Call("POST", "/datasets/cpu/query", kFirstDayQuery, "x-iam-scopes: metrics.read\r\n").status,
      200);
  EXPECT_EQ(Call("GET", "/admin/tokens", "", "x-iam-scopes: ops\r\n").status, 200);
}

TEST_F(AuthTest, TheTokenCommandIssuesListsAndRevokes) {
  StartService(config::AuthMode::kTokens);
  CreateDataset("cpu", {}, {});
  const std::map<std::string, std::string> env = {{"TIMESTORE_DATABASE_URL", config_.postgres.url},
                                                  {"TIMESTORE_PG_SCHEMA", config_.postgres.schema},
                                                  {"TIMESTORE_STORAGE_ROOT", config_.storage.root},
                                                  {"TIMESTORE_LOG_LEVEL", "error"}};
  auto [code, out] = testing::RunCommand({TIMESTORE_BINARY, "token", "create", "--name", "cli",
                                          "--scopes", "timestore:read", "--expires", "2d"},
                                         env, 30s);
  ASSERT_EQ(code, 0) << out;
  const size_t start = out.find("{\"id\"");
  ASSERT_NE(start, std::string::npos) << out;
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(out.substr(start, out.find('\n', start) - start));
  const std::string secret(doc["token"].get_string().value());
  const std::string id(doc["id"].get_string().value());
  EXPECT_EQ(std::string(doc["createdBy"].get_string().value()), "cli");
  EXPECT_FALSE(doc["expiresAt"].is_null());
  EXPECT_EQ(Call("POST", "/datasets/cpu/query", kFirstDayQuery, Bearer(secret)).status, 200);

  auto [list_code, listed] = testing::RunCommand({TIMESTORE_BINARY, "token", "list"}, env, 30s);
  EXPECT_EQ(list_code, 0) << listed;
  EXPECT_NE(listed.find(id), std::string::npos);
  EXPECT_EQ(listed.find(secret), std::string::npos);

  auto [revoke_code, revoked] =
      testing::RunCommand({TIMESTORE_BINARY, "token", "revoke", id}, env, 30s);
  EXPECT_EQ(revoke_code, 0) << revoked;
  EXPECT_EQ(Call("POST", "/datasets/cpu/query", kFirstDayQuery, Bearer(secret)).status, 401);

  auto [bad_code, bad] = testing::RunCommand(
      {TIMESTORE_BINARY, "token", "create", "--name", "x", "--scopes", "a", "--expires", "soon"},
      env, 30s);
  EXPECT_EQ(bad_code, 2) << bad;
  EXPECT_NE(bad.find("--expires: 'soon'"), std::string::npos) << bad;
  auto [missing_code, missing] =
      testing::RunCommand({TIMESTORE_BINARY, "token", "revoke", "tok-nope"}, env, 30s);
  EXPECT_EQ(missing_code, 1) << missing;
}

TEST(AuthBindingTest, ModeNoneRefusesANonLoopbackAddressUnlessAllowed) {
  config::ServiceConfig cfg;
  cfg.http.host = "0.0.0.0";
  cfg.http.port = 0;
  cfg.postgres.url = testing::PostgresUrl();
  Service service(cfg);
  const common::Status refused = service.Start();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.code(), common::StatusCode::kInvalidArgument);
  EXPECT_NE(refused.message().find("TIMESTORE_ALLOW_INSECURE=true"), std::string::npos)
      << refused.message();
  EXPECT_EQ(service.port(), 0);  // nothing was bound

  cfg.auth.allow_insecure = true;
  EXPECT_TRUE(config::CheckAuthBinding(cfg).ok());
  const std::optional<std::string> warning = config::InsecureBindingWarning(cfg);
  ASSERT_TRUE(warning.has_value());
  EXPECT_NE(warning->find("without access control"), std::string::npos) << *warning;
  cfg.auth.allow_insecure = false;
  cfg.auth.mode = config::AuthMode::kTokens;
  EXPECT_TRUE(config::CheckAuthBinding(cfg).ok());
  cfg.auth.mode = config::AuthMode::kNone;
  for (const char* loopback : {"127.0.0.1", "127.1.2.3", "localhost", "::1"}) {
    cfg.http.host = loopback;
    EXPECT_TRUE(config::CheckAuthBinding(cfg).ok()) << loopback;
    EXPECT_FALSE(config::InsecureBindingWarning(cfg).has_value()) << loopback;
  }
  for (const char* exposed : {"0.0.0.0", "::", "10.0.0.1", "127.0.0.1.example.com", "128.0.0.1"}) {
    cfg.http.host = exposed;
    EXPECT_FALSE(config::CheckAuthBinding(cfg).ok()) << exposed;
  }
}

}  // namespace
}  // namespace timestore::app
