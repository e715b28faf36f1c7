// Ingest through the real HTTP server, PostgreSQL and partition files: validation, idempotency,
// schema evolution, group commit, back-pressure and the manifest routes.
#include <atomic>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "app/service.h"
#include "app/service_fixture.h"
#include "duck/connection.h"
#include "duck/database.h"
#include "storage/sha256_hasher.h"
#include "testing/raw_http_client.h"
#include "testing/test_env.h"

namespace timestore::app {
namespace {

using namespace std::chrono_literals;
using testing::RawHttpClient;
using testing::RawResponse;

constexpr char kSchema[] =
    R"({"fields":[{"name":"timestamp","type":"timestamp"},{"name":"host","type":"string"},)"
    R"({"name":"usage_user","type":"double"}]})";

std::string Rows(int from, int count, const std::string& host = "h1") {
  std::string rows = "[";
  for (int i = 0; i < count; ++i) {
    if (i > 0) rows += ",";
    rows += R"({"timestamp":")" + common::FormatIso8601((1704067200LL + from + i) * 1'000'000) +
            R"(","host":")" + host + R"(","usage_user":)" + std::to_string(from + i) + "}";
  }
  return rows + "]";
}

std::string Body(const std::string& rows, const std::string& extra = "") {
  return R"({"datasetName":"CPU","schema":)" + std::string(kSchema) + R"(,"rows":)" + rows + extra +
         "}";
}

class IngestApiTest : public ::testing::Test {
 protected:
  void SetUp() override { Start({}); }

  void Start(const std::function<void(config::ServiceConfig&)>& tweak) {
    service_.reset();
    cfg_ = config::ServiceConfig{};
    cfg_.http.port = 0;
    cfg_.postgres.url = testing::PostgresUrl();
    cfg_.postgres.schema = schema_.empty() ? (schema_ = testing::UniqueName("ing")) : schema_;
    cfg_.storage.root = storage_.path().string();
    cfg_.ingest.group_commit_window = 0ms;
    if (tweak) tweak(cfg_);
    service_ = std::make_unique<Service>(cfg_);
    ASSERT_TRUE(service_->Start().ok());
    const common::Status ready = WaitUntilReady(*service_);
    ASSERT_TRUE(ready.ok()) << ready.ToString();
    catalog_ = std::make_unique<catalog::Catalog>(CatalogOptionsFor(cfg_.postgres));
  }

  RawResponse Post(const std::string& slug, const std::string& body,
                   const std::string& headers = "") {
    RawHttpClient c(service_->port());
    auto r =
        c.Roundtrip(testing::MakeRequest("POST", "/datasets/" + slug + "/ingest",
                                         "Content-Type: application/json\r\n" + headers, body));
    EXPECT_TRUE(r.has_value());
    return r.value_or(RawResponse{});
  }

  RawResponse Get(const std::string& target) {
    RawHttpClient c(service_->port());
    auto r = c.Roundtrip(testing::MakeRequest("GET", target));
    EXPECT_TRUE(r.has_value());
    return r.value_or(RawResponse{});
  }

  int64_t Version(const std::string& slug) {
    auto d = catalog_->datasets().FindBySlug(slug);
    EXPECT_TRUE(d.ok());
    return d.ok() && d->has_value() ? (*d)->current_version : -1;
  }

  std::vector<catalog::Partition> Live(const std::string& slug) {
    auto d = catalog_->datasets().GetBySlug(slug);
    EXPECT_TRUE(d.ok());
    auto parts = catalog_->manifests().ListLivePartitions(d->id, std::nullopt, std::nullopt);
    EXPECT_TRUE(parts.ok());
    return parts.ok() ? *parts : std::vector<catalog::Partition>{};
  }

  // Rows actually stored in the live partition files (read with DuckDB), and `expr` over them.
  std::string QueryFiles(const std::string& slug, const std::string& expr) {
    std::string list;
    for (const auto& p : Live(slug)) {
      if (!list.empty()) list += ",";
      list += "'" + (storage_.path() / p.object_key.value()).string() + "'";
    }
    auto db = duck::Database::Open(":memory:", {});
    auto conn = duck::Connection::Open(*db);
    auto res =
        conn->Query("SELECT " + expr + " FROM read_parquet([" + list + "], union_by_name=true)");
    EXPECT_TRUE(res.ok()) << res.status().ToString();
    return res.ok() ? std::string(res->GetString(0, 0)) : "";
  }

  testing::TempDir storage_;
  std::string schema_;
  config::ServiceConfig cfg_;
  std::unique_ptr<Service> service_;
  std::unique_ptr<catalog::Catalog> catalog_;
};

TEST_F(IngestApiTest, FirstIngestCreatesTheDatasetAndPublishesADurableVerifiedFile) {
  RawResponse r = Post("cpu", Body(Rows(0, 3)));
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_NE(r.body.find(R"("mode":"inline")"), std::string::npos);
  EXPECT_NE(r.body.find(R"("manifest":{"version":1,"partitionCount":1,"totalRows":3,)"),
            std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find(R"("slug":"cpu","name":"CPU")"), std::string::npos) << r.body;
  auto live = Live("cpu");
  ASSERT_EQ(live.size(), 1u);
  const catalog::Partition& p = live[0];
  EXPECT_EQ(p.row_count, 3);
  EXPECT_EQ(p.start_time, 1704067200LL * 1'000'000);
  EXPECT_EQ(p.end_time, 1704067202LL * 1'000'000);
  EXPECT_EQ(
      p.object_key.value().rfind("cpu/window=20240101T000000Z/" + p.id.value() + ".parquet", 0), 0u)
      << p.object_key.value();
  const auto path = storage_.path() / p.object_key.value();
  ASSERT_TRUE(std::filesystem::exists(path));
  EXPECT_EQ(static_cast<int64_t>(std::filesystem::file_size(path)), p.file_size_bytes);
  EXPECT_EQ(*storage::Sha256File(path.string()), p.checksum_sha256);
  EXPECT_NE(p.column_statistics_json.find(R"("usage_user": {"max": 2)"), std::string::npos)
      << p.column_statistics_json;
  EXPECT_EQ(QueryFiles("cpu", "count(*)::VARCHAR"), "3");
  EXPECT_EQ(QueryFiles("cpu", "string_agg(host, ',')"), "h1,h1,h1");
  // No staging leftovers.
  for (const auto& e : std::filesystem::recursive_directory_iterator(storage_.path())) {
    if (e.is_regular_file()) {
      EXPECT_EQ(e.path(), path) << "unexpected file " << e.path();
    }
  }
}

TEST_F(IngestApiTest, ReplayWithTheSameKeyAnswersTheFirstResultAndWritesNothing) {
  const std::string body = Body(Rows(0, 2), R"(,"idempotencyKey":"batch-42")");
  RawResponse first = Post("replay", body);
  ASSERT_EQ(first.status, 201) << first.body;
  RawResponse again = Post("replay", body);
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.Header("idempotent-replayed"), "true");
  EXPECT_EQ(again.body, first.body);
  EXPECT_EQ(Version("replay"), 1);
  // The header form of the key, and a different body under a used key.
  EXPECT_EQ(Post("replay", Body(Rows(10, 1)), "Idempotency-Key: k2\r\n").status, 201);
  EXPECT_EQ(Post("replay", Body(Rows(10, 1)), "Idempotency-Key: k2\r\n").status, 200);
  RawResponse reused = Post("replay", Body(Rows(20, 1)), "Idempotency-Key: k2\r\n");
  EXPECT_EQ(reused.status, 409);
  EXPECT_NE(reused.body.find("was already used for a different request body"), std::string::npos);
  EXPECT_EQ(Version("replay"), 2);
}

TEST_F(IngestApiTest, IdenticalPayloadWithoutKeyIsDeduplicatedByContent) {
  const std::string body = Body(Rows(0, 2));
  ASSERT_EQ(Post("dedup", body).status, 201);
  RawResponse again = Post("dedup", body);
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.Header("idempotent-replayed"), "true");
  EXPECT_EQ(Version("dedup"), 1);
}

TEST_F(IngestApiTest, BadRequestsAreRejectedPreciselyAndChangeNothing) {
  struct Case {
    std::string slug, body;
    int status;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"UPPER", Body(Rows(0, 1)), 400, "datasetSlug: 'UPPER' is not a valid slug"},
      {"fresh", R"({"rows":[{"timestamp":"2024-01-01T00:00:00Z"}]})", 400,
       "schema: required to create dataset 'fresh'"},
      {"fresh", Body(R"([{"timestamp":"2024-01-01T00:00:00Z","usage_user":"abc"}])"), 400,
       R"(rows[0].usage_user: expected double, got string \"abc\")"},
      {"fresh", Body(R"([{"host":"h"}])"), 400, "rows[0].timestamp: required"},
      {"fresh", Body(R"([{"timestamp":"2024-01-01T00:00:00Z","cpu":1}])"), 400,
       "rows[0].cpu: unknown column"},
      {"fresh", R"({"schema":{"fields":[{"name":"host","type":"string"}]},"rows":[{"host":"h"}]})",
       400, "schema.fields: must include the timestamp column 'timestamp' with type timestamp"},
      {"fresh", Body("[]"), 400, "rows: at least one row is required"},
      {"fresh", "{\"rows\": [", 400, "Body is not valid JSON"},
  };
  for (const Case& c : cases) {
    RawResponse r = Post(c.slug, c.body);
    EXPECT_EQ(r.status, c.status) << c.body << " -> " << r.body;
    EXPECT_NE(r.body.find(R"("error":"Bad Request")"), std::string::npos) << r.body;
    EXPECT_NE(r.body.find(c.message), std::string::npos) << r.body;
  }
  // Nothing was created by any of them.
  EXPECT_FALSE(catalog_->datasets().FindBySlug("fresh")->has_value());
  EXPECT_TRUE(std::filesystem::is_empty(storage_.path()) ||
              !std::filesystem::exists(storage_.path() / "fresh"));

  // On an existing dataset a bad row in the middle leaves the version as it was.
  ASSERT_EQ(Post("fresh", Body(Rows(0, 1))).status, 201);
  std::string mixed = Rows(0, 3);
  mixed.insert(mixed.size() - 1, R"(,{"timestamp":"2024-01-01T00:00:00Z","usage_user":true})");
  RawResponse r = Post("fresh", Body(mixed));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("rows[3].usage_user: expected double, got boolean true"), std::string::npos)
      << r.body;
  EXPECT_EQ(Version("fresh"), 1);
  EXPECT_EQ(Live("fresh").size(), 1u);
}

TEST_F(IngestApiTest, OversizeBodyAndTooManyRowsAre413) {
  Start([](config::ServiceConfig& c) {
    c.http.body_limit_bytes = 4096;
    c.ingest.max_rows_per_request = 5;
  });
  RawResponse big = Post("limits", Body(Rows(0, 100)));
  EXPECT_EQ(big.status, 413) << big.body;
  RawResponse many = Post("limits", Body(Rows(0, 6)));
  EXPECT_EQ(many.status, 413) << many.body;
  EXPECT_NE(many.body.find("6 rows exceed the limit of 5 per request"), std::string::npos);
  EXPECT_FALSE(catalog_->datasets().FindBySlug("limits")->has_value() &&
               (*catalog_->datasets().FindBySlug("limits"))->current_version > 0);
}

TEST_F(IngestApiTest, AdditiveEvolutionAddsASchemaVersionAndOldRowsReadNull) {
  ASSERT_EQ(Post("evolve", Body(Rows(0, 2))).status, 201);
  const std::string wider =
      R"({"schema":{"fields":[{"name":"timestamp","type":"timestamp"},{"name":"region","type":"string"}]},)"
      R"("rows":[{"timestamp":"2024-01-01T00:01:00Z","region":"eu","host":"h9"}]})";
  RawResponse r = Post("evolve", wider);
  ASSERT_EQ(r.status, 201) << r.body;
  auto d = catalog_->datasets().GetBySlug("evolve");
  EXPECT_EQ(d->current_schema_version, 2);
  auto v2 = catalog_->datasets().FindSchemaVersion(d->id, 2);
  ASSERT_TRUE(v2.ok() && v2->has_value());
  EXPECT_EQ((*v2)->columns.back().name, "region");
  EXPECT_EQ((*v2)->columns.size(), 4u);
  // Reading both partitions together: the old rows have NULL in the new column.
  EXPECT_EQ(QueryFiles("evolve", "count(*) FILTER (WHERE region IS NULL)::VARCHAR"), "2");
  EXPECT_EQ(QueryFiles("evolve", "string_agg(region, ',')"), "eu");

  const std::string retyped =
      R"({"schema":{"fields":[{"name":"timestamp","type":"timestamp"},{"name":"usage_user","type":"string"}]},)"
      R"("rows":[{"timestamp":"2024-01-01T00:02:00Z","usage_user":"high"}]})";
  RawResponse conflict = Post("evolve", retyped);
  EXPECT_EQ(conflict.status, 409);
  EXPECT_NE(conflict.body.find(
                "column 'usage_user' is double in the dataset; the request declares it string"),
            std::string::npos)
      << conflict.body;
  EXPECT_EQ(Version("evolve"), 2);
}

TEST_F(IngestApiTest, RowsAreSplitIntoDailyWindowsAndPartitionKeys) {
  std::string rows =
      R"([{"timestamp":"2024-01-01T23:59:59Z"},{"timestamp":"2024-01-02T00:00:00Z"},)"
      R"({"timestamp":"2024-01-02T12:00:00Z"}])";
  RawResponse r = Post("windows", Body(rows, R"(,"partition":{"key":{"region":"eu-west-1"}})"));
  ASSERT_EQ(r.status, 201) << r.body;
  auto live = Live("windows");
  ASSERT_EQ(live.size(), 2u);
  EXPECT_EQ(live[0].row_count, 1);
  EXPECT_EQ(live[1].row_count, 2);
  EXPECT_EQ(live[0].partition_key_json, R"({"region": "eu-west-1"})");
  EXPECT_EQ(
      live[1].object_key.value().rfind("windows/region=eu-west-1/window=20240102T000000Z/", 0), 0u)
      << live[1].object_key.value();
  EXPECT_EQ(live[1].window_start, 1704153600LL * 1'000'000);
  EXPECT_EQ(Version("windows"), 1);  // one commit for both files
}

TEST_F(IngestApiTest, ConcurrentClientsShareGroupCommitsAndLoseNothing) {
  Start([](config::ServiceConfig& c) { c.ingest.group_commit_window = 20ms; });
  constexpr int kClients = 8;
  constexpr int kBatches = 5;
  constexpr int kRows = 50;
  std::atomic<int> created{0};
  std::vector<std::thread> clients;
  clients.reserve(kClients);
  for (int t = 0; t < kClients; ++t) {
    clients.emplace_back([&, t] {
      for (int b = 0; b < kBatches; ++b) {
        const int from = (t * kBatches + b) * kRows;
        RawResponse r = Post("group", Body(Rows(from, kRows, "h" + std::to_string(t))));
        if (r.status == 201) ++created;
        EXPECT_EQ(r.status, 201) << r.body;
      }
    });
  }
  for (auto& c : clients) c.join();
  EXPECT_EQ(created.load(), kClients * kBatches);
  const int64_t versions = Version("group");
  EXPECT_GE(versions, 1);
  EXPECT_LT(versions, kClients * kBatches) << "no request shared a commit";
  auto d = catalog_->datasets().GetBySlug("group");
  auto v = catalog_->manifests().GetVersion(d->id, versions);
  EXPECT_EQ(v->total_rows, kClients * kBatches * kRows);
  EXPECT_EQ(QueryFiles("group", "count(DISTINCT timestamp)::VARCHAR"),
            std::to_string(kClients * kBatches * kRows));
  for (int64_t i = 1; i <= versions; ++i) {
    EXPECT_TRUE(catalog_->manifests().GetVersion(d->id, i).ok()) << "missing version " << i;
  }
}

TEST_F(IngestApiTest, TooManySmallPartitionsAnswer503WithRetryAfter) {
  Start([](config::ServiceConfig& c) { c.ingest.max_small_partitions = 2; });
  for (int i = 0; i < 3; ++i) ASSERT_EQ(Post("pressure", Body(Rows(i * 10, 1))).status, 201);
  RawResponse r = Post("pressure", Body(Rows(100, 1)));
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.Header("retry-after"), "1");
  EXPECT_NE(r.body.find("3 small partitions waiting for compaction (limit 2)"), std::string::npos)
      << r.body;
  EXPECT_EQ(Version("pressure"), 3);
}

TEST_F(IngestApiTest, ArchivedDatasetRefusesIngest) {
  ASSERT_EQ(Post("old", Body(Rows(0, 1))).status, 201);
  auto lease = catalog_->pool().Acquire();
  ASSERT_TRUE((*lease)->Exec("UPDATE datasets SET status = 'archived' WHERE slug = 'old'").ok());
  RawResponse r = Post("old", Body(Rows(5, 1)));
  EXPECT_EQ(r.status, 409);
  EXPECT_NE(r.body.find("dataset 'old' is archived"), std::string::npos);
}

TEST_F(IngestApiTest, ManifestShowsTheCurrentOrAnEarlierVersion) {
  ASSERT_EQ(Post("man", Body(Rows(0, 2))).status, 201);
  ASSERT_EQ(Post("man", Body(Rows(100, 3))).status, 201);
  RawResponse now = Get("/datasets/man/manifest");
  ASSERT_EQ(now.status, 200) << now.body;
  EXPECT_NE(
      now.body.find(R"("manifest":{"version":2,"kind":"ingest","partitionCount":2,"totalRows":5)"),
      std::string::npos)
      << now.body;
  RawResponse then = Get("/v1/datasets/man/manifest?version=1");
  ASSERT_EQ(then.status, 200);
  EXPECT_NE(then.body.find(R"("totalRows":2)"), std::string::npos) << then.body;
  EXPECT_NE(then.body.find(R"("columnStatistics")"), std::string::npos);
  auto d = catalog_->datasets().GetBySlug("man");
  EXPECT_EQ(Get("/admin/datasets/" + d->id.value() + "/manifest").status, 200);
  EXPECT_EQ(Get("/datasets/man/manifest?version=9").status, 404);
  EXPECT_EQ(Get("/datasets/man/manifest?version=x").status, 400);
  EXPECT_EQ(Get("/datasets/nope/manifest").status, 404);
}

}  // namespace
}  // namespace timestore::app
