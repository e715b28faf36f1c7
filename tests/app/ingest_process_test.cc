// Ingest across real `timestore serve` processes: a process killed (SIGKILL) at the worst moments
// leaves the old or the new state and a retry with the same key converges; two processes ingesting
// into one dataset lose nothing.
#include <atomic>
#include <csignal>
#include <filesystem>
#include <optional>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "catalog/catalog.h"
#include "common/time.h"
#include "harness/server_process.h"
#include "testing/raw_http_client.h"
#include "testing/test_env.h"

namespace timestore {
namespace {

using namespace std::chrono_literals;
using testing::RawHttpClient;
using testing::RawResponse;

std::string Body(int from, int count, const std::string& key) {
  std::string rows;
  for (int i = 0; i < count; ++i) {
    if (i > 0) rows += ",";
    rows += R"({"timestamp":")" + common::FormatIso8601((1704067200LL + from + i) * 1'000'000) +
            R"(","v":)" + std::to_string(from + i) + "}";
  }
  return R"({"schema":{"fields":[{"name":"timestamp","type":"timestamp"},{"name":"v","type":"double"}]},)"
         R"("idempotencyKey":")" +
         key + R"(","rows":[)" + rows + "]}";
}

// A `timestore serve` child process on a free port, ready (harness::ServerProcess), logging at
// info level into a directory of its own.
class ServerProcess {
 public:
  ServerProcess(const std::string& schema, const std::string& storage_root,
                const std::string& fault = "") {
    harness::ServerProcessOptions options;
    options.binary = TIMESTORE_BINARY;
    options.database_url = testing::PostgresUrl();
    options.pg_schema = schema;
    options.storage_root = storage_root;
    options.log_level = "info";
    options.log_path = (log_dir_.path() / "serve.log").string();
    if (!fault.empty()) options.extra_env.push_back("TIMESTORE_FAULT_INJECTION=" + fault);
    auto started = harness::ServerProcess::Start(options, /*cleanup=*/nullptr);
    if (started.ok()) {
      server_.emplace(std::move(*started));
    } else {
      ADD_FAILURE() << started.status().ToString();
    }
  }
  uint16_t port() const { return server_ ? server_->port() : 0; }
  std::string Log() const { return server_ ? server_->Log() : std::string(); }
  // The exit code once the process has died (128 + signal), or nothing after `timeout`.
  std::optional<int> WaitForExit(std::chrono::milliseconds timeout) {
    return server_->process().WaitFor(timeout);
  }

  std::optional<RawResponse> Post(const std::string& slug, const std::string& body) {
    RawHttpClient c(port(), 30s);
    return c.Roundtrip(testing::MakeRequest("POST", "/datasets/" + slug + "/ingest",
                                            "Content-Type: application/json\r\n", body));
  }

 private:
  testing::TempDir log_dir_;
  std::optional<harness::ServerProcess> server_;  // stopped before log_dir_ goes
};

class IngestProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    catalog::CatalogOptions o;
    o.url = testing::PostgresUrl();
    o.schema = schema_;
    catalog_ = std::make_unique<catalog::Catalog>(o);
  }

  std::optional<catalog::Dataset> Dataset(const std::string& slug) {
    auto d = catalog_->datasets().FindBySlug(slug);
    return d.ok() ? *d : std::nullopt;
  }

  // Object keys of the files on disk under the dataset's prefix (temp/staging names excluded).
  std::set<std::string> FilesOnDisk(const std::string& slug) {
    std::set<std::string> keys;
    const auto root = storage_.path() / slug;
    if (!std::filesystem::exists(root)) return keys;
    for (const auto& e : std::filesystem::recursive_directory_iterator(root)) {
      const std::string name = e.path().filename().string();
      if (e.is_regular_file() && name.rfind(".tmp-", 0) != 0) {
        keys.insert(std::filesystem::relative(e.path(), storage_.path()).string());
      }
    }
    return keys;
  }

  std::set<std::string> ReferencedKeys(const std::string& slug) {
    std::set<std::string> keys;
    auto d = Dataset(slug);
    if (!d) return keys;
    auto parts = catalog_->manifests().ListLivePartitions(d->id, std::nullopt, std::nullopt);
    for (const auto& p : *parts) keys.insert(p.object_key.value());
    return keys;
  }

  std::string schema_ = testing::UniqueName("proc");
  testing::TempDir storage_;
  std::unique_ptr<catalog::Catalog> catalog_;
};

TEST_F(IngestProcessTest,
       KilledAfterTheFileIsWrittenBeforeTheCommitPublishesNothingAndRetrySucceeds) {
  {
    ServerProcess doomed(schema_, storage_.path().string(), "after_put");
    ASSERT_NE(doomed.port(), 0) << doomed.Log();
    auto r = doomed.Post("crash", Body(0, 10, "k1"));
    EXPECT_FALSE(r.has_value()) << "the process should have died before answering";
    EXPECT_EQ(doomed.WaitForExit(10s), 128 + SIGKILL);
  }
  // Old state: the dataset exists (created before the write) but has no version and no partition.
  auto d = Dataset("crash");
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->current_version, 0);
  EXPECT_TRUE(ReferencedKeys("crash").empty());
  // The orphan file is on disk and referenced by no version: the sweeper's to remove.
  const auto orphans = FilesOnDisk("crash");
  EXPECT_EQ(orphans.size(), 1u);

  ServerProcess healthy(schema_, storage_.path().string());
  auto retry = healthy.Post("crash", Body(0, 10, "k1"));
  ASSERT_TRUE(retry.has_value());
  EXPECT_EQ(retry->status, 201) << retry->body;
  EXPECT_EQ(Dataset("crash")->current_version, 1);
  const auto referenced = ReferencedKeys("crash");
  ASSERT_EQ(referenced.size(), 1u);
  EXPECT_EQ(orphans.count(*referenced.begin()), 0u) << "a key must never be reused";
  std::set<std::string> unreferenced;
  for (const auto& k : FilesOnDisk("crash")) {
    if (referenced.count(k) == 0) unreferenced.insert(k);
  }
  EXPECT_EQ(unreferenced, orphans);
}

TEST_F(IngestProcessTest, KilledAfterTheCommitBeforeTheAnswerRetryReturnsTheCommittedResult) {
  {
    ServerProcess doomed(schema_, storage_.path().string(), "after_commit");
    ASSERT_NE(doomed.port(), 0) << doomed.Log();
    auto r = doomed.Post("late", Body(0, 7, "k2"));
    EXPECT_FALSE(r.has_value());
    EXPECT_EQ(doomed.WaitForExit(10s), 128 + SIGKILL);
  }
  auto d = Dataset("late");
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->current_version, 1);  // the commit landed

  ServerProcess healthy(schema_, storage_.path().string());
  auto retry = healthy.Post("late", Body(0, 7, "k2"));
  ASSERT_TRUE(retry.has_value());
  EXPECT_EQ(retry->status, 200) << retry->body;
  EXPECT_EQ(retry->Header("idempotent-replayed"), "true");
  EXPECT_NE(retry->body.find(R"("manifest":{"version":1,"partitionCount":1,"totalRows":7)"),
            std::string::npos)
      << retry->body;
  EXPECT_EQ(Dataset("late")->current_version, 1);
  auto v = catalog_->manifests().GetVersion(d->id, 1);
  EXPECT_EQ(v->total_rows, 7);
}

TEST_F(IngestProcessTest, FourClientsAcrossTwoServerProcessesLoseNothing) {
  ServerProcess a(schema_, storage_.path().string());
  ServerProcess b(schema_, storage_.path().string());
  ASSERT_NE(a.port(), 0);
  ASSERT_NE(b.port(), 0);
  constexpr int kClients = 4;
  constexpr int kBatches = 6;
  constexpr int kRows = 100;
  std::atomic<int> acknowledged_rows{0};
  std::vector<std::thread> clients;
  clients.reserve(kClients);
  for (int t = 0; t < kClients; ++t) {
    clients.emplace_back([&, t] {
      for (int i = 0; i < kBatches; ++i) {
        ServerProcess& server = (t + i) % 2 == 0 ? a : b;
        const int from = (t * kBatches + i) * kRows;
        auto r = server.Post("shared",
                             Body(from, kRows, "c" + std::to_string(t) + "-" + std::to_string(i)));
        ASSERT_TRUE(r.has_value());
        EXPECT_EQ(r->status, 201) << r->body;
        if (r->status == 201) acknowledged_rows += kRows;
      }
    });
  }
  for (auto& c : clients) c.join();
  EXPECT_EQ(acknowledged_rows.load(), kClients * kBatches * kRows);
  auto d = Dataset("shared");
  ASSERT_TRUE(d.has_value());
  auto latest = catalog_->manifests().GetVersion(d->id, d->current_version);
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(latest->total_rows, kClients * kBatches * kRows);
  // Versions are contiguous: every version from 1 to the current one exists, each one's parent.
  auto history = catalog_->manifests().ListVersions(d->id, 1000, std::nullopt);
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(static_cast<int64_t>(history->size()), d->current_version);
  for (size_t i = 0; i < history->size(); ++i) {
    EXPECT_EQ((*history)[i].version, d->current_version - static_cast<int64_t>(i));
  }
}

}  // namespace
}  // namespace timestore
