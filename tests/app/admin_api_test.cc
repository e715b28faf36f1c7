// The admin API for datasets and storage targets through a real Service (auth mode none): create
// with replay and conflict, precise 400s that change nothing, exact page boundaries, ETag/If-Match
// (stale, "*", absent, a race), archive (ingest 409, queries still answered), storage targets with
// secrets that no answer or log line shows, an S3 target used for new partitions, and the audit
// events of every change.
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <simdjson.h>

#include "app/service.h"
#include "app/service_fixture.h"
#include "catalog/catalog.h"
#include "common/time.h"
#include "storage/s3_object_store.h"
#include "testing/raw_http_client.h"
#include "testing/test_env.h"

namespace timestore::app {
namespace {

using namespace std::chrono_literals;
using testing::RawHttpClient;
using testing::RawResponse;

// Secrets of the redaction tests: distinctive, so any leak is found by a substring search.
constexpr const char* kKeyId = "AKIDLEAKCHECK0001";
constexpr const char* kSecret = "SecretLeakCheckValue0002";
constexpr const char* kToken = "SessionLeakCheckValue0003";

class AdminApiTest : public ServiceTest {
 protected:
  AdminApiTest() : ServiceTest("adm") {}
  void SetUp() override { StartService(); }

  // Parses `body`; the document lives until the next call.
  simdjson::dom::element Json(const std::string& body) {
    simdjson::dom::element doc;
    EXPECT_EQ(parser_.parse(body).get(doc), simdjson::SUCCESS) << body;
    return doc;
  }
  static std::string Str(simdjson::dom::element e) {
    std::string_view s;
    return e.get(s) == simdjson::SUCCESS ? std::string(s) : std::string();
  }
  std::string Message(const std::string& body) { return Str(Json(body)["message"].value()); }

  simdjson::dom::parser parser_;
};

TEST_F(AdminApiTest, CreateAnswers201WithETagAndAnIdenticalReplay200AndAnotherDefinition409) {
  const std::string body =
      R"({"slug":"cpu","name":"CPU","description":"per host","partitionWindowSeconds":3600,)"
      R"("partitionKeyColumns":["region"],"writeFormat":"duckdb",)"
      R"("iam":{"readScopes":["team:read"],"writeScopes":[]},"metadata":{"owner":"infra"}})";
  RawResponse created = Call("POST", "/admin/datasets", body);
  ASSERT_EQ(created.status, 201) << created.body;
  auto d = Json(created.body)["dataset"];
  const std::string id = Str(d["id"].value());
  EXPECT_EQ(Str(d["slug"].value()), "cpu");
  EXPECT_EQ(Str(d["writeFormat"].value()), "duckdb");
  EXPECT_EQ(int64_t(d["partitionWindowSeconds"].get_int64().value()), 3600);
  EXPECT_EQ(Str(d["iam"]["readScopes"].at(0).value()), "team:read");
  EXPECT_EQ(Str(d["metadata"]["owner"].value()), "infra");
  EXPECT_EQ(created.Header("etag"), "\"" + id + ".1\"");

  RawResponse replay = Call("POST", "/v1/admin/datasets", body);
  ASSERT_EQ(replay.status, 200) << replay.body;
  EXPECT_EQ(Str(Json(replay.body)["dataset"]["id"].value()), id);
  EXPECT_EQ(replay.Header("etag"), created.Header("etag"));

  RawResponse other = Call("POST", "/admin/datasets", R"({"slug":"cpu","name":"Other"})");
  EXPECT_EQ(other.status, 409) << other.body;
  EXPECT_NE(Message(other.body).find("cpu"), std::string::npos) << other.body;

  for (const std::string& name : {std::string("cpu"), id}) {
    RawResponse got = Call("GET", "/admin/datasets/" + name);
    ASSERT_EQ(got.status, 200) << got.body;
    EXPECT_EQ(Str(Json(got.body)["dataset"]["name"].value()), "CPU");
    EXPECT_EQ(got.Header("etag"), created.Header("etag"));
  }
  EXPECT_EQ(Call("GET", "/admin/datasets/nope").status, 404);
}

TEST_F(AdminApiTest, CreateRejectsBadInputWithA400NamingTheFieldAndChangesNothing) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"slug":"a","name":"A","color":"red"})", "color: unknown field"},
      {R"({"slug":"a","name":1})", "name: expected a non-empty string"},
      {R"({"slug":"Bad Slug","name":"A"})", "slug: must be"},
      {R"({"slug":"exports","name":"A"})", "slug: 'exports' is reserved"},
      {R"({"slug":"a","name":"A","partitionWindowSeconds":0})", "partitionWindowSeconds:"},
      {R"({"slug":"a","name":"A","partitionWindowSeconds":1.5})", "partitionWindowSeconds:"},
      {R"({"slug":"a","name":"A","defaultStorageTargetId":"st-nope"})",
       "defaultStorageTargetId: storage target 'st-nope' not found"},
      {R"({"slug":"a","name":"A","iam":{"readScopes":[1]}})", "iam.readScopes[0]:"},
      {R"({"slug":"a","name":"A","iam":{"admins":[]}})", "iam.admins: unknown field"},
      {R"({"slug":"a","name":"A","writeFormat":"csv"})", "writeFormat:"},
      {R"({"slug":"a","name":"A","metadata":[]})", "metadata: expected an object"},
      {R"({"slug":"a","name":"A","partitionKeyColumns":"region"})", "partitionKeyColumns:"},
      {R"({"slug":"a"})", "name: required"},
      {R"({"name":"A"})", "slug: required"},
      {R"([1])", "body: expected an object"},
  };
  for (const auto& [body, message] : cases) {
    RawResponse r = Call("POST", "/admin/datasets", body);
    ASSERT_EQ(r.status, 400) << body << "\n" << r.body;
    auto doc = Json(r.body);
    EXPECT_EQ(int64_t(doc["statusCode"].get_int64().value()), 400);
    EXPECT_EQ(Str(doc["error"].value()), "Bad Request");
    EXPECT_EQ(Message(r.body).rfind(message, 0), 0u) << body << "\n" << r.body;
  }
  RawResponse list = Call("GET", "/admin/datasets");
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(Json(list.body)["datasets"].get_array().size(), 0u);
  EXPECT_EQ(AuditEvents("dataset.create").size(), cases.size());  // failures are audited too
}

TEST_F(AdminApiTest, ListVisitsEveryDatasetOnceAndTheLastFullPageHasNoCursor) {
  std::set<std::string> all;
  for (int i = 0; i < 6; ++i) {
    const std::string slug = "ds" + std::to_string(i);
    ASSERT_EQ(Call("POST", "/admin/datasets", R"({"slug":")" + slug + R"(","name":"x"})").status,
              201);
    all.insert(slug);
  }
  // 1 and 3 and 6: exact multiples of 6; 4 and 5: one page plus a partial one.
  for (int limit : {1, 3, 4, 5, 6, 7}) {
    std::vector<std::string> seen;
    std::string cursor;
    int pages = 0;
    do {
      RawResponse r = Call("GET", "/admin/datasets?limit=" + std::to_string(limit) +
                                      (cursor.empty() ? "" : "&cursor=" + cursor));
      ASSERT_EQ(r.status, 200) << r.body;
      auto doc = Json(r.body);
      const size_t n = doc["datasets"].get_array().size();
      for (auto d : doc["datasets"].get_array()) seen.push_back(Str(d["slug"].value()));
      simdjson::dom::element next = doc["nextCursor"].value();
      cursor = next.is_null() ? "" : Str(next);
      if (!cursor.empty()) {
        EXPECT_EQ(static_cast<int>(n), limit);
      }
      ASSERT_GT(n, 0u) << "an empty page at limit " << limit;
      ++pages;
    } while (!cursor.empty() && pages < 20);
    EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()), all) << "limit " << limit;
    EXPECT_EQ(seen.size(), all.size()) << "limit " << limit;
    EXPECT_EQ(pages, (6 + limit - 1) / limit) << "limit " << limit;
  }
  for (const char* bad : {"cursor=!!", "limit=0", "limit=501", "limit=x", "status=gone"}) {
    RawResponse r = Call("GET", std::string("/admin/datasets?") + bad);
    EXPECT_EQ(r.status, 400) << bad << " " << r.body;
  }
  ASSERT_EQ(Call("POST", "/admin/datasets/ds3/archive").status, 200);
  RawResponse archived = Call("GET", "/admin/datasets?status=archived");
  ASSERT_EQ(archived.status, 200);
  ASSERT_EQ(Json(archived.body)["datasets"].get_array().size(), 1u);
  EXPECT_EQ(Str(Json(archived.body)["datasets"].at(0)["slug"].value()), "ds3");
  RawResponse active = Call("GET", "/admin/datasets?status=active&search=DS");
  EXPECT_EQ(Json(active.body)["datasets"].get_array().size(), 5u);
}

TEST_F(AdminApiTest, PatchHonoursIfMatchAndAnswersTheNewETag) {
  RawResponse created = Call("POST", "/admin/datasets", R"({"slug":"cpu","name":"CPU"})");
  ASSERT_EQ(created.status, 201);
  const std::string etag1 = created.Header("etag");

  RawResponse p1 = Call("PATCH", "/admin/datasets/cpu",
                        R"({"name":"CPU 2","description":"d","iam":{"writeScopes":["w"]},)"
                        R"("partitionWindowSeconds":60,"writeFormat":"duckdb","metadata":{"a":1}})",
                        "If-Match: " + etag1 + "\r\n");
  ASSERT_EQ(p1.status, 200) << p1.body;
  const std::string etag2 = p1.Header("etag");
  EXPECT_NE(etag2, etag1);
  auto d = Json(p1.body)["dataset"];
  EXPECT_EQ(Str(d["name"].value()), "CPU 2");
  EXPECT_EQ(Str(d["iam"]["writeScopes"].at(0).value()), "w");
  EXPECT_EQ(Str(d["writeFormat"].value()), "duckdb");

  RawResponse stale =
      Call("PATCH", "/admin/datasets/cpu", R"({"name":"stale"})", "If-Match: " + etag1 + "\r\n");
  EXPECT_EQ(stale.status, 412) << stale.body;
  RawResponse any =
      Call("PATCH", "/admin/datasets/cpu", R"({"description":null})", "If-Match: *\r\n");
  ASSERT_EQ(any.status, 200) << any.body;
  EXPECT_TRUE(Json(any.body)["dataset"]["description"].is_null());
  RawResponse absent = Call("PATCH", "/admin/datasets/cpu", R"({"name":"CPU 3"})");
  ASSERT_EQ(absent.status, 200) << absent.body;
  RawResponse got = Call("GET", "/admin/datasets/cpu");
  EXPECT_EQ(Str(Json(got.body)["dataset"]["name"].value()), "CPU 3");
  EXPECT_EQ(got.Header("etag"), absent.Header("etag"));

  EXPECT_EQ(Call("PATCH", "/admin/datasets/cpu", "{}").status, 400);
  RawResponse slug = Call("PATCH", "/admin/datasets/cpu", R"({"slug":"gpu"})");
  EXPECT_EQ(slug.status, 400);
  EXPECT_EQ(Message(slug.body), "slug: cannot be changed");
  EXPECT_EQ(Call("PATCH", "/admin/datasets/cpu", R"({"status":"deleted"})").status, 400);
  EXPECT_EQ(Call("PATCH", "/admin/datasets/cpu", R"({"defaultStorageTargetId":"st-x"})").status,
            400);
  EXPECT_EQ(Call("PATCH", "/admin/datasets/nope", R"({"name":"x"})").status, 404);
  EXPECT_EQ(Call("GET", "/admin/datasets/cpu").Header("etag"), absent.Header("etag"));
}

TEST_F(AdminApiTest, ConcurrentPatchesWithTheSameIfMatchHaveExactlyOneWinner) {
  RawResponse created = Call("POST", "/admin/datasets", R"({"slug":"cpu","name":"CPU"})");
  ASSERT_EQ(created.status, 201);
  const std::string etag = created.Header("etag");
  constexpr int kWriters = 6;
  std::vector<int> statuses(kWriters);
  std::vector<std::thread> threads;
  for (int i = 0; i < kWriters; ++i) {
    threads.emplace_back([&, i] {
      statuses[i] =
          Call("PATCH", "/admin/datasets/cpu", R"({"name":"writer )" + std::to_string(i) + R"("})",
               "If-Match: " + etag + "\r\n")
              .status;
    });
  }
  for (auto& t : threads) t.join();
  int winners = 0;
  for (int s : statuses) {
    if (s == 200) {
      ++winners;
    } else {
      EXPECT_EQ(s, 412);
    }
  }
  EXPECT_EQ(winners, 1);
  EXPECT_EQ(catalog_->datasets().GetBySlug("cpu")->revision, 2);
}

TEST_F(AdminApiTest, ArchivedDatasetRefusesIngestWith409AndStaysQueryable) {
  ASSERT_EQ(Call("POST", "/datasets/cpu/ingest", IngestBody(3)).status, 201);
  for (int i = 0; i < 2; ++i) {  // idempotent
    RawResponse archived = Call("POST", "/admin/datasets/cpu/archive");
    ASSERT_EQ(archived.status, 200) << archived.body;
    EXPECT_EQ(Str(Json(archived.body)["dataset"]["status"].value()), "archived");
  }
  RawResponse refused = Call("POST", "/datasets/cpu/ingest", IngestBody(2, 100));
  ASSERT_EQ(refused.status, 409) << refused.body;
  EXPECT_NE(Message(refused.body).find("'cpu'"), std::string::npos) << refused.body;
  EXPECT_NE(Message(refused.body).find("archived"), std::string::npos) << refused.body;
  RawResponse query = Call("POST", "/datasets/cpu/query", kFirstDayQuery);
  ASSERT_EQ(query.status, 200) << query.body;
  EXPECT_EQ(Json(query.body)["rows"].get_array().size(), 3u);

  ASSERT_EQ(Call("PATCH", "/admin/datasets/cpu", R"({"status":"active"})").status, 200);
  EXPECT_EQ(Call("POST", "/datasets/cpu/ingest", IngestBody(2, 100)).status, 201);
  EXPECT_EQ(Call("POST", "/admin/datasets/nope/archive").status, 404);
}

TEST_F(AdminApiTest, StorageTargetsAreCreatedValidatedPatchedAndNeverShowSecrets) {
  ::testing::internal::CaptureStderr();
  std::vector<RawResponse> answers;
  auto call = [&](const std::string& method, const std::string& target,
                  const std::string& body = "") {
    answers.push_back(Call(method, target, body));
    return answers.back();
  };
  const std::string s3_config =
      std::string(R"({"bucket":"b","endpoint":"http://127.0.0.1:9","accessKeyId":")") + kKeyId +
      R"(","secretAccessKey":")" + kSecret + R"(","sessionToken":")" + kToken + R"("})";
  RawResponse s3 =
      call("POST", "/admin/storage-targets",
           R"({"name":"cold","kind":"s3","description":"archive","config":)" + s3_config + "}");
  ASSERT_EQ(s3.status, 201) << s3.body;
  auto t = Json(s3.body)["storageTarget"];
  const std::string id = Str(t["id"].value());
  EXPECT_FALSE(t["isDefault"].get_bool().value());
  EXPECT_EQ(Str(t["config"]["bucket"].value()), "b");
  EXPECT_TRUE(t["config"]["accessKeyIdSet"].get_bool().value());
  EXPECT_TRUE(t["config"]["secretAccessKeySet"].get_bool().value());
  EXPECT_TRUE(t["config"]["sessionTokenSet"].get_bool().value());
  EXPECT_EQ(t["config"]["secretAccessKey"].error(), simdjson::NO_SUCH_FIELD);

  EXPECT_EQ(call("POST", "/admin/storage-targets",
                 R"({"name":"cold","kind":"s3","config":)" + s3_config + "}")
                .status,
            409);
  const std::vector<std::pair<std::string, std::string>> bad = {
      {R"({"name":"x","kind":"ftp","config":{}})", "kind:"},
      {R"({"name":"x","kind":"local","config":{"root":"relative"}})", "config: "},
      {R"({"name":"x","kind":"local","config":{}})", "config: "},
      {R"({"name":"x","kind":"local","config":{"root":"/tmp/x","bucket":"b"}})",
       "config.bucket: unknown member"},
      {R"({"name":"x","kind":"s3","config":{"bucket":"b"}})", "config: "},  // no credentials
      {R"({"name":"x","kind":"s3","config":{"bucket":"b","region":7}})", "config: "},
      {R"({"name":"x","kind":"local"})", "config: required"},
      {R"({"name":"","kind":"local","config":{"root":"/tmp/x"}})", "name:"},
      {R"({"name":"x","kind":"local","config":{"root":"/tmp/x"},"isDefault":true})",
       "isDefault: unknown field"},
  };
  for (const auto& [body, message] : bad) {
    RawResponse r = call("POST", "/admin/storage-targets", body);
    EXPECT_EQ(r.status, 400) << body << "\n" << r.body;
    EXPECT_EQ(Message(r.body).rfind(message, 0), 0u) << body << "\n" << r.body;
  }
  const std::string root = (storage_.path() / "other").string();
  RawResponse local = call("POST", "/admin/storage-targets",
                           R"({"name":"other","kind":"local","config":{"root":")" + root + "\"}}");
  ASSERT_EQ(local.status, 201) << local.body;
  EXPECT_EQ(Json(local.body)["storageTarget"]["config"]["accessKeyIdSet"].error(),
            simdjson::NO_SUCH_FIELD);

  RawResponse list = call("GET", "/admin/storage-targets");
  ASSERT_EQ(list.status, 200) << list.body;
  auto targets = Json(list.body)["storageTargets"].get_array();
  ASSERT_EQ(targets.size(), 3u);  // with the default one
  int defaults = 0;
  for (auto target : targets) defaults += target["isDefault"].get_bool().value() ? 1 : 0;
  EXPECT_EQ(defaults, 1);
  EXPECT_EQ(call("GET", "/admin/storage-targets/" + id).status, 200);
  EXPECT_EQ(call("GET", "/admin/storage-targets/st-nope").status, 404);

  // A config patch keeps the secrets it leaves out; null removes one.
  RawResponse kept = call("PATCH", "/admin/storage-targets/" + id,
                          R"({"config":{"bucket":"c","endpoint":"http://127.0.0.1:9"}})");
  ASSERT_EQ(kept.status, 200) << kept.body;
  EXPECT_EQ(Str(Json(kept.body)["storageTarget"]["config"]["bucket"].value()), "c");
  EXPECT_TRUE(Json(kept.body)["storageTarget"]["config"]["secretAccessKeySet"].get_bool().value());
  RawResponse removed =
      call("PATCH", "/admin/storage-targets/" + id,
           R"({"name":"colder","description":null,"config":{"bucket":"c","sessionToken":null}})");
  ASSERT_EQ(removed.status, 200) << removed.body;
  auto r = Json(removed.body)["storageTarget"];
  EXPECT_EQ(Str(r["name"].value()), "colder");
  EXPECT_TRUE(r["description"].is_null());
  EXPECT_FALSE(r["config"]["sessionTokenSet"].get_bool().value());
  EXPECT_TRUE(r["config"]["accessKeyIdSet"].get_bool().value());
  auto stored = catalog_->storage_targets().Get(catalog::StorageTargetId(id));
  ASSERT_TRUE(stored.ok());
  EXPECT_NE(stored->config_json.find(kSecret), std::string::npos) << stored->config_json;
  EXPECT_NE(stored->config_json.find(kKeyId), std::string::npos) << stored->config_json;
  EXPECT_EQ(stored->config_json.find(kToken), std::string::npos) << stored->config_json;
  EXPECT_EQ(stored->config_json.find("endpoint"), std::string::npos) << stored->config_json;

  EXPECT_EQ(call("PATCH", "/admin/storage-targets/" + id, R"({"config":{"root":"/x"}})").status,
            400);
  EXPECT_EQ(call("PATCH", "/admin/storage-targets/" + id, R"({"kind":"local"})").status, 400);
  EXPECT_EQ(call("PATCH", "/admin/storage-targets/" + id, "{}").status, 400);
  EXPECT_EQ(call("PATCH", "/admin/storage-targets/" + id, R"({"name":"other"})").status, 409);
  EXPECT_EQ(call("PATCH", "/admin/storage-targets/st-nope", R"({"name":"x"})").status, 404);
  auto def = catalog_->storage_targets().FindDefault();
  ASSERT_TRUE(def.ok() && def->has_value());
  EXPECT_EQ(call("PATCH", "/admin/storage-targets/" + (*def)->id.value(),
                 R"({"config":{"root":"/elsewhere"}})")
                .status,
            409);
  const std::string logs = ::testing::internal::GetCapturedStderr();

  for (const RawResponse& answer : answers) {
    for (const char* secret : {kKeyId, kSecret, kToken}) {
      EXPECT_EQ(answer.body.find(secret), std::string::npos) << answer.body;
    }
  }
  for (const char* secret : {kKeyId, kSecret, kToken}) {
    EXPECT_EQ(logs.find(secret), std::string::npos) << logs;
  }
  EXPECT_EQ(AuditEvents("storage_target.create").size(), bad.size() + 3);
  auto updates = AuditEvents("storage_target.update");
  ASSERT_GE(updates.size(), 2u);
  for (const auto& e : updates) {
    for (const char* secret : {kKeyId, kSecret, kToken}) {
      EXPECT_EQ(e.metadata_json.find(secret), std::string::npos) << e.metadata_json;
    }
  }
}

TEST_F(AdminApiTest, ConcurrentConfigPatchesEachKeepTheirSecret) {
  RawResponse created = Call("POST", "/admin/storage-targets",
                             R"({"name":"racy","kind":"s3","config":{"bucket":"b",)"
                             R"("endpoint":"http://127.0.0.1:9","accessKeyId":"ak0",)"
                             R"("secretAccessKey":"sk0"}})");
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = Str(Json(created.body)["storageTarget"]["id"].value());
  // Each PATCH changes one secret and leaves the other out (keep it); run them at once, often.
  for (int round = 1; round <= 5; ++round) {
    const std::string ak = "ak" + std::to_string(round);
    const std::string sk = "sk" + std::to_string(round);
    std::thread a([&] {
      EXPECT_EQ(Call("PATCH", "/admin/storage-targets/" + id,
                     R"({"config":{"bucket":"b","endpoint":"http://127.0.0.1:9","accessKeyId":")" +
                         ak + R"("}})")
                    .status,
                200);
    });
    std::thread b([&] {
      EXPECT_EQ(Call("PATCH", "/admin/storage-targets/" + id,
                     R"({"config":{"bucket":"b","endpoint":"http://127.0.0.1:9",)"
                     R"("secretAccessKey":")" +
                         sk + R"("}})")
                    .status,
                200);
    });
    a.join();
    b.join();
    auto stored = catalog_->storage_targets().Get(catalog::StorageTargetId(id));
    ASSERT_TRUE(stored.ok());
    EXPECT_NE(stored->config_json.find("\"" + ak + "\""), std::string::npos) << stored->config_json;
    EXPECT_NE(stored->config_json.find("\"" + sk + "\""), std::string::npos) << stored->config_json;
  }
}

TEST_F(AdminApiTest, DatasetOnAnS3TargetWritesNewPartitionsToTheBucket) {
  const std::string prefix = testing::UniqueName("admin") + "/";
  // A wrong secret first: the target is accepted (no network I/O) but ingest fails; a PATCH with
  // the right one is picked up without a restart.
  RawResponse target =
      Call("POST", "/admin/storage-targets",
           R"({"name":"bucket","kind":"s3","config":{"bucket":"timestore-test","endpoint":")" +
               testing::S3Endpoint() + R"(","prefix":")" + prefix +
               R"(","accessKeyId":"S3RVER","secretAccessKey":"wrong-secret"}})");
  ASSERT_EQ(target.status, 201) << target.body;
  const std::string target_id = Str(Json(target.body)["storageTarget"]["id"].value());
  ASSERT_EQ(Call("POST", "/admin/datasets", R"({"slug":"cpu","name":"CPU"})").status, 201);

  RawResponse unknown =
      Call("PUT", "/admin/datasets/cpu/storage-target", R"({"storageTargetId":"st-nope"})");
  EXPECT_EQ(unknown.status, 404) << unknown.body;
  EXPECT_EQ(Call("PUT", "/admin/datasets/cpu/storage-target", R"({"id":"x"})").status, 400);
  RawResponse put = Call("PUT", "/v1/admin/datasets/cpu/storage-target",
                         R"({"storageTargetId":")" + target_id + "\"}");
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(Str(Json(put.body)["dataset"]["defaultStorageTargetId"].value()), target_id);
  EXPECT_FALSE(put.Header("etag").empty());

  RawResponse failed = Call("POST", "/datasets/cpu/ingest", IngestBody(3));
  EXPECT_GE(failed.status, 500) << failed.body;
  ASSERT_EQ(Call("PATCH", "/admin/storage-targets/" + target_id,
                 R"({"config":{"bucket":"timestore-test","endpoint":")" + testing::S3Endpoint() +
                     R"(","prefix":")" + prefix + R"(","secretAccessKey":"S3RVER"}})")
                .status,
            200);
  RawResponse ingested = Call("POST", "/datasets/cpu/ingest", IngestBody(3));
  ASSERT_EQ(ingested.status, 201) << ingested.body;

  storage::S3Options o;
  o.endpoint = testing::S3Endpoint();
  o.bucket = "timestore-test";
  o.prefix = prefix;
  o.access_key_id = "S3RVER";
  o.secret_access_key = "S3RVER";
  auto store = storage::S3ObjectStore::Open(o);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto listed = (*store)->List("cpu/");
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_EQ(listed->size(), 1u);
  auto d = catalog_->datasets().GetBySlug("cpu");
  auto parts = catalog_->manifests().ListLivePartitions(d->id, std::nullopt, std::nullopt);
  ASSERT_TRUE(parts.ok());
  ASSERT_EQ(parts->size(), 1u);
  EXPECT_EQ((*parts)[0].storage_target_id.value(), target_id);
  EXPECT_EQ((*listed)[0].key, (*parts)[0].object_key.value());

  RawResponse query = Call("POST", "/datasets/cpu/query", kFirstDayQuery);
  ASSERT_EQ(query.status, 200) << query.body;
  EXPECT_EQ(Json(query.body)["rows"].get_array().size(), 3u);
}

TEST_F(AdminApiTest, EveryChangeWritesAnAuditEventUnderTheDataset) {
  ASSERT_EQ(Call("POST", "/admin/datasets", R"({"slug":"cpu","name":"CPU"})").status, 201);
  ASSERT_EQ(Call("PATCH", "/admin/datasets/cpu", R"({"name":"x"})").status, 200);
  ASSERT_EQ(Call("POST", "/admin/datasets/cpu/archive").status, 200);
  RawResponse target = Call("POST", "/admin/storage-targets",
                            R"({"name":"t","kind":"local","config":{"root":")" +
                                (storage_.path() / "t").string() + "\"}}");
  ASSERT_EQ(target.status, 201) << target.body;
  const std::string target_id = Str(Json(target.body)["storageTarget"]["id"].value());
  const std::string dataset_id = catalog_->datasets().GetBySlug("cpu")->id.value();
  ASSERT_EQ(Call("PUT", "/admin/datasets/" + dataset_id + "/storage-target",
                 R"({"storageTargetId":")" + target_id + "\"}")
                .status,
            200);
  ASSERT_EQ(Call("PATCH", "/admin/storage-targets/" + target_id, R"({"description":"d"})").status,
            200);
  ASSERT_EQ(Call("PATCH", "/admin/datasets/cpu", R"({"name":""})").status, 400);

  for (const std::string action : {"dataset.create", "dataset.archive", "dataset.storage_target",
                                   "storage_target.create", "storage_target.update"}) {
    auto events = AuditEvents(action);
    ASSERT_EQ(events.size(), 1u) << action;
    EXPECT_TRUE(events[0].success) << action;
    if (action.starts_with("dataset.")) {
      EXPECT_EQ(events[0].dataset_id, catalog::DatasetId(dataset_id)) << action;
      EXPECT_EQ(events[0].dataset_slug, "cpu") << action;
    }
  }
  auto updates = AuditEvents("dataset.update");  // newest first
  ASSERT_EQ(updates.size(), 2u);
  EXPECT_FALSE(updates[0].success);
  EXPECT_NE(updates[0].metadata_json.find("name:"), std::string::npos) << updates[0].metadata_json;
  EXPECT_TRUE(updates[1].success);
}

}  // namespace
}  // namespace timestore::app
