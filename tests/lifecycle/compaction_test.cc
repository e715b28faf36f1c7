// Compaction against a real Service (HTTP ingest and query), PostgreSQL, DuckDB and both storage
// drivers: answers are identical before and after, partition keys and column statistics still
// prune, schema versions merge, racing compactions and a concurrent ingest lose nothing, a crash
// between publish and commit changes nothing visible, DuckDB-format datasets compact, a group
// above the per-step row bound merges in several committed steps, and a step over the memory
// budget merges in halves.
#include "lifecycle/compaction.h"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <simdjson.h>

#include "app/service.h"
#include "app/service_fixture.h"
#include "common/time.h"
#include "duck/connection.h"
#include "duck/database.h"
#include "duck/sql_quoting.h"
#include "partition/file_format.h"
#include "storage/object_store_registry.h"
#include "storage/partition_cache.h"
#include "testing/raw_http_client.h"
#include "testing/test_bucket.h"
#include "testing/test_env.h"

namespace timestore::lifecycle {
namespace {

using namespace std::chrono_literals;
using testing::RawHttpClient;
using testing::RawResponse;

constexpr int64_t kT0 = 1704067200;  // 2024-01-01T00:00:00Z
constexpr int64_t kDay = 86400;

std::string Iso(int64_t second) { return common::FormatIso8601((kT0 + second) * 1'000'000); }

struct Row {
  int64_t second;  // offset from kT0; unique across a test, so raw answers have one order
  std::string host;
  int64_t usage;  // whole numbers: sums (and averages) do not depend on the order of addition
};

std::string IngestBody(const std::vector<Row>& rows, const std::string& region,
                       const std::string& attributes = "") {
  std::string body =
      R"({"schema":{"fields":[{"name":"timestamp","type":"timestamp"},)"
      R"({"name":"host","type":"string"},{"name":"usage","type":"double"},)"
      R"({"name":"cores","type":"integer"},{"name":"healthy","type":"boolean"}]},"rows":[)";
  for (size_t i = 0; i < rows.size(); ++i) {
    const Row& r = rows[i];
    body += (i ? "," : "") + std::string(R"({"timestamp":")") + Iso(r.second) + R"(","host":")" +
            r.host + R"(","usage":)" + std::to_string(r.usage) + R"(,"cores":)" +
            std::to_string(r.usage % 7) + R"(,"healthy":)" + (r.usage % 3 == 0 ? "true" : "false") +
            "}";
  }
  body += "]";
  if (!region.empty()) {
    body += R"(,"partition":{"key":{"region":")" + region + R"("})";
    if (!attributes.empty()) body += R"(,"attributes":)" + attributes;
    body += "}";
  }
  return body + "}";
}

std::string Range(int64_t from, int64_t to) {
  return R"("timeRange":{"start":")" + Iso(from) + R"(","end":")" + Iso(to) + R"("})";
}

enum class Driver { kLocal, kS3 };

class CompactionTest : public ::testing::TestWithParam<Driver> {
 protected:
  void SetUp() override { Start({}); }

  void Start(const std::function<void(config::ServiceConfig&)>& tweak) {
    cfg_.http.port = 0;
    cfg_.postgres.url = testing::PostgresUrl();
    cfg_.postgres.schema = testing::UniqueName("cmp");
    cfg_.storage.root = (scratch_.path() / "root").string();
    cfg_.storage.cache_dir = (scratch_.path() / "cache").string();
    // The tests run compaction themselves; the service's scheduler would also run retention, which
    // removes these 1970 rows at a moment the test does not control.
    cfg_.lifecycle.enabled = false;
    if (GetParam() == Driver::kS3) {
      testing::UseTestBucket(cfg_.storage, "cmp");
    }
    if (tweak) tweak(cfg_);
    service_ = std::make_unique<app::Service>(cfg_);
    ASSERT_TRUE(service_->Start().ok());
    const common::Status ready = app::WaitUntilReady(*service_);
    ASSERT_TRUE(ready.ok()) << ready.ToString();
    catalog_ = std::make_unique<catalog::Catalog>(app::CatalogOptionsFor(cfg_.postgres));
    stores_ = std::make_unique<storage::ObjectStoreRegistry>(app::S3DefaultsFor(cfg_.storage));
    // The worker's own cache, apart from the service's.
    storage::PartitionCacheOptions cache_options;
    cache_options.directory = (scratch_.path() / "worker-cache").string();
    auto cache = storage::PartitionCache::Open(cache_options, nullptr);
    ASSERT_TRUE(cache.ok()) << cache.status().ToString();
    cache_ = std::move(*cache);
  }

  RawResponse Call(const std::string& method, const std::string& target,
                   const std::string& body = "") {
    RawHttpClient c(service_->port(), 30s);
    auto r = c.Roundtrip(
        testing::MakeRequest(method, target, "Content-Type: application/json\r\n", body));
    EXPECT_TRUE(r.has_value());
    return r.value_or(RawResponse{});
  }

  void Ingest(const std::string& slug, const std::vector<Row>& rows, const std::string& region,
              const std::string& attributes = "") {
    RawResponse r =
        Call("POST", "/datasets/" + slug + "/ingest", IngestBody(rows, region, attributes));
    ASSERT_EQ(r.status, 201) << r.body;
  }

  // The answer's columns and rows (minified), or its status and body when it is not a 200.
  std::string Answer(const std::string& slug, const std::string& body,
                     simdjson::dom::element* statistics = nullptr) {
    RawResponse r = Call("POST", "/datasets/" + slug + "/query", body);
    if (r.status != 200) return std::to_string(r.status) + " " + r.body;
    last_body_ = r.body;
    simdjson::dom::element doc;
    if (parser_.parse(last_body_).get(doc) != simdjson::SUCCESS) return "unparsable " + r.body;
    if (statistics != nullptr) *statistics = doc["statistics"].value();
    return simdjson::minify(doc["columns"]) + simdjson::minify(doc["rows"]);
  }

  // Rows in the last answer.
  size_t RowCount() {
    simdjson::dom::element doc;
    if (parser_.parse(last_body_).get(doc) != simdjson::SUCCESS) return 0;
    return doc["rows"].get_array().value().size();
  }

  catalog::Dataset Dataset(const std::string& slug) {
    auto d = catalog_->datasets().GetBySlug(slug);
    EXPECT_TRUE(d.ok()) << d.status().ToString();
    return d.ok() ? *d : catalog::Dataset{};
  }

  std::vector<catalog::Partition> Live(const std::string& slug) {
    auto parts =
        catalog_->manifests().ListLivePartitions(Dataset(slug).id, std::nullopt, std::nullopt);
    EXPECT_TRUE(parts.ok()) << parts.status().ToString();
    return parts.ok() ? *parts : std::vector<catalog::Partition>{};
  }

  static int64_t Rows(const std::vector<catalog::Partition>& parts) {
    int64_t n = 0;
    for (const auto& p : parts) n += p.row_count;
    return n;
  }

  // Every object key of the dataset in the store.
  std::set<std::string> Objects(const std::string& slug) {
    std::set<std::string> keys;
    auto targets = catalog_->storage_targets().FindDefault();
    EXPECT_TRUE(targets.ok() && targets->has_value());
    if (!targets.ok() || !targets->has_value()) return keys;
    const catalog::StorageTarget& t = **targets;
    auto store = stores_->Get(t.id.value(), catalog::StorageKindName(t.kind), t.config_json);
    EXPECT_TRUE(store.ok());
    auto listed = (*store)->List(slug + "/");
    EXPECT_TRUE(listed.ok()) << listed.status().ToString();
    if (listed.ok()) {
      for (const auto& o : *listed) keys.insert(o.key);
    }
    return keys;
  }

  struct RunOutcome {
    common::Result<std::string> result = common::Internal("not run");
    std::vector<std::string> progress;
  };

  RunOutcome RunCompaction(const std::string& slug, const LifecycleOptions& options,
                           partition::FaultPoints hooks = {}) {
    catalog::Job job;
    job.id = catalog::JobId("job-" + testing::UniqueName("c"));
    job.kind = std::string(kCompaction);
    job.dataset_id = Dataset(slug).id;
    RunOutcome out;
    JobContext context{*catalog_, *stores_, cache_.get(), options, job};
    context.actor = "lifecycle:test";
    context.save_progress = [&out](const std::string& progress) {
      out.progress.push_back(progress);
      return common::Status::Ok();
    };
    const CompactionOperation op(std::move(hooks));
    out.result = op.Run(context);
    return out;
  }

  static int64_t Member(const std::string& json, const char* name) {
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    EXPECT_EQ(parser.parse(json).get(doc), simdjson::SUCCESS) << json;
    int64_t v = -1;
    EXPECT_EQ(doc[name].get(v), simdjson::SUCCESS) << name << " in " << json;
    return v;
  }

  // A few ingests into one group (region "eu", day 0) and its whole raw answer.
  void IngestSmallGroup(const std::string& slug, int files, int rows_each) {
    for (int f = 0; f < files; ++f) {
      std::vector<Row> rows;
      rows.reserve(static_cast<size_t>(rows_each));
      for (int r = 0; r < rows_each; ++r) {
        rows.push_back({f * 100 + r, "h" + std::to_string(r % 2), f * 10 + r});
      }
      Ingest(slug, rows, "eu");
    }
  }

  // The rows of the file of `p` are in time order (file order).
  void ExpectSortedByTime(const catalog::Partition& p) {
    auto target = catalog_->storage_targets().Get(p.storage_target_id);
    ASSERT_TRUE(target.ok());
    auto store = stores_->Get(target->id.value(), catalog::StorageKindName(target->kind),
                              target->config_json);
    ASSERT_TRUE(store.ok());
    const std::string path =
        (scratch_.path() / ("check-" + partition::FileName(p.id.value(), p.format))).string();
    ASSERT_TRUE((*store)->GetFile(p.object_key.value(), path).ok());
    auto db = duck::Database::Open(":memory:");
    ASSERT_TRUE(db.ok());
    auto conn = duck::Connection::Open(*db);
    ASSERT_TRUE(conn.ok());
    // Rows in file order: a Parquet file's row numbers, a DuckDB file's row ids.
    std::string rows = "(SELECT \"timestamp\", file_row_number AS n FROM read_parquet(" +
                       duck::QuoteLiteral(path) + ", file_row_number = true))";
    if (p.format == catalog::WriteFormat::kDuckdb) {
      ASSERT_TRUE(conn->Execute("ATTACH " + duck::QuoteLiteral(path) + " AS f (READ_ONLY)").ok());
      rows = "(SELECT \"timestamp\", rowid AS n FROM f.records)";
    }
    auto unordered = conn->Query(
        "SELECT count(*) FILTER (WHERE t < prev) FROM (SELECT \"timestamp\" AS t, "
        "lag(\"timestamp\") OVER (ORDER BY n) AS prev FROM " +
        rows + ")");
    ASSERT_TRUE(unordered.ok()) << unordered.status().ToString();
    EXPECT_EQ(unordered->GetInt64(0, 0), 0) << p.object_key.value() << " is not in time order";
  }

  testing::TempDir scratch_;
  config::ServiceConfig cfg_;
  std::unique_ptr<app::Service> service_;
  std::unique_ptr<catalog::Catalog> catalog_;
  std::unique_ptr<storage::ObjectStoreRegistry> stores_;
  std::unique_ptr<storage::PartitionCache> cache_;
  simdjson::dom::parser parser_;
  std::string last_body_;
};

INSTANTIATE_TEST_SUITE_P(Drivers, CompactionTest, ::testing::Values(Driver::kLocal, Driver::kS3),
                         [](const auto& info) {
                           return info.param == Driver::kLocal ? std::string("Local")
                                                               : std::string("S3");
                         });

TEST_P(CompactionTest, ManySmallIngestsMergeIntoOneFilePerGroupWithIdenticalAnswers) {
  // 50 ingests over 3 days and two regions: 6 (region, window) groups.
  const char* regions[] = {"eu", "us"};
  std::map<std::pair<std::string, int64_t>, std::vector<Row>> by_group;
  for (int i = 0; i < 50; ++i) {
    const std::string region = regions[i % 2];
    const int64_t day = (i / 2) % 3;
    std::vector<Row> rows;
    for (int r = 0; r < 4; ++r) {
      const std::string host = (region == "eu" ? "e" : "u") + std::to_string(r % 2);
      rows.push_back(
          {day * kDay + int64_t{i} * 60 + r, host, (region == "eu" ? 0 : 1000) + i * 4 + r});
    }
    // Attributes of two inputs of the eu day-0 group: merged, the earliest input winning.
    const std::string attributes = i == 0   ? R"({"source":"first","a":1})"
                                   : i == 6 ? R"({"source":"later","b":2})"
                                            : "";
    Ingest("cpu", rows, region, attributes);
    auto& all = by_group[{region, day}];
    all.insert(all.end(), rows.begin(), rows.end());
  }
  const int64_t version_before = Dataset("cpu").current_version;
  ASSERT_EQ(Live("cpu").size(), 50u);

  const std::string raw = "{" + Range(0, 3 * kDay) + R"(,"limit":100000})";
  const std::string downsampled =
      "{" + Range(0, 3 * kDay) +
      R"(,"downsample":{"intervalUnit":"hour","aggregations":[{"fn":"avg","column":"usage"},)"
      R"({"fn":"min","column":"cores"},{"fn":"max","column":"usage"},{"fn":"count"}]}})";
  const std::string by_key = "{" + Range(0, 3 * kDay) +
                             R"(,"filters":{"partitionKey":{"region":{"type":"string",)"
                             R"("in":["eu"]}}}})";
  const std::string by_host =
      "{" + Range(0, 3 * kDay) + R"(,"filters":{"columns":{"host":["u1"]}}})";
  const std::string raw_before = Answer("cpu", raw);
  const std::string downsampled_before = Answer("cpu", downsampled);
  const std::string by_key_before = Answer("cpu", by_key);
  const std::string by_host_before = Answer("cpu", by_host);
  for (const std::string* answer :
       {&raw_before, &downsampled_before, &by_key_before, &by_host_before}) {
    ASSERT_EQ(answer->rfind("[", 0), 0u) << *answer;
  }
  ASSERT_NE(raw_before.find("e0"), std::string::npos) << raw_before;

  LifecycleOptions options;
  RunOutcome run = RunCompaction("cpu", options);
  ASSERT_TRUE(run.result.ok()) << run.result.status().ToString();
  const std::string& result = *run.result;
  EXPECT_EQ(Member(result, "groups"), 6) << result;
  EXPECT_EQ(Member(result, "steps"), 6) << result;
  EXPECT_EQ(Member(result, "partitionsMerged"), 50) << result;
  EXPECT_EQ(Member(result, "filesWritten"), 6) << result;
  EXPECT_EQ(Member(result, "rows"), 200) << result;
  EXPECT_EQ(Member(result, "conflicts"), 0) << result;
  EXPECT_EQ(Member(result, "version"), version_before + 6) << result;
  EXPECT_GT(Member(result, "bytesBefore"), Member(result, "bytesAfter")) << result;
  EXPECT_EQ(run.progress.size(), 6u);

  // One file per group, with the group's key, window and rows; the same answers.
  const std::vector<catalog::Partition> live = Live("cpu");
  ASSERT_EQ(live.size(), 6u);
  EXPECT_EQ(Rows(live), 200);
  for (const auto& p : live) {
    EXPECT_EQ(p.format, catalog::WriteFormat::kParquet);
    EXPECT_EQ(p.window_end - p.window_start, kDay * 1'000'000);
    const int64_t day = (p.window_start / 1'000'000 - kT0) / kDay;
    const std::string region = p.partition_key_json.find("eu") != std::string::npos ? "eu" : "us";
    EXPECT_EQ(p.row_count, static_cast<int64_t>(by_group[{region, day}].size()));
    const std::string prefix =
        "cpu/region=" + region + "/window=2024010" + std::to_string(1 + day) + "T000000Z/part-";
    EXPECT_EQ(p.object_key.value().rfind(prefix, 0), 0u) << p.object_key.value();
    EXPECT_TRUE(p.object_key.value().ends_with(".parquet")) << p.object_key.value();
  }
  auto versions = catalog_->manifests().ListVersions(Dataset("cpu").id, 1, std::nullopt);
  ASSERT_TRUE(versions.ok());
  EXPECT_EQ((*versions)[0].kind, catalog::VersionKind::kCompaction);
  EXPECT_EQ((*versions)[0].actor.value_or(""), "lifecycle:test");

  EXPECT_EQ(Answer("cpu", raw), raw_before);
  EXPECT_EQ(Answer("cpu", downsampled), downsampled_before);
  simdjson::dom::element stats;
  EXPECT_EQ(Answer("cpu", by_key, &stats), by_key_before);
  EXPECT_EQ(stats["partitionsPrunedByKey"].get_int64().value(), 3) << last_body_;
  EXPECT_EQ(Answer("cpu", by_host, &stats), by_host_before);
  EXPECT_EQ(stats["partitionsPrunedByStatistics"].get_int64().value(), 3) << last_body_;
  EXPECT_EQ(stats["partitionsScanned"].get_int64().value(), 3) << last_body_;

  // The statistics are exactly what ingest records for the same rows in one file: the eu day-0
  // group, ingested again in one request into another dataset.
  Ingest("reference", by_group[{"eu", 0}], "eu");
  const std::vector<catalog::Partition> reference = Live("reference");
  ASSERT_EQ(reference.size(), 1u);
  bool compared = false;
  for (const auto& p : live) {
    if (p.partition_key_json == reference[0].partition_key_json &&
        p.window_start == kT0 * 1'000'000) {
      EXPECT_EQ(p.column_statistics_json, reference[0].column_statistics_json);
      EXPECT_EQ(p.start_time, reference[0].start_time);
      EXPECT_EQ(p.end_time, reference[0].end_time);
      EXPECT_EQ(p.row_count, reference[0].row_count);
      EXPECT_EQ(p.attributes_json, R"({"a": 1, "b": 2, "source": "first"})");
      compared = true;
    }
  }
  EXPECT_TRUE(compared);

  // Nothing was left in the staging directory (merged files, DuckDB spill directories).
  {
    auto target = catalog_->storage_targets().Get(live[0].storage_target_id);
    ASSERT_TRUE(target.ok());
    auto store = stores_->Get(target->id.value(), catalog::StorageKindName(target->kind),
                              target->config_json);
    ASSERT_TRUE(store.ok());
    const std::filesystem::path staging = (*store)->StagingDirectory();
    if (std::filesystem::exists(staging)) {
      EXPECT_TRUE(std::filesystem::is_empty(staging)) << staging;
    }
  }

  // Nothing is left to merge: a second run finds no group.
  RunOutcome again = RunCompaction("cpu", options);
  ASSERT_TRUE(again.result.ok());
  EXPECT_EQ(Member(*again.result, "groups"), 0);
  EXPECT_EQ(Dataset("cpu").current_version, version_before + 6);
}

TEST_P(CompactionTest, PartitionsOfTwoSchemaVersionsMergeWithTheNewColumnNullForOldRows) {
  Ingest("cpu", {{0, "h1", 1}, {1, "h2", 2}}, "eu");
  const std::string v2 =
      R"({"schema":{"fields":[{"name":"timestamp","type":"timestamp"},{"name":"host","type":"string"},)"
      R"({"name":"usage","type":"double"},{"name":"cores","type":"integer"},)"
      R"({"name":"healthy","type":"boolean"},{"name":"temp","type":"double"}]},)"
      R"("rows":[{"timestamp":")" +
      Iso(10) +
      R"(","host":"h1","usage":3,"cores":1,"healthy":true,"temp":36.5}],)"
      R"("partition":{"key":{"region":"eu"}}})";
  ASSERT_EQ(Call("POST", "/datasets/cpu/ingest", v2).status, 201);
  const std::string query = "{" + Range(0, 60) + R"(,"columns":["host","usage","temp"]})";
  const std::string before = Answer("cpu", query);
  ASSERT_NE(before.find("36.5"), std::string::npos) << before;

  RunOutcome run = RunCompaction("cpu", LifecycleOptions{});
  ASSERT_TRUE(run.result.ok()) << run.result.status().ToString();
  const auto live = Live("cpu");
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0].schema_version, 2);
  EXPECT_EQ(live[0].row_count, 3);
  EXPECT_NE(
      live[0].column_statistics_json.find(R"("temp": {"max": 36.5, "min": 36.5, "nullCount": 2})"),
      std::string::npos)
      << live[0].column_statistics_json;
  const std::string after = Answer("cpu", query);
  EXPECT_EQ(after, before);
  EXPECT_NE(after.find(R"("temp":null)"), std::string::npos) << after;
  EXPECT_NE(after.find(R"("temp":36.5)"), std::string::npos) << after;
}

TEST_P(CompactionTest, RacingCompactionsMergeEachPartitionOnceAndTheLoserReportsAConflict) {
  IngestSmallGroup("cpu", 4, 3);
  const std::string query = "{" + Range(0, kDay) + "}";
  const std::string before = Answer("cpu", query);
  const int64_t version_before = Dataset("cpu").current_version;
  const std::set<std::string> objects_before = Objects("cpu");

  // Both runs plan and merge the same step before either commits.
  std::atomic<int> merged{0};
  auto hooks = [&] {
    partition::FaultPoints h;
    h.after_publish = [&merged](const catalog::NewPartition&) {
      ++merged;
      const auto deadline = std::chrono::steady_clock::now() + 20s;
      while (merged.load() < 2 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(1ms);
      }
      return common::Status::Ok();
    };
    return h;
  };
  RunOutcome a, b;
  std::thread ta([&] { a = RunCompaction("cpu", LifecycleOptions{}, hooks()); });
  std::thread tb([&] { b = RunCompaction("cpu", LifecycleOptions{}, hooks()); });
  ta.join();
  tb.join();
  ASSERT_TRUE(a.result.ok()) << a.result.status().ToString();
  ASSERT_TRUE(b.result.ok()) << b.result.status().ToString();
  EXPECT_EQ(Member(*a.result, "steps") + Member(*b.result, "steps"), 1);
  EXPECT_EQ(Member(*a.result, "partitionsMerged") + Member(*b.result, "partitionsMerged"), 4);
  EXPECT_EQ(Member(*a.result, "conflicts") + Member(*b.result, "conflicts"), 1);
  const RunOutcome& loser = Member(*a.result, "steps") == 0 ? a : b;
  EXPECT_EQ(Member(*loser.result, "conflicts"), 1) << *loser.result;
  EXPECT_TRUE(loser.progress.empty());

  EXPECT_EQ(Dataset("cpu").current_version, version_before + 1);
  const auto live = Live("cpu");
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0].row_count, 12);
  EXPECT_EQ(Answer("cpu", query), before);
  // The loser's output was deleted: the store holds the inputs (until the sweeper) and the
  // winner's.
  std::set<std::string> expected = objects_before;
  expected.insert(live[0].object_key.value());
  EXPECT_EQ(Objects("cpu"), expected);
}

TEST_P(CompactionTest, IngestCommittedDuringACompactionStaysLive) {
  IngestSmallGroup("cpu", 3, 2);
  const std::string query = "{" + Range(0, kDay) + "}";
  partition::FaultPoints hooks;
  hooks.after_publish = [this](const catalog::NewPartition&) {
    Ingest("cpu", {{5000, "late", 99}}, "eu");  // same group, between merge and commit
    return common::Status::Ok();
  };
  RunOutcome run = RunCompaction("cpu", LifecycleOptions{}, hooks);
  ASSERT_TRUE(run.result.ok()) << run.result.status().ToString();
  EXPECT_EQ(Member(*run.result, "partitionsMerged"), 3);
  const auto live = Live("cpu");
  ASSERT_EQ(live.size(), 2u);
  EXPECT_EQ(Rows(live), 7);
  const std::string after = Answer("cpu", query);
  EXPECT_NE(after.find("late"), std::string::npos) << after;
  EXPECT_EQ(RowCount(), 7u) << after;
}

TEST_P(CompactionTest, CrashBetweenPublishAndCommitChangesNothingAndTheNextRunCompletes) {
  IngestSmallGroup("cpu", 4, 2);
  const std::string query = "{" + Range(0, kDay) + "}";
  const std::string before = Answer("cpu", query);
  const int64_t version_before = Dataset("cpu").current_version;
  const auto live_before = Live("cpu");
  const std::set<std::string> objects_before = Objects("cpu");

  partition::FaultPoints crash;
  std::string published;
  crash.after_publish = [&published](const catalog::NewPartition& output) {
    published = output.object_key.value();
    return common::Unavailable("simulated crash before commit");
  };
  RunOutcome crashed = RunCompaction("cpu", LifecycleOptions{}, crash);
  ASSERT_FALSE(crashed.result.ok());
  EXPECT_EQ(crashed.result.status().code(), common::StatusCode::kUnavailable);
  EXPECT_FALSE(published.empty());
  EXPECT_EQ(Dataset("cpu").current_version, version_before);
  EXPECT_EQ(Live("cpu").size(), live_before.size());
  EXPECT_EQ(Objects("cpu"), objects_before);  // the unreferenced output was deleted
  EXPECT_EQ(Answer("cpu", query), before);

  RunOutcome retried = RunCompaction("cpu", LifecycleOptions{});
  ASSERT_TRUE(retried.result.ok()) << retried.result.status().ToString();
  EXPECT_EQ(Member(*retried.result, "partitionsMerged"), 4);
  EXPECT_EQ(Dataset("cpu").current_version, version_before + 1);
  ASSERT_EQ(Live("cpu").size(), 1u);
  EXPECT_NE(Live("cpu")[0].object_key.value(), published);
  EXPECT_EQ(Answer("cpu", query), before);
}

TEST_P(CompactionTest, DuckdbFormatDatasetCompactsIntoADuckdbFile) {
  service_.reset();
  Start([](config::ServiceConfig& c) { c.ingest.write_format = config::WriteFormat::kDuckdb; });
  IngestSmallGroup("cpu", 4, 3);
  ASSERT_EQ(Live("cpu").front().format, catalog::WriteFormat::kDuckdb);
  const std::string query = "{" + Range(0, kDay) + "}";
  const std::string filtered =
      "{" + Range(0, kDay) + R"(,"filters":{"columns":{"usage":{"gt":25}}}})";
  const std::string before = Answer("cpu", query);
  const std::string filtered_before = Answer("cpu", filtered);

  RunOutcome run = RunCompaction("cpu", LifecycleOptions{});
  ASSERT_TRUE(run.result.ok()) << run.result.status().ToString();
  const auto live = Live("cpu");
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0].format, catalog::WriteFormat::kDuckdb);
  EXPECT_TRUE(live[0].object_key.value().ends_with(".duckdb")) << live[0].object_key.value();
  EXPECT_EQ(live[0].row_count, 12);
  ExpectSortedByTime(live[0]);
  EXPECT_EQ(Answer("cpu", query), before);
  EXPECT_EQ(Answer("cpu", filtered), filtered_before);
}

TEST_P(CompactionTest, GroupAboveTheRowBoundMergesInSeveralCommittedSteps) {
  IngestSmallGroup("cpu", 6, 3);
  const std::string query = "{" + Range(0, kDay) + "}";
  const std::string before = Answer("cpu", query);
  const int64_t version_before = Dataset("cpu").current_version;

  LifecycleOptions options;
  options.compaction_max_rows_per_step = 8;  // two 3-row inputs per step
  RunOutcome run = RunCompaction("cpu", options);
  ASSERT_TRUE(run.result.ok()) << run.result.status().ToString();
  EXPECT_EQ(Member(*run.result, "groups"), 1);
  EXPECT_EQ(Member(*run.result, "steps"), 3);
  EXPECT_EQ(Member(*run.result, "filesWritten"), 3);
  EXPECT_EQ(Member(*run.result, "version"), version_before + 3);
  ASSERT_EQ(run.progress.size(), 3u);
  for (size_t i = 0; i < run.progress.size(); ++i) {
    EXPECT_EQ(Member(run.progress[i], "steps"), static_cast<int64_t>(i + 1));
    EXPECT_EQ(Member(run.progress[i], "version"), version_before + static_cast<int64_t>(i + 1));
  }
  const auto live = Live("cpu");
  ASSERT_EQ(live.size(), 3u);
  for (const auto& p : live) EXPECT_EQ(p.row_count, 6);
  EXPECT_EQ(Answer("cpu", query), before);

  // The outputs already fill a step: running again merges nothing.
  RunOutcome again = RunCompaction("cpu", options);
  ASSERT_TRUE(again.result.ok());
  EXPECT_EQ(Member(*again.result, "steps"), 0);
  EXPECT_EQ(Dataset("cpu").current_version, version_before + 3);
}

TEST_P(CompactionTest, InputNotMatchingItsChecksumFailsTheJobAndChangesNothing) {
  IngestSmallGroup("cpu", 3, 2);
  const int64_t version_before = Dataset("cpu").current_version;
  const std::set<std::string> objects_before = Objects("cpu");
  // Replace the second input's bytes (a copy of the first input under the second's key).
  const auto live = Live("cpu");
  ASSERT_EQ(live.size(), 3u);
  auto target = catalog_->storage_targets().Get(live[1].storage_target_id);
  ASSERT_TRUE(target.ok());
  auto store =
      stores_->Get(target->id.value(), catalog::StorageKindName(target->kind), target->config_json);
  ASSERT_TRUE(store.ok());
  const std::string copy = (scratch_.path() / "other.parquet").string();
  ASSERT_TRUE((*store)->GetFile(live[0].object_key.value(), copy).ok());
  ASSERT_TRUE((*store)->Delete(live[1].object_key.value()).ok());
  ASSERT_TRUE((*store)->PutFile(live[1].object_key.value(), copy, storage::PutOptions{}).ok());

  RunOutcome run = RunCompaction("cpu", LifecycleOptions{});
  ASSERT_FALSE(run.result.ok());
  EXPECT_EQ(run.result.status().code(), common::StatusCode::kInternal);
  EXPECT_NE(run.result.status().message().find(live[1].id.value()), std::string::npos)
      << run.result.status().ToString();
  EXPECT_EQ(Dataset("cpu").current_version, version_before);
  EXPECT_EQ(Objects("cpu"), objects_before);
}

TEST_P(CompactionTest, ResumedJobReportsTheStepsOfEarlierTries) {
  IngestSmallGroup("cpu", 2, 2);
  catalog::Job job;
  job.id = catalog::JobId("job-resumed");
  job.kind = std::string(kCompaction);
  job.dataset_id = Dataset("cpu").id;
  job.progress_json =
      R"({"steps":2,"partitionsMerged":5,"filesWritten":2,"rows":50,"bytesBefore":1000,)"
      R"("bytesAfter":400,"conflicts":1,"version":3})";
  LifecycleOptions options;
  JobContext context{*catalog_, *stores_, cache_.get(), options, job};
  auto result = CompactionOperation().Run(context);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(Member(*result, "steps"), 3);
  EXPECT_EQ(Member(*result, "partitionsMerged"), 7);
  EXPECT_EQ(Member(*result, "rows"), 54);
  EXPECT_EQ(Member(*result, "conflicts"), 1);
  EXPECT_EQ(Member(*result, "version"), Dataset("cpu").current_version);

  job.dataset_id.reset();
  EXPECT_EQ(CompactionOperation().Run(context).status().code(),
            common::StatusCode::kInvalidArgument);
  job.dataset_id = catalog::DatasetId("ds-missing");
  EXPECT_EQ(CompactionOperation().Run(context).status().code(), common::StatusCode::kNotFound);
}

// ---- The memory budget ------------------------------------------------------------------------

// Wide rows (a 512-character string each) at the smallest budget: DuckDB cannot buffer the
// Parquet row group of all 16 inputs within it, so the step is split and each half is merged and
// committed on its own - every row kept, each output in time order. A later run cannot merge the
// two halves either (the same rows) and leaves them alone without failing.
TEST_P(CompactionTest, StepOverTheMemoryBudgetIsMergedInHalves) {
  constexpr int kFiles = 16;
  constexpr int kRowsEach = 2000;
  std::mt19937_64 random(7);
  for (int f = 0; f < kFiles; ++f) {
    std::vector<Row> rows;
    for (int r = 0; r < kRowsEach; ++r) {
      std::string wide;
      while (wide.size() < 512) wide += std::to_string(random());
      wide.resize(512);
      rows.push_back({(int64_t{r} * kFiles + f) % kDay, std::move(wide), r % 1000});
    }
    Ingest("cpu", rows, "eu");
  }
  const std::string summary =
      "{" + Range(0, kDay) +
      R"(,"downsample":{"intervalUnit":"hour","aggregations":[{"fn":"count"},)"
      R"({"fn":"avg","column":"usage"},{"fn":"max","column":"cores"}]}})";
  const std::string before = Answer("cpu", summary);
  ASSERT_EQ(before.rfind('[', 0), 0u) << before;

  LifecycleOptions options;
  options.compaction_memory_limit_bytes = int64_t{64} << 20;
  RunOutcome run = RunCompaction("cpu", options);
  ASSERT_TRUE(run.result.ok()) << run.result.status().ToString();
  EXPECT_EQ(Member(*run.result, "partitionsMerged"), kFiles) << *run.result;
  EXPECT_GE(Member(*run.result, "steps"), 2) << *run.result;
  const auto live = Live("cpu");
  EXPECT_EQ(static_cast<int64_t>(live.size()), Member(*run.result, "steps"));
  EXPECT_EQ(Rows(live), int64_t{kFiles} * kRowsEach);
  for (const auto& p : live) ExpectSortedByTime(p);
  EXPECT_EQ(Answer("cpu", summary), before);

  const int64_t version = Dataset("cpu").current_version;
  RunOutcome again = RunCompaction("cpu", options);
  ASSERT_TRUE(again.result.ok()) << again.result.status().ToString();
  EXPECT_EQ(Member(*again.result, "steps"), 0) << *again.result;
  EXPECT_EQ(Member(*again.result, "overBudget"), 1) << *again.result;
  EXPECT_EQ(Dataset("cpu").current_version, version);
  EXPECT_EQ(Live("cpu").size(), live.size());
}

}  // namespace
}  // namespace timestore::lifecycle
