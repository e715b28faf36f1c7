// Parquet export end to end, with the local and the S3 driver: rows ingested through a real
// Service (two schema versions, two windows) are exported by ExportOperation, the exported object
// is fetched from the store and read back with DuckDB, and compared with the ingested rows and the
// query API's raw answer. Also: time ranges, the version an export reflects, the scheduled minimum
// interval (fake clock), lost leases, bad payloads, DuckDB-format datasets, and ExportRepository.
#include "lifecycle/parquet_export.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <simdjson.h>

#include "app/service.h"
#include "app/service_fixture.h"
#include "catalog/catalog_fixture.h"
#include "duck/connection.h"
#include "duck/database.h"
#include "duck/sql_quoting.h"
#include "storage/sha256_hasher.h"
#include "testing/raw_http_client.h"
#include "testing/test_bucket.h"
#include "testing/test_env.h"

namespace timestore::lifecycle {
namespace {

using namespace std::chrono_literals;
using common::StatusCode;

constexpr int64_t kT0 = 1704067200;  // 2024-01-01T00:00:00Z
constexpr int64_t kDay = 86400;

std::string Iso(int64_t second) { return common::FormatIso8601((kT0 + second) * 1'000'000); }
int64_t Micros(int64_t second) { return (kT0 + second) * 1'000'000; }

// One row as stored: schema v1 has timestamp, host, usage, cores; v2 adds healthy and region.
struct Row {
  int64_t second = 0;  // offset from kT0
  std::string host;
  std::optional<double> usage;
  std::optional<int64_t> cores;
  std::optional<bool> healthy;
  std::optional<std::string> region;
};

// A row as comparable text: "2024-01-01T00:00:00.000Z|a|0.5|4|true|eu" (null for NULL).
std::string Canon(const Row& r) {
  char usage[40] = "null";
  if (r.usage) std::snprintf(usage, sizeof usage, "%.17g", *r.usage);
  return Iso(r.second) + "|" + r.host + "|" + usage + "|" +
         (r.cores ? std::to_string(*r.cores) : "null") + "|" +
         (r.healthy ? (*r.healthy ? "true" : "false") : "null") + "|" + r.region.value_or("null");
}

std::vector<std::string> Canon(const std::vector<Row>& rows) {
  std::vector<std::string> out;
  for (const Row& r : rows) out.push_back(Canon(r));
  std::sort(out.begin(), out.end());
  return out;
}

std::string IngestBody(const std::vector<Row>& rows, bool v2) {
  std::string body = R"({"schema":{"fields":[{"name":"timestamp","type":"timestamp"},)"
                     R"({"name":"host","type":"string"},{"name":"usage","type":"double"},)"
                     R"({"name":"cores","type":"integer"})";
  if (v2) body += R"(,{"name":"healthy","type":"boolean"},{"name":"region","type":"string"})";
  body += R"(]},"rows":[)";
  for (size_t i = 0; i < rows.size(); ++i) {
    const Row& r = rows[i];
    char usage[40];
    std::snprintf(usage, sizeof usage, "%.17g", r.usage.value_or(0));
    body += (i ? "," : "") + std::string(R"({"timestamp":")") + Iso(r.second) + R"(","host":")" +
            r.host + R"(","usage":)" + (r.usage ? usage : "null") + R"(,"cores":)" +
            (r.cores ? std::to_string(*r.cores) : "null");
    if (v2) {
      body += R"(,"healthy":)" + std::string(r.healthy ? (*r.healthy ? "true" : "false") : "null") +
              R"(,"region":)" + (r.region ? "\"" + *r.region + "\"" : "null");
    }
    body += "}";
  }
  return body + "]}";
}

// The file's column names and DuckDB types, and its rows in file order.
struct ParquetContents {
  std::vector<std::pair<std::string, duck::Type>> columns;
  std::vector<Row> rows;
};

ParquetContents ReadParquet(const std::string& path) {
  ParquetContents out;
  auto db = duck::Database::Open(":memory:");
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  if (!db.ok()) return out;
  auto conn = duck::Connection::Open(*db);
  EXPECT_TRUE(conn.ok());
  if (!conn.ok()) return out;
  auto r = conn->Query("SELECT * FROM read_parquet(" + duck::QuoteLiteral(path) + ")");
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return out;
  for (size_t c = 0; c < r->column_count(); ++c) {
    out.columns.emplace_back(r->column_name(c), r->column_type(c));
  }
  auto col = [&](const char* name) -> std::optional<size_t> {
    for (size_t c = 0; c < r->column_count(); ++c) {
      if (r->column_name(c) == name) return c;
    }
    return std::nullopt;
  };
  const auto ts = col("timestamp"), host = col("host"), usage = col("usage"), cores = col("cores"),
             healthy = col("healthy"), region = col("region");
  for (uint64_t i = 0; i < r->row_count(); ++i) {
    Row row;
    if (ts) row.second = r->GetTimestampMicros(*ts, i) / 1'000'000 - kT0;
    if (host && !r->IsNull(*host, i)) row.host = r->GetString(*host, i);
    if (usage && !r->IsNull(*usage, i)) row.usage = r->GetDouble(*usage, i);
    if (cores && !r->IsNull(*cores, i)) row.cores = r->GetInt64(*cores, i);
    if (healthy && !r->IsNull(*healthy, i)) row.healthy = r->GetBool(*healthy, i);
    if (region && !r->IsNull(*region, i)) row.region = std::string(r->GetString(*region, i));
    out.rows.push_back(std::move(row));
  }
  return out;
}

const std::vector<std::pair<std::string, duck::Type>> kV2Columns = {
    {"timestamp", duck::Type::kTimestamp}, {"host", duck::Type::kVarchar},
    {"usage", duck::Type::kDouble},        {"cores", duck::Type::kBigint},
    {"healthy", duck::Type::kBoolean},     {"region", duck::Type::kVarchar}};

Row R(int64_t second, std::string host, std::optional<double> usage, std::optional<int64_t> cores,
      std::optional<bool> healthy = std::nullopt,
      std::optional<std::string> region = std::nullopt) {
  return Row{second, std::move(host), usage, cores, healthy, std::move(region)};
}

// Two schema versions in two daily windows, four ingest batches.
const std::vector<Row> kBatch1 = {R(10, "a", 0.5, 4), R(20, "b", 1.25, 8),
                                  R(30, "a", std::nullopt, 4)};
const std::vector<Row> kBatch2 = {R(kDay + 10, "a", 2.5, 4), R(kDay + 40, "c", -1e300, 2)};
const std::vector<Row> kBatch3 = {R(50, "b", 3.5, 8, true, "eu"), R(60, "c", 4.5, 2, false, "us")};
const std::vector<Row> kBatch4 = {R(kDay + 20, "a", 5.5, 4, std::nullopt, "eu"),
                                  R(kDay + 30, "b", 6.5, std::nullopt, true, std::nullopt)};

enum class Driver { kLocal, kS3 };

class ParquetExportTest : public ::testing::TestWithParam<Driver> {
 protected:
  void SetUp() override { Start({}); }

  void TearDown() override {
    service_.reset();
    stores_.reset();
    cache_.reset();
    catalog_.reset();
  }

  void Start(const std::function<void(config::ServiceConfig&)>& tweak) {
    TearDown();
    cfg_ = config::ServiceConfig{};
    cfg_.http.port = 0;
    cfg_.postgres.url = testing::PostgresUrl();
    cfg_.postgres.schema = testing::UniqueName("exp");
    cfg_.storage.root = storage_.path().string();
    cfg_.storage.cache_dir = (scratch_.path() / "service-cache").string();
    if (GetParam() == Driver::kS3) {
      testing::UseTestBucket(cfg_.storage, "export");
    }
    if (tweak) tweak(cfg_);
    service_ = std::make_unique<app::Service>(cfg_);
    ASSERT_TRUE(service_->Start().ok());
    const common::Status ready = app::WaitUntilReady(*service_);
    ASSERT_TRUE(ready.ok()) << ready.ToString();
    catalog_ = std::make_unique<catalog::Catalog>(app::CatalogOptionsFor(cfg_.postgres));
    stores_ = std::make_unique<storage::ObjectStoreRegistry>(app::S3DefaultsFor(cfg_.storage));
    auto cache = storage::PartitionCache::Open({(scratch_.path() / "worker-cache").string()});
    ASSERT_TRUE(cache.ok()) << cache.status().ToString();
    cache_ = std::move(*cache);
  }

  testing::RawResponse Call(const std::string& method, const std::string& target,
                            const std::string& body = "") {
    testing::RawHttpClient c(service_->port());
    auto r = c.Roundtrip(
        testing::MakeRequest(method, target, "Content-Type: application/json\r\n", body));
    EXPECT_TRUE(r.has_value());
    return r.value_or(testing::RawResponse{});
  }

  void Ingest(const std::vector<Row>& rows, bool v2) {
    testing::RawResponse r = Call("POST", "/datasets/" + slug_ + "/ingest", IngestBody(rows, v2));
    ASSERT_EQ(r.status, 201) << r.body;
  }

  void IngestAll() {
    Ingest(kBatch1, false);
    Ingest(kBatch2, false);
    Ingest(kBatch3, true);
    Ingest(kBatch4, true);
  }

  catalog::Dataset CurrentDataset() {
    auto d = catalog_->datasets().GetBySlug(slug_);
    EXPECT_TRUE(d.ok()) << d.status().ToString();
    return d.ok() ? *d : catalog::Dataset{};
  }

  // Runs an export job for the dataset with `payload` at time `now`.
  common::Result<std::string> Export(const std::string& payload,
                                     common::UnixMicros now = common::NowMicros(),
                                     std::function<common::Status()> heartbeat = nullptr) {
    catalog::Job job;
    job.id = catalog::JobId(testing::UniqueName("job"));
    job.kind = std::string(kExport);
    job.dataset_id = CurrentDataset().id;
    job.payload_json = payload;
    JobContext context{*catalog_, *stores_, cache_.get(), options_, job};
    context.now = [now] { return now; };
    if (heartbeat) context.heartbeat = std::move(heartbeat);
    return ExportOperation().Run(context);
  }

  simdjson::dom::element Parse(const std::string& json) {
    simdjson::dom::element doc;
    EXPECT_EQ(parser_.parse(json).get(doc), simdjson::SUCCESS) << json;
    return doc;
  }

  // The object store of storage target `id`.
  std::shared_ptr<storage::ObjectStore> StoreOf(const catalog::StorageTargetId& id) {
    auto target = catalog_->storage_targets().Get(id);
    EXPECT_TRUE(target.ok()) << target.status().ToString();
    if (!target.ok()) return nullptr;
    auto store = stores_->Get(target->id.value(), catalog::StorageKindName(target->kind),
                              target->config_json);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? *store : nullptr;
  }

  // A local file with the exported object's bytes.
  std::string Fetch(const catalog::DatasetExport& e) {
    std::shared_ptr<storage::ObjectStore> store = StoreOf(e.storage_target_id);
    if (store == nullptr) return "";
    if (auto local = store->LocalPath(e.object_key.value())) {
      EXPECT_EQ(*local, (storage_.path() / e.object_key.value()).string());
      return *local;
    }
    const std::string copy =
        (scratch_.path() / ("fetched-" + testing::UniqueName("f") + ".parquet")).string();
    common::Status got = store->GetFile(e.object_key.value(), copy);
    EXPECT_TRUE(got.ok()) << got.ToString();
    return copy;
  }

  // The export recorded with `id`, checked against the file it names; returns the file's rows.
  ParquetContents CheckRecordedExport(const std::string& id, catalog::DatasetExport* record) {
    auto list = catalog_->exports().List(CurrentDataset().id, 100);
    EXPECT_TRUE(list.ok());
    for (const catalog::DatasetExport& e : *list) {
      if (e.id.value() != id) continue;
      const std::string path = Fetch(e);
      EXPECT_EQ(static_cast<int64_t>(std::filesystem::file_size(path)), e.file_size_bytes);
      EXPECT_EQ(storage::Sha256File(path).value(), e.checksum_sha256);
      ParquetContents contents = ReadParquet(path);
      EXPECT_EQ(static_cast<int64_t>(contents.rows.size()), e.row_count);
      *record = e;
      return contents;
    }
    ADD_FAILURE() << "no export " << id;
    return {};
  }

  // The query API's raw answer over everything, as Canon() rows.
  std::vector<std::string> QueryAll() {
    testing::RawResponse r =
        Call("POST", "/datasets/" + slug_ + "/query",
             R"({"timeRange":{"start":")" + Iso(-kDay) + R"(","end":")" + Iso(3 * kDay) + R"("}})");
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<std::string> out;
    simdjson::dom::parser parser;  // not parser_: the caller may still hold a document of it
    simdjson::dom::element doc;
    EXPECT_EQ(parser.parse(r.body).get(doc), simdjson::SUCCESS) << r.body;
    const simdjson::dom::array rows = doc["rows"].get_array().value();
    for (simdjson::dom::element row : rows) {
      Row x;
      x.second = *common::ParseIso8601(row["timestamp"].get_string().value()) / 1'000'000 - kT0;
      x.host = std::string(row["host"].get_string().value());
      if (!row["usage"].is_null()) x.usage = row["usage"].get_double().value();
      if (!row["cores"].is_null()) x.cores = row["cores"].get_int64().value();
      if (!row["healthy"].is_null()) x.healthy = row["healthy"].get_bool().value();
      if (!row["region"].is_null()) x.region = std::string(row["region"].get_string().value());
      out.push_back(Canon(x));
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  testing::TempDir storage_;
  testing::TempDir scratch_;
  config::ServiceConfig cfg_;
  std::unique_ptr<app::Service> service_;
  std::unique_ptr<catalog::Catalog> catalog_;
  std::unique_ptr<storage::ObjectStoreRegistry> stores_;
  std::unique_ptr<storage::PartitionCache> cache_;
  LifecycleOptions options_;
  simdjson::dom::parser parser_;
  const std::string slug_ = "cpu";
};

std::vector<Row> Concat(std::initializer_list<const std::vector<Row>*> parts) {
  std::vector<Row> out;
  for (const auto* p : parts) out.insert(out.end(), p->begin(), p->end());
  return out;
}

bool OrderedByTime(const std::vector<Row>& rows) {
  return std::is_sorted(rows.begin(), rows.end(),
                        [](const Row& a, const Row& b) { return a.second < b.second; });
}

TEST_P(ParquetExportTest, ExportHoldsEveryRowWithTheNewestSchema) {
  IngestAll();
  const catalog::Dataset d = CurrentDataset();
  auto result = Export("{}");
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  simdjson::dom::element doc = Parse(*result);
  const std::string id(doc["exportId"].get_string().value());
  const std::string key(doc["objectKey"].get_string().value());
  EXPECT_EQ(doc["version"].get_int64().value(), d.current_version);
  EXPECT_EQ(doc["rows"].get_int64().value(), 9);
  EXPECT_TRUE(doc["timeRange"].error() == simdjson::NO_SUCH_FIELD) << *result;
  EXPECT_EQ(key.rfind("exports/cpu/", 0), 0u) << key;
  EXPECT_NE(key.find("-v" + std::to_string(d.current_version) + "-"), std::string::npos) << key;
  EXPECT_TRUE(key.ends_with(".parquet")) << key;

  catalog::DatasetExport record;
  ParquetContents file = CheckRecordedExport(id, &record);
  EXPECT_EQ(file.columns, kV2Columns);
  EXPECT_EQ(Canon(file.rows), Canon(Concat({&kBatch1, &kBatch2, &kBatch3, &kBatch4})));
  EXPECT_EQ(Canon(file.rows), QueryAll());
  EXPECT_TRUE(OrderedByTime(file.rows));
  EXPECT_EQ(record.object_key.value(), key);
  EXPECT_EQ(record.storage_target_id.value(), doc["storageTargetId"].get_string().value());
  EXPECT_EQ(record.version, d.current_version);
  EXPECT_EQ(record.file_size_bytes, doc["bytes"].get_int64().value());
  EXPECT_FALSE(record.range_start.has_value());
  EXPECT_EQ(record.job_id.has_value(), true);
  // Nothing is left in the target's staging directory.
  std::shared_ptr<storage::ObjectStore> store = StoreOf(record.storage_target_id);
  ASSERT_NE(store, nullptr);
  for (const auto& entry : std::filesystem::directory_iterator(store->StagingDirectory())) {
    EXPECT_EQ(entry.path().filename().string().rfind("export-", 0), std::string::npos)
        << entry.path();
  }
  // The export lands on the target the partitions use.
  auto parts = catalog_->manifests().ListLivePartitions(d.id, std::nullopt, std::nullopt);
  ASSERT_TRUE(parts.ok());
  EXPECT_EQ(record.storage_target_id, parts->front().storage_target_id);
}

TEST_P(ParquetExportTest, TimeRangeExportHoldsOnlyRowsInTheHalfOpenRange) {
  IngestAll();
  // [00:00:20, day2 00:00:30): includes the rows at 20 and day+20, excludes 10 and day+30.
  auto result =
      Export(R"({"timeRange":{"start":")" + Iso(20) + R"(","end":")" + Iso(kDay + 30) + R"("}})");
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  simdjson::dom::element doc = Parse(*result);
  EXPECT_EQ(doc["timeRange"]["start"].get_string().value(), Iso(20));
  EXPECT_EQ(doc["timeRange"]["end"].get_string().value(), Iso(kDay + 30));
  catalog::DatasetExport record;
  ParquetContents file =
      CheckRecordedExport(std::string(doc["exportId"].get_string().value()), &record);
  std::vector<Row> expected;
  for (const Row& r : Concat({&kBatch1, &kBatch2, &kBatch3, &kBatch4})) {
    if (r.second >= 20 && r.second < kDay + 30) expected.push_back(r);
  }
  EXPECT_EQ(Canon(file.rows), Canon(expected));
  EXPECT_EQ(file.columns, kV2Columns);
  EXPECT_TRUE(OrderedByTime(file.rows));
  EXPECT_EQ(record.range_start, Micros(20));
  EXPECT_EQ(record.range_end, Micros(kDay + 30));
}

TEST_P(ParquetExportTest, EmptyRangeGivesAFileWithTheColumnsAndNoRows) {
  IngestAll();
  auto result = Export(R"({"timeRange":{"start":")" + Iso(5 * kDay) + R"(","end":")" +
                       Iso(6 * kDay) + R"("}})");
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  simdjson::dom::element doc = Parse(*result);
  EXPECT_EQ(doc["rows"].get_int64().value(), 0);
  catalog::DatasetExport record;
  ParquetContents file =
      CheckRecordedExport(std::string(doc["exportId"].get_string().value()), &record);
  EXPECT_EQ(file.columns, kV2Columns);
  EXPECT_TRUE(file.rows.empty());
}

TEST_P(ParquetExportTest, ExportReflectsTheVersionItNames) {
  Ingest(kBatch1, false);
  Ingest(kBatch3, true);
  const int64_t first_version = CurrentDataset().current_version;
  auto first = Export("{}");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  const std::string first_id(Parse(*first)["exportId"].get_string().value());
  catalog::DatasetExport first_record;
  ParquetContents before = CheckRecordedExport(first_id, &first_record);

  Ingest(kBatch2, false);
  Ingest(kBatch4, true);
  // The first export's file and record are unchanged and name the earlier version.
  catalog::DatasetExport again;
  ParquetContents after = CheckRecordedExport(first_id, &again);
  EXPECT_EQ(again.version, first_version);
  EXPECT_EQ(again.checksum_sha256, first_record.checksum_sha256);
  EXPECT_EQ(Canon(after.rows), Canon(Concat({&kBatch1, &kBatch3})));
  EXPECT_EQ(Canon(before.rows), Canon(after.rows));

  // A second export sees the new rows at the new version.
  auto second = Export("{}");
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  simdjson::dom::element doc = Parse(*second);
  EXPECT_GT(doc["version"].get_int64().value(), first_version);
  EXPECT_EQ(doc["version"].get_int64().value(), CurrentDataset().current_version);
  EXPECT_NE(doc["objectKey"].get_string().value(), first_record.object_key.value());
  catalog::DatasetExport second_record;
  ParquetContents latest =
      CheckRecordedExport(std::string(doc["exportId"].get_string().value()), &second_record);
  EXPECT_EQ(Canon(latest.rows), Canon(Concat({&kBatch1, &kBatch2, &kBatch3, &kBatch4})));
}

TEST_P(ParquetExportTest, ScheduledExportWithinTheMinimumIntervalIsSkipped) {
  Ingest(kBatch1, false);
  const common::UnixMicros t = common::NowMicros();
  auto first = Export(R"({"scheduled":true})", t);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  const std::string first_id(Parse(*first)["exportId"].get_string().value());

  // An hour later a scheduled run is skipped and records nothing.
  auto skipped = Export(R"({"scheduled":true})", t + 3600LL * 1'000'000);
  ASSERT_TRUE(skipped.ok()) << skipped.status().ToString();
  simdjson::dom::element doc = Parse(*skipped);
  EXPECT_FALSE(doc["skipped"].get_string().value().empty()) << *skipped;
  EXPECT_EQ(doc["latestExportId"].get_string().value(), first_id);
  EXPECT_EQ(catalog_->exports().List(CurrentDataset().id, 10)->size(), 1u);

  // On demand always runs.
  auto on_demand = Export("{}", t + 3600LL * 1'000'000);
  ASSERT_TRUE(on_demand.ok()) << on_demand.status().ToString();
  EXPECT_TRUE(Parse(*on_demand)["exportId"].error() == simdjson::SUCCESS) << *on_demand;
  EXPECT_EQ(catalog_->exports().List(CurrentDataset().id, 10)->size(), 2u);

  // Still within the interval of the on-demand export; past it, the scheduled one runs.
  auto still = Export(R"({"scheduled":true})", t + 24 * 3600LL * 1'000'000);
  ASSERT_TRUE(still.ok());
  EXPECT_TRUE(Parse(*still)["skipped"].error() == simdjson::SUCCESS) << *still;
  auto later = Export(R"({"scheduled":true})", t + 26 * 3600LL * 1'000'000);
  ASSERT_TRUE(later.ok()) << later.status().ToString();
  EXPECT_TRUE(Parse(*later)["exportId"].error() == simdjson::SUCCESS) << *later;
  auto latest = catalog_->exports().FindLatest(CurrentDataset().id);
  ASSERT_TRUE(latest.ok() && latest->has_value());
  EXPECT_EQ((*latest)->created_at, t + 26 * 3600LL * 1'000'000);
}

TEST_P(ParquetExportTest, LostLeaseStopsTheExportAndPublishesNothing) {
  IngestAll();
  auto result = Export("{}", common::NowMicros(),
                       [] { return common::Conflict("lease lost to another worker"); });
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kConflict);
  EXPECT_TRUE(catalog_->exports().List(CurrentDataset().id, 10)->empty());
  auto target = catalog_->storage_targets().FindDefault();
  ASSERT_TRUE(target.ok() && target->has_value());
  std::shared_ptr<storage::ObjectStore> store = StoreOf((*target)->id);
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->List("exports/")->empty());
}

TEST_P(ParquetExportTest, BadPayloadsAreInvalidArgumentNamingTheField) {
  Ingest(kBatch1, false);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"[]", "payload: expected object"},
      {"{", "payload: not valid JSON"},
      {R"({"timeRange":{"start":"yesterday","end":"2024-01-02T00:00:00Z"}})", "timeRange.start"},
      {R"({"timeRange":{"start":"2024-01-01T00:00:00Z","end":5}})", "timeRange.end"},
      {R"({"timeRange":{"start":"2024-01-01T00:00:00Z"}})", "timeRange.end: required"},
      {R"({"timeRange":{"start":"2024-01-02T00:00:00Z","end":"2024-01-01T00:00:00Z"}})",
       "timeRange.end: must be after timeRange.start"},
      {R"({"timeRange":{"start":"2024-01-01T00:00:00Z","end":"2024-01-02T00:00:00Z","x":1}})",
       "timeRange.x: unknown field"},
      {R"({"timeRange":"all"})", "timeRange: expected object"},
      {R"({"scheduled":"yes"})", "scheduled: expected boolean"},
      {R"({"format":"csv"})", "format: unknown field"},
  };
  for (const auto& [payload, message] : cases) {
    auto parsed = ParseExportPayload(payload);
    ASSERT_FALSE(parsed.ok()) << payload;
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument) << payload;
    EXPECT_NE(parsed.status().message().find(message), std::string::npos)
        << payload << " -> " << parsed.status().message();
    auto run = Export(payload);
    ASSERT_FALSE(run.ok()) << payload;
    EXPECT_EQ(run.status().code(), StatusCode::kInvalidArgument) << payload;
  }
  EXPECT_TRUE(catalog_->exports().List(CurrentDataset().id, 10)->empty());

  // A job without a dataset, and one for a dataset that does not exist.
  catalog::Job job;
  job.kind = std::string(kExport);
  JobContext context{*catalog_, *stores_, cache_.get(), options_, job};
  EXPECT_EQ(ExportOperation().Run(context).status().code(), StatusCode::kInvalidArgument);
  job.dataset_id = catalog::DatasetId("ds-missing");
  EXPECT_EQ(ExportOperation().Run(context).status().code(), StatusCode::kNotFound);
}

TEST_P(ParquetExportTest, DuckDbFormatDatasetExportsLikeParquet) {
  service_.reset();
  Start([](config::ServiceConfig& c) { c.ingest.write_format = config::WriteFormat::kDuckdb; });
  IngestAll();
  auto parts =
      catalog_->manifests().ListLivePartitions(CurrentDataset().id, std::nullopt, std::nullopt);
  ASSERT_TRUE(parts.ok());
  for (const catalog::Partition& p : *parts) EXPECT_EQ(p.format, catalog::WriteFormat::kDuckdb);
  auto result = Export("{}");
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  catalog::DatasetExport record;
  ParquetContents file =
      CheckRecordedExport(std::string(Parse(*result)["exportId"].get_string().value()), &record);
  EXPECT_EQ(file.columns, kV2Columns);
  EXPECT_EQ(Canon(file.rows), Canon(Concat({&kBatch1, &kBatch2, &kBatch3, &kBatch4})));
  EXPECT_EQ(Canon(file.rows), QueryAll());
  EXPECT_TRUE(OrderedByTime(file.rows));
}

TEST_P(ParquetExportTest, DatasetWithoutRowsExportsAnEmptyFileOnTheDefaultTarget) {
  catalog::NewDataset nd;
  nd.slug = slug_;
  nd.name = "empty";
  ASSERT_TRUE(catalog_->datasets().Create(nd).ok());
  auto result = Export("{}");
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  simdjson::dom::element doc = Parse(*result);
  EXPECT_EQ(doc["rows"].get_int64().value(), 0);
  EXPECT_EQ(doc["version"].get_int64().value(), 0);
  auto fallback = catalog_->storage_targets().FindDefault();
  ASSERT_TRUE(fallback.ok() && fallback->has_value());
  EXPECT_EQ(doc["storageTargetId"].get_string().value(), (*fallback)->id.value());
  catalog::DatasetExport record;
  ParquetContents file =
      CheckRecordedExport(std::string(doc["exportId"].get_string().value()), &record);
  // No schema yet: the timestamp column alone.
  const std::vector<std::pair<std::string, duck::Type>> only_time = {
      {"timestamp", duck::Type::kTimestamp}};
  EXPECT_EQ(file.columns, only_time);
  EXPECT_TRUE(file.rows.empty());
}

TEST_P(ParquetExportTest, DamagedPartitionFileFailsTheExportAndPublishesNothing) {
  IngestAll();
  auto parts =
      catalog_->manifests().ListLivePartitions(CurrentDataset().id, std::nullopt, std::nullopt);
  ASSERT_TRUE(parts.ok() && !parts->empty());
  const catalog::Partition& victim = parts->front();
  std::shared_ptr<storage::ObjectStore> store = StoreOf(victim.storage_target_id);
  ASSERT_NE(store, nullptr);
  std::string expected;
  if (auto path = store->LocalPath(victim.object_key.value())) {
    // A truncated file on disk fails its checksum.
    std::filesystem::resize_file(*path, std::filesystem::file_size(*path) - 1);
    expected = "fails its checksum";
  } else {
    // An object gone from the bucket is missing (not "not found": retrying may help).
    ASSERT_TRUE(store->Delete(victim.object_key.value()).ok());
    expected = "is missing";
  }
  auto result = Export("{}");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kInternal) << result.status().ToString();
  EXPECT_NE(result.status().message().find(expected), std::string::npos)
      << result.status().ToString();
  EXPECT_TRUE(catalog_->exports().List(CurrentDataset().id, 10)->empty());
  EXPECT_TRUE(store->List("exports/")->empty());
}

INSTANTIATE_TEST_SUITE_P(Drivers, ParquetExportTest, ::testing::Values(Driver::kLocal, Driver::kS3),
                         [](const ::testing::TestParamInfo<Driver>& info) {
                           return info.param == Driver::kLocal ? "Local" : "S3";
                         });

// ---- ExportRepository -------------------------------------------------------------------------

class ExportRepositoryTest : public catalog::CatalogTest {
 protected:
  catalog::NewExport MakeExport(const catalog::Dataset& d, int64_t version,
                                std::optional<common::UnixMicros> created_at) {
    catalog::NewExport e;
    e.dataset_id = d.id;
    e.storage_target_id = target_.id;
    e.object_key =
        catalog::ObjectKey("exports/" + d.slug + "/" + testing::UniqueName("e") + ".parquet");
    e.version = version;
    e.row_count = version * 10;
    e.file_size_bytes = version * 100;
    e.checksum_sha256 = std::string(64, 'b');
    e.created_at = created_at;
    return e;
  }
};

TEST_F(ExportRepositoryTest, ListIsNewestFirstAndFindLatestIsTheNewest) {
  const catalog::Dataset d = MakeDataset("metrics");
  const catalog::Dataset other = MakeDataset("other");
  auto none = catalog_->exports().FindLatest(d.id);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());

  const common::UnixMicros t = Micros(0);
  auto a = catalog_->exports().Record(MakeExport(d, 1, t + 2'000'000));
  auto b = catalog_->exports().Record(MakeExport(d, 2, t));
  auto c = catalog_->exports().Record(MakeExport(d, 3, t + 1'000'000));
  auto o = catalog_->exports().Record(MakeExport(other, 4, t + 9'000'000));
  ASSERT_TRUE(a.ok() && b.ok() && c.ok() && o.ok()) << a.status().ToString();
  EXPECT_EQ(a->created_at, t + 2'000'000);
  EXPECT_EQ(a->row_count, 10);
  EXPECT_EQ(a->file_size_bytes, 100);
  EXPECT_FALSE(a->job_id.has_value());

  auto list = catalog_->exports().List(d.id, 10);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[0].id, a->id);
  EXPECT_EQ((*list)[1].id, c->id);
  EXPECT_EQ((*list)[2].id, b->id);
  auto two = catalog_->exports().List(d.id, 2);
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(two->size(), 2u);
  auto latest = catalog_->exports().FindLatest(d.id);
  ASSERT_TRUE(latest.ok() && latest->has_value());
  EXPECT_EQ((*latest)->id, a->id);
  EXPECT_EQ((*latest)->object_key.value(), a->object_key.value());

  EXPECT_EQ(catalog_->exports().List(d.id, 0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(catalog_->exports().List(d.id, 501).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(ExportRepositoryTest, RecordKeepsRangeAndJobAndRefusesAReusedKey) {
  const catalog::Dataset d = MakeDataset("metrics");
  catalog::NewExport e = MakeExport(d, 7, std::nullopt);
  e.range_start = Micros(0);
  e.range_end = Micros(3600);
  e.job_id = catalog::JobId("job-1");
  const common::UnixMicros before = common::NowMicros();
  auto recorded = catalog_->exports().Record(e);
  ASSERT_TRUE(recorded.ok()) << recorded.status().ToString();
  EXPECT_EQ(recorded->range_start, Micros(0));
  EXPECT_EQ(recorded->range_end, Micros(3600));
  EXPECT_EQ(recorded->job_id->value(), "job-1");
  EXPECT_EQ(recorded->version, 7);
  EXPECT_EQ(recorded->id.value().rfind("exp-", 0), 0u);
  EXPECT_GE(recorded->created_at, before - 5'000'000);  // PostgreSQL's now()

  EXPECT_EQ(catalog_->exports().Record(e).status().code(), StatusCode::kAlreadyExists);
  catalog::NewExport half = MakeExport(d, 1, std::nullopt);
  half.range_start = Micros(0);
  EXPECT_EQ(catalog_->exports().Record(half).status().code(), StatusCode::kInvalidArgument);
  catalog::NewExport bad_sum = MakeExport(d, 1, std::nullopt);
  bad_sum.checksum_sha256 = "XYZ";
  EXPECT_EQ(catalog_->exports().Record(bad_sum).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace timestore::lifecycle
