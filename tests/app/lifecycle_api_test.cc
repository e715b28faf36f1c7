// The lifecycle through the admin API and the `timestore lifecycle` command, against a real server,
// PostgreSQL and partition files: compaction keeps every answer, retention follows a short policy
// and its dry run, exports are listed and readable, two lifecycle processes at once merge each
// partition once, and the command's compaction stays within TIMESTORE_COMPACTION_MEMORY_LIMIT.
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>
#include <signal.h>
#include <simdjson.h>

#include "api/lifecycle_encoding.h"
#include "app/service.h"
#include "app/service_fixture.h"
#include "duck/connection.h"
#include "duck/database.h"
#include "duck/sql_quoting.h"
#include "testing/raw_http_client.h"
#include "testing/subprocess.h"
#include "testing/test_env.h"

namespace timestore::app {
namespace {

using namespace std::chrono_literals;

constexpr int64_t kT0 = 1704067200;  // 2024-01-01T00:00:00Z

std::string Batch(int from, int count) {
  std::string rows;
  for (int i = from; i < from + count; ++i) {
    rows += std::string(rows.empty() ? "" : ",") + R"({"timestamp":")" +
            common::FormatIso8601((kT0 + i * 600) * 1'000'000) + R"(","host":"h)" +
            std::to_string(i % 3) + R"(","v":)" + std::to_string(i) + "}";
  }
  return R"({"schema":{"fields":[{"name":"timestamp","type":"timestamp"},)"
         R"({"name":"host","type":"string"},{"name":"v","type":"double"}]},"rows":[)" +
         rows + "]}";
}

constexpr char kAllRows[] =
    R"({"timeRange":{"start":"2024-01-01T00:00:00Z","end":"2024-01-10T00:00:00Z"},)"
    R"("limit":100000})";

class LifecycleApiTest : public ServiceTest {
 protected:
  // The test drives the lifecycle itself (ServiceTest leaves it off).
  LifecycleApiTest() : ServiceTest("lca") {}
  void SetUp() override { StartService(); }

  // 30 small ingests over 3 days (one file each).
  void IngestSmallBatches(const std::string& slug) {
    for (int b = 0; b < 30; ++b) {
      auto r = Call("POST", "/datasets/" + slug + "/ingest", Batch(b * 12, 12));
      ASSERT_EQ(r.status, 201) << r.body;
    }
  }

  // The rows of the query answer (the part that must not change), and the partition count.
  std::string Rows(const std::string& slug) {
    auto r = Call("POST", "/datasets/" + slug + "/query", kAllRows);
    EXPECT_EQ(r.status, 200) << r.body;
    const size_t at = r.body.find("\"rows\":");
    const size_t end = r.body.find(",\"truncated\"");
    return at == std::string::npos ? r.body : r.body.substr(at, end - at);
  }
  int64_t PartitionCount(const std::string& slug) {
    auto r = Call("GET", "/datasets/" + slug + "/manifest");
    simdjson::dom::parser p;
    simdjson::dom::element doc;
    EXPECT_EQ(p.parse(r.body).get(doc), simdjson::SUCCESS) << r.body;
    return static_cast<int64_t>(doc["partitions"].get_array().value().size());
  }

  std::map<std::string, std::string> BinaryEnv() {
    return {{"TIMESTORE_DATABASE_URL", config_.postgres.url},
            {"DATABASE_URL", "<unset>"},
            {"TIMESTORE_PG_SCHEMA", config_.postgres.schema},
            {"TIMESTORE_STORAGE_ROOT", config_.storage.root},
            {"TIMESTORE_CACHE_DIR", (cache_.path() / "cli-cache").string()},
            {"TIMESTORE_LOG_LEVEL", "error"}};
  }
};

TEST_F(LifecycleApiTest, InlineCompactionThroughTheAdminApiKeepsEveryAnswer) {
  IngestSmallBatches("cpu");
  const std::string before = Rows("cpu");
  ASSERT_EQ(PartitionCount("cpu"), 30);
  auto run = Call("POST", "/admin/lifecycle/run",
                  R"({"datasetSlug":"cpu","operations":["compaction"],"mode":"inline"})");
  ASSERT_EQ(run.status, 200) << run.body;
  EXPECT_NE(run.body.find(R"("status":"completed")"), std::string::npos) << run.body;
  EXPECT_NE(run.body.find(R"("operation":"compaction")"), std::string::npos) << run.body;
  EXPECT_NE(run.body.find(R"("partitionsMerged": 30)"), std::string::npos) << run.body;
  EXPECT_EQ(PartitionCount("cpu"), 3);  // one per day
  EXPECT_EQ(Rows("cpu"), before);

  auto status = Call("GET", "/v1/admin/lifecycle/status?limit=5");
  ASSERT_EQ(status.status, 200) << status.body;
  EXPECT_NE(status.body.find(R"("totals":{"compaction":{"succeeded":1}})"), std::string::npos)
      << status.body;
  // Bad requests are precise 400s and change nothing.
  EXPECT_EQ(Call("POST", "/admin/lifecycle/run", R"({"operations":["compaction"]})").status, 400);
  EXPECT_EQ(Call("POST", "/admin/lifecycle/run", R"({"datasetSlug":"cpu","mode":"later"})").status,
            400);
  EXPECT_EQ(Call("POST", "/admin/lifecycle/run", R"({"datasetSlug":"cpu","operations":["defrag"]})")
                .status,
            400);
  EXPECT_EQ(Call("POST", "/admin/lifecycle/run", R"({"datasetSlug":"nope"})").status, 404);
  EXPECT_EQ(Call("POST", "/admin/lifecycle/reschedule", R"({"jobId":"job-nope"})").status, 404);
}

TEST_F(LifecycleApiTest, RetentionFollowsTheStoredPolicyAndItsDryRun) {
  IngestSmallBatches("cpu");
  auto policy = Call("GET", "/admin/datasets/cpu/retention");
  ASSERT_EQ(policy.status, 200) << policy.body;
  EXPECT_NE(policy.body.find(R"("isDefault":true)"), std::string::npos) << policy.body;
  EXPECT_EQ(Call("PUT", "/admin/datasets/cpu/retention", R"({"rules":{"maxAgeHours":-1}})").status,
            400);
  // Everything ingested is from 2024: a one-year age limit expires all of it.
  auto put = Call("PUT", "/admin/datasets/cpu/retention",
                  R"({"rules":{"maxAgeHours":8760},"deleteGraceMinutes":1})");
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_NE(put.body.find(R"("isDefault":false)"), std::string::npos) << put.body;
  auto preview = Call("POST", "/admin/datasets/cpu/retention/preview", "{}");
  ASSERT_EQ(preview.status, 200) << preview.body;
  EXPECT_NE(preview.body.find(R"("partitions":30,"rows":360)"), std::string::npos) << preview.body;
  auto run =
      Call("POST", "/admin/lifecycle/run", R"({"datasetSlug":"cpu","operations":["retention"]})");
  ASSERT_EQ(run.status, 200) << run.body;
  EXPECT_NE(run.body.find(R"("partitionsRemoved": 30)"), std::string::npos) << run.body;
  EXPECT_EQ(Rows("cpu"), R"("rows":[])");
  // Until the sweep, the version before the retention still reads every row.
  const std::string as_of =
      R"({"timeRange":{"start":"2024-01-01T00:00:00Z","end":"2024-01-10T00:00:00Z"},)"
      R"("asOfVersion":30,"limit":100000})";
  EXPECT_NE(Call("POST", "/datasets/cpu/query", as_of).body.find(R"("rowCount":360)"),
            std::string::npos);
  // With a grace of 0 minutes the sweep deletes the files at once; the old version then answers
  // 404 saying why, not a 500 with a server path.
  ASSERT_EQ(Call("PUT", "/admin/datasets/cpu/retention",
                 R"({"rules":{"maxAgeHours":8760},"deleteGraceMinutes":0})")
                .status,
            200);
  std::this_thread::sleep_for(20ms);
  auto sweep =
      Call("POST", "/admin/lifecycle/run", R"({"datasetSlug":"cpu","operations":["sweep"]})");
  ASSERT_EQ(sweep.status, 200) << sweep.body;
  EXPECT_NE(sweep.body.find(R"("filesDeleted": 30)"), std::string::npos) << sweep.body;
  auto gone = Call("POST", "/datasets/cpu/query", as_of);
  EXPECT_EQ(gone.status, 404) << gone.body;
  EXPECT_NE(gone.body.find("no longer stored"), std::string::npos) << gone.body;
  EXPECT_EQ(gone.body.find(config_.storage.root), std::string::npos) << gone.body;
}

TEST_F(LifecycleApiTest, ExportsAreListedAndReadableByAnyParquetReader) {
  IngestSmallBatches("cpu");
  auto run = Call("POST", "/admin/lifecycle/run",
                  R"({"datasetSlug":"cpu","operations":["parquetExport"]})");
  ASSERT_EQ(run.status, 200) << run.body;
  EXPECT_EQ(Call("GET", "/admin/datasets/cpu/exports?limit=0").status, 400);
  auto list = Call("GET", "/admin/datasets/cpu/exports");
  ASSERT_EQ(list.status, 200) << list.body;
  simdjson::dom::parser p;
  simdjson::dom::element doc;
  ASSERT_EQ(p.parse(list.body).get(doc), simdjson::SUCCESS);
  simdjson::dom::array exports = doc["exports"].get_array().value();
  ASSERT_EQ(exports.size(), 1u);
  const std::string key(exports.at(0)["objectKey"].get_string().value());
  EXPECT_EQ(key.rfind("exports/cpu/", 0), 0u) << key;
  EXPECT_EQ(exports.at(0)["rows"].get_int64().value(), 360);
  auto db = duck::Database::Open(":memory:");
  auto conn = duck::Connection::Open(*db);
  auto read = conn->Query("SELECT count(*), sum(v)::BIGINT FROM read_parquet('" +
                          config_.storage.root + "/" + key + "')");
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->GetInt64(0, 0), 360);
  EXPECT_EQ(read->GetInt64(1, 0), 359 * 360 / 2);
}

TEST_F(LifecycleApiTest, TwoLifecycleProcessesAtOnceMergeEachPartitionOnce) {
  IngestSmallBatches("cpu");
  const std::string before = Rows("cpu");
  std::vector<std::unique_ptr<testing::Subprocess>> procs;
  for (int i = 0; i < 2; ++i) {
    procs.push_back(std::make_unique<testing::Subprocess>(
        std::vector<std::string>{TIMESTORE_BINARY, "lifecycle", "--once", "--dataset", "cpu",
                                 "--operations", "compaction"},
        BinaryEnv()));
  }
  for (auto& p : procs) {
    EXPECT_EQ(p->Wait(60s), 0) << p->Output();
    EXPECT_NE(p->Output().find(R"("status":"completed")"), std::string::npos) << p->Output();
  }
  EXPECT_EQ(PartitionCount("cpu"), 3);
  EXPECT_EQ(Rows("cpu"), before);
  // A second pass finds nothing to merge.
  auto [code, out] = testing::RunCommand(
      {TIMESTORE_BINARY, "lifecycle", "--once", "--operations", "compaction"}, BinaryEnv(), 60s);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find(R"("partitionsMerged": 0)"), std::string::npos) << out;
}

// A dataset the command cannot run is one JSON line naming it, escaped like every answer.
TEST_F(LifecycleApiTest, TheOnceCommandPrintsAnUnknownDatasetAsValidJson) {
  const std::string slug = R"(no"such\set)";
  auto [code, out] = testing::RunCommand(
      {TIMESTORE_BINARY, "lifecycle", "--once", "--dataset", slug}, BinaryEnv(), 60s);
  EXPECT_EQ(code, 1) << out;
  const size_t at = out.find(R"({"datasetSlug":)");
  ASSERT_NE(at, std::string::npos) << out;
  const std::string line = out.substr(at, out.find('\n', at) - at);
  simdjson::dom::parser p;
  simdjson::dom::element doc;
  ASSERT_EQ(p.parse(line).get(doc), simdjson::SUCCESS) << line;
  EXPECT_EQ(doc["datasetSlug"].get_string().value(), slug);
  EXPECT_NE(std::string(doc["error"].get_string().value()).find(slug), std::string::npos) << line;
}

TEST_F(LifecycleApiTest, AWorkerKilledMidCompactionChangesNothingAndAnotherRedoesTheJob) {
  IngestSmallBatches("cpu");
  const std::string before = Rows("cpu");
  auto env = BinaryEnv();
  env["TIMESTORE_FAULT_INJECTION"] = "compaction_before_commit";
  env["TIMESTORE_LIFECYCLE_LEASE_MS"] = "1000";
  auto [code, out] = testing::RunCommand(
      {TIMESTORE_BINARY, "lifecycle", "--once", "--dataset", "cpu", "--operations", "compaction"},
      env, 60s);
  EXPECT_EQ(code, 128 + SIGKILL) << out;
  // Killed after publishing a merged file, before committing it: no visible change.
  EXPECT_EQ(PartitionCount("cpu"), 30);
  EXPECT_EQ(Rows("cpu"), before);
  catalog::Catalog catalog(CatalogOptionsFor(config_.postgres));
  catalog::ListJobsOptions running;
  running.status = catalog::JobStatus::kRunning;
  auto held = catalog.jobs().List(running);
  ASSERT_TRUE(held.ok());
  ASSERT_EQ(held->size(), 1u);  // still leased to the dead worker

  // Once the lease has expired, another worker claims the job and completes it.
  std::this_thread::sleep_for(1200ms);
  storage::ObjectStoreRegistry stores;
  config::LifecycleConfig lc;
  lc.sweep_grace = std::chrono::seconds(0);
  lc.sweep_orphan_age = std::chrono::seconds(0);
  LifecycleRuntime runtime(catalog, stores, nullptr, lc, nullptr);
  auto redone = runtime.runner().RunNext("second-worker");
  ASSERT_TRUE(redone.ok() && redone->has_value()) << redone.status().ToString();
  EXPECT_EQ((*redone)->id, (*held)[0].id);
  EXPECT_EQ((*redone)->attempts, 2);
  EXPECT_EQ((*redone)->status, catalog::JobStatus::kSucceeded) << (*redone)->error.value_or("");
  EXPECT_EQ(PartitionCount("cpu"), 3);
  EXPECT_EQ(Rows("cpu"), before);

  // The dead worker's unreferenced output is an orphan: the sweep removes it with the merged
  // inputs, leaving exactly the live files.
  std::this_thread::sleep_for(1100ms);
  auto sweep = runtime.service().Run([] {
    lifecycle::RunRequest r;
    r.dataset_slug = "cpu";
    r.operations = {"sweep"};
    return r;
  }());
  ASSERT_TRUE(sweep.ok()) << sweep.status().ToString();
  const std::string answer = api::RunOutcomeJson(*sweep);
  EXPECT_NE(answer.find(R"("orphansDeleted": 1)"), std::string::npos) << answer;
  int files = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(config_.storage.root)) {
    if (e.is_regular_file() && e.path().extension() == ".parquet") ++files;
  }
  EXPECT_EQ(files, 3);
  EXPECT_EQ(Rows("cpu"), before);
}

// ---- The compaction memory limit ------------------------------------------------------------

// `files` ingest bodies of `rows_each` rows on day 0 whose times interleave, so that merging them
// is a real sort: file f holds the seconds f, f + files, f + 2 * files, ... (mod one day).
std::string OverlappingBatch(int file, int files, int rows_each) {
  std::string rows;
  rows.reserve(static_cast<size_t>(rows_each) * 80);
  for (int r = 0; r < rows_each; ++r) {
    const int64_t second = (int64_t{r} * files + file) % 86400;
    rows += std::string(rows.empty() ? "" : ",") + R"({"timestamp":")" +
            common::FormatIso8601((kT0 + second) * 1'000'000) + R"(","host":"h)" +
            std::to_string(r % 50) + R"(","v":)" + std::to_string((r * 7 + file) % 1000) + "}";
  }
  return R"({"schema":{"fields":[{"name":"timestamp","type":"timestamp"},)"
         R"({"name":"host","type":"string"},{"name":"v","type":"double"}]},"rows":[)" +
         rows + "]}";
}

// The peak resident set size (VmHWM) of a running process, polled until it exits; its exit code
// goes to `*exit_code`. (The kernel's ru_maxrss would also count the test process's pages the
// child shared between fork and exec.)
uint64_t PeakRssUntilExit(testing::Subprocess& process, int* exit_code) {
  uint64_t peak = 0;
  const auto deadline = std::chrono::steady_clock::now() + 240s;
  for (;;) {
    std::ifstream status("/proc/" + std::to_string(process.pid()) + "/status");
    for (std::string line; std::getline(status, line);) {
      if (line.starts_with("VmHWM:"))
        peak = std::max<uint64_t>(peak, std::stoull(line.substr(6)) * 1024);
    }
    if (std::optional<int> code = process.Wait(2ms)) {
      *exit_code = *code;
      return peak;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      *exit_code = -1;
      return peak;
    }
  }
}

TEST_F(LifecycleApiTest, TheOnceCommandCompactsWithinItsMemoryLimitWhereWithoutOneItTakesMore) {
  constexpr uint64_t kLimit = uint64_t{64} << 20;
  constexpr int kFiles = 10;
  constexpr int kRowsEach = 100'000;
  for (const char* slug : {"bounded", "unbounded"}) {
    for (int f = 0; f < kFiles; ++f) {
      auto r = Call("POST", std::string("/datasets/") + slug + "/ingest",
                    OverlappingBatch(f, kFiles, kRowsEach));
      ASSERT_EQ(r.status, 201) << r.body;
    }
  }
  for (int b = 0; b < 2; ++b) {
    ASSERT_EQ(Call("POST", "/datasets/tiny/ingest", Batch(b * 10, 10)).status, 201);
  }
  const std::string summary =
      R"({"timeRange":{"start":"2024-01-01T00:00:00Z","end":"2024-01-02T00:00:00Z"},)"
      R"("downsample":{"intervalUnit":"hour","aggregations":[{"fn":"count"},)"
      R"({"fn":"avg","column":"v"},{"fn":"min","column":"v"}]}})";
  // The answer's rows (not its timings or partition statistics).
  const auto rows = [&](const std::string& slug) {
    const std::string body = Call("POST", "/datasets/" + slug + "/query", summary).body;
    const size_t at = body.find("\"rows\":");
    return at == std::string::npos ? body : body.substr(at, body.find(",\"truncated\"") - at);
  };
  const std::string before = rows("bounded");
  ASSERT_EQ(before.rfind("\"rows\":[{", 0), 0u) << before;
  ASSERT_EQ(rows("unbounded"), before);

  const auto compact = [&](const std::string& slug, const std::string& limit) {
    auto env = BinaryEnv();
    env["TIMESTORE_COMPACTION_MEMORY_LIMIT"] = limit;
    testing::Subprocess p(
        {TIMESTORE_BINARY, "lifecycle", "--once", "--dataset", slug, "--operations", "compaction"},
        env);
    int code = -1;
    const uint64_t peak = PeakRssUntilExit(p, &code);
    EXPECT_EQ(code, 0) << p.Output();
    EXPECT_NE(p.Output().find(R"("status":"succeeded")"), std::string::npos) << p.Output();
    return peak;
  };
  // The baseline: the process merging two tiny files, so that it has DuckDB's code in memory (its
  // pages count in RSS), as a server has from its first ingest or query.
  const uint64_t tiny = compact("tiny", "64MiB");
  const uint64_t bounded = compact("bounded", "64MiB") - tiny;
  const uint64_t unbounded = compact("unbounded", "64GiB") - tiny;
  RecordProperty("tiny_peak_bytes", std::to_string(tiny));
  RecordProperty("bounded_growth_bytes", std::to_string(bounded));
  RecordProperty("unbounded_growth_bytes", std::to_string(unbounded));
  EXPECT_GT(unbounded, kLimit + kLimit / 4) << "the data is too small to show the limit";
  EXPECT_LE(bounded, kLimit) << "compaction under a 64 MiB limit grew the process by " << bounded
                             << " bytes";

  // Both merged the group into one file: the same rows in time order, the same statistics.
  std::vector<catalog::Partition> live[2];
  for (int i = 0; i < 2; ++i) {
    auto dataset = catalog_->datasets().GetBySlug(i == 0 ? "bounded" : "unbounded");
    ASSERT_TRUE(dataset.ok()) << dataset.status().ToString();
    auto parts = catalog_->manifests().ListLivePartitions(dataset->id, std::nullopt, std::nullopt);
    ASSERT_TRUE(parts.ok()) << parts.status().ToString();
    ASSERT_EQ(parts->size(), 1u);
    live[i] = *parts;
  }
  EXPECT_EQ(live[0][0].row_count, int64_t{kFiles} * kRowsEach);
  EXPECT_EQ(live[0][0].column_statistics_json, live[1][0].column_statistics_json);
  EXPECT_EQ(live[0][0].start_time, live[1][0].start_time);
  EXPECT_EQ(live[0][0].end_time, live[1][0].end_time);
  EXPECT_EQ(rows("bounded"), before);
  auto db = duck::Database::Open(":memory:");
  ASSERT_TRUE(db.ok());
  auto conn = duck::Connection::Open(*db);
  ASSERT_TRUE(conn.ok());
  auto unordered = conn->Query(
      "SELECT count(*) FILTER (WHERE t < prev) FROM (SELECT \"timestamp\" AS t, "
      "lag(\"timestamp\") OVER (ORDER BY file_row_number) AS prev FROM read_parquet(" +
      duck::QuoteLiteral(config_.storage.root + "/" + live[0][0].object_key.value()) +
      ", file_row_number = true))");
  ASSERT_TRUE(unordered.ok()) << unordered.status().ToString();
  EXPECT_EQ(unordered->GetInt64(0, 0), 0) << "the merged file is not sorted by time";
}

}  // namespace
}  // namespace timestore::app
