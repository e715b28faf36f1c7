// LifecycleServiceTest: a real app::Service (HTTP on port 0, PostgreSQL, local directory or the S3
// test server — the test parameter) to ingest and query through, plus the catalog and object
// stores a lifecycle worker would use, and RunJob to run an Operation with a fake clock. The
// service starts on first use, so tests that only need the catalog do not pay for it.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <simdjson.h>

#include "app/service.h"
#include "app/service_fixture.h"
#include "catalog/catalog.h"
#include "common/time.h"
#include "lifecycle/operation.h"
#include "storage/object_store_registry.h"
#include "testing/eventually.h"
#include "testing/raw_http_client.h"
#include "testing/test_bucket.h"
#include "testing/test_env.h"

namespace timestore::lifecycle {

enum class Driver { kLocal, kS3 };

inline std::string DriverName(const ::testing::TestParamInfo<Driver>& info) {
  return info.param == Driver::kLocal ? "local" : "s3";
}

inline constexpr int64_t kT0 = 1704067200;  // 2024-01-01T00:00:00Z
inline constexpr int64_t kDay = 86400;

inline std::string Iso(int64_t second) { return common::FormatIso8601((kT0 + second) * 1'000'000); }

// Rows of {"timestamp", "v"} at the given offsets from kT0 (v = the offset).
inline std::string IngestBody(const std::vector<int64_t>& seconds) {
  std::string body =
      R"({"schema":{"fields":[{"name":"timestamp","type":"timestamp"},{"name":"v","type":"integer"}]},)"
      R"("rows":[)";
  for (size_t i = 0; i < seconds.size(); ++i) {
    body += (i ? "," : "") + std::string(R"({"timestamp":")") + Iso(seconds[i]) + R"(","v":)" +
            std::to_string(seconds[i]) + "}";
  }
  return body + "]}";
}

class LifecycleServiceTest : public ::testing::TestWithParam<Driver> {
 protected:
  void SetUp() override {
    cfg_.http.port = 0;
    cfg_.postgres.url = testing::PostgresUrl();
    cfg_.postgres.schema = testing::UniqueName("lc");
    cfg_.storage.root = (scratch_.path() / "data").string();
    cfg_.storage.cache_dir = (scratch_.path() / "cache").string();
    if (GetParam() == Driver::kS3) {
      testing::UseTestBucket(cfg_.storage, "lc");
    }
    catalog_ = std::make_unique<catalog::Catalog>(app::CatalogOptionsFor(cfg_.postgres));
    stores_ = std::make_unique<storage::ObjectStoreRegistry>(app::S3DefaultsFor(cfg_.storage));
    auto booted = app::BootstrapCatalog(*catalog_, cfg_.storage);
    ASSERT_TRUE(booted.ok()) << booted.status().ToString();
  }

  void StartService() {
    if (service_) return;
    service_ = std::make_unique<app::Service>(cfg_);
    ASSERT_TRUE(service_->Start().ok());
    const common::Status ready = app::WaitUntilReady(*service_);
    ASSERT_TRUE(ready.ok()) << ready.ToString();
  }

  testing::RawResponse Call(const std::string& method, const std::string& target,
                            const std::string& body = "") {
    StartService();
    testing::RawHttpClient c(service_->port(), std::chrono::seconds(30));
    auto r = c.Roundtrip(
        testing::MakeRequest(method, target, "Content-Type: application/json\r\n", body));
    EXPECT_TRUE(r.has_value());
    return r.value_or(testing::RawResponse{});
  }

  // Ingests rows at `seconds` (one partition per day window they fall in); returns the dataset.
  catalog::Dataset Ingest(const std::string& slug, const std::vector<int64_t>& seconds) {
    testing::RawResponse r = Call("POST", "/datasets/" + slug + "/ingest", IngestBody(seconds));
    EXPECT_EQ(r.status, 201) << r.body;
    auto d = catalog_->datasets().GetBySlug(slug);
    EXPECT_TRUE(d.ok()) << d.status().ToString();
    return d.ok() ? *d : catalog::Dataset{};
  }

  // The `v` values a raw query over days [0, 10) answers, in time order ("asOfVersion" optional).
  std::vector<int64_t> QueryValues(const std::string& slug,
                                   std::optional<int64_t> as_of = std::nullopt) {
    std::string body = R"({"timeRange":{"start":")" + Iso(0) + R"(","end":")" + Iso(10 * kDay) +
                       R"("},"columns":["timestamp","v"])";
    if (as_of) body += R"(,"asOfVersion":)" + std::to_string(*as_of);
    // The job committed through this test's catalog, as another process would: the service sees
    // that commit once PostgreSQL's notification reached it (catalog/dataset_cache.h).
    const std::string current = CurrentVersion(slug);
    testing::RawResponse r;
    const bool seen = testing::Eventually(
        [&] {
          r = Call("POST", "/datasets/" + slug + "/query", body + "}");
          return as_of || r.body.find(R"("version":)" + current + ",") != std::string::npos;
        },
        std::chrono::seconds(5));
    EXPECT_TRUE(seen) << "the service never answered version " << current << ": " << r.body;
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<int64_t> out;
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    if (parser.parse(r.body).get(doc)) {
      ADD_FAILURE() << r.body;
      return out;
    }
    const simdjson::dom::array items = doc["rows"].get_array().value();
    for (simdjson::dom::element row : items) {
      out.push_back(row["v"].get_int64().value());
    }
    return out;
  }

  // The dataset's current version as PostgreSQL holds it now.
  std::string CurrentVersion(const std::string& slug) {
    auto d = catalog_->datasets().GetBySlug(slug);
    EXPECT_TRUE(d.ok()) << d.status().ToString();
    return d.ok() ? std::to_string(d->current_version) : "?";
  }

  std::vector<catalog::Partition> Live(const catalog::DatasetId& id,
                                       std::optional<int64_t> version = std::nullopt) {
    auto parts = catalog_->manifests().ListLivePartitions(id, version, std::nullopt);
    EXPECT_TRUE(parts.ok()) << parts.status().ToString();
    return parts.ok() ? *parts : std::vector<catalog::Partition>{};
  }

  // The default storage target's store (the one the service writes to).
  storage::ObjectStore& Store() {
    auto target = catalog_->storage_targets().FindDefault();
    EXPECT_TRUE(target.ok() && target->has_value());
    auto store = stores_->Get((*target)->id.value(), catalog::StorageKindName((*target)->kind),
                              (*target)->config_json);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    store_ = *store;
    return *store_;
  }

  // Whether the object exists: in the store, and for the local driver also as a file on disk.
  bool Exists(const std::string& key) {
    auto stat = Store().Stat(key);
    EXPECT_TRUE(stat.ok()) << stat.status().ToString();
    const bool in_store = stat.ok() && stat->has_value();
    if (GetParam() == Driver::kLocal) {
      EXPECT_EQ(in_store, std::filesystem::exists(std::filesystem::path(cfg_.storage.root) / key))
          << key;
    }
    return in_store;
  }

  // Runs `op` as a worker would for a job of its kind on `dataset` (unset: every dataset), with
  // the clock at `now`.
  common::Result<std::string> RunJob(const Operation& op,
                                     const std::optional<catalog::DatasetId>& dataset,
                                     common::UnixMicros now,
                                     std::function<common::Status()> heartbeat = {}) {
    catalog::Job job;
    job.id = catalog::JobId("job-test");
    job.kind = std::string(op.kind());
    job.dataset_id = dataset;
    JobContext context{.catalog = *catalog_,
                       .stores = *stores_,
                       .cache = nullptr,
                       .options = options_,
                       .job = job};
    context.now = [now] { return now; };
    if (heartbeat) context.heartbeat = std::move(heartbeat);
    context.actor = "lifecycle:test";
    return op.Run(context);
  }

  testing::TempDir scratch_;
  config::ServiceConfig cfg_;
  LifecycleOptions options_;
  std::unique_ptr<catalog::Catalog> catalog_;
  std::unique_ptr<storage::ObjectStoreRegistry> stores_;
  std::shared_ptr<storage::ObjectStore> store_;
  std::unique_ptr<app::Service> service_;
};

}  // namespace timestore::lifecycle
