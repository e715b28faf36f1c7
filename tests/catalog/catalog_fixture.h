// CatalogTest: a fresh, migrated catalog schema in the throwaway PostgreSQL for every test, plus
// helpers to build datasets and partitions.
#pragma once

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "catalog/catalog.h"
#include "testing/test_env.h"

namespace timestore::catalog {

inline CatalogOptions TestCatalogOptions(const std::string& schema) {
  CatalogOptions o;
  o.url = testing::PostgresUrl();
  o.schema = schema;
  o.pool_max = 8;
  o.acquire_timeout = std::chrono::milliseconds(3000);
  return o;
}

class CatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    schema_ = testing::UniqueName("ts");
    catalog_ = std::make_unique<Catalog>(TestCatalogOptions(schema_));
    auto migrated = catalog_->Migrate();
    ASSERT_TRUE(migrated.ok()) << migrated.status().ToString();
    auto target = catalog_->storage_targets().EnsureDefault("local-test", StorageKind::kLocal,
                                                            R"({"root":"/tmp/x"})");
    ASSERT_TRUE(target.ok()) << target.status().ToString();
    target_ = *target;
  }

  Dataset MakeDataset(const std::string& slug) {
    NewDataset d;
    d.slug = slug;
    d.name = "Dataset " + slug;
    auto created = catalog_->datasets().Create(d);
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    return created.ok() ? *created : Dataset{};
  }

  // A partition spanning [start_s, end_s] seconds with `rows` rows and a unique object key.
  NewPartition MakePartition(int64_t start_s, int64_t end_s, int64_t rows = 10,
                             const std::string& key_json = "{}") {
    NewPartition p;
    p.storage_target_id = target_.id;
    p.object_key = catalog::ObjectKey("datasets/test/" + testing::UniqueName("part") + ".parquet");
    p.format = WriteFormat::kParquet;
    p.file_size_bytes = rows * 100;
    p.row_count = rows;
    p.start_time = start_s * 1'000'000;
    p.end_time = end_s * 1'000'000;
    p.window_start = (start_s / 86400) * 86400 * 1'000'000;
    p.window_end = p.window_start + 86400LL * 1'000'000;
    p.partition_key_json = key_json;
    p.schema_version = 1;
    p.checksum_sha256 = std::string(64, 'a');
    return p;
  }

  std::string schema_;
  std::unique_ptr<Catalog> catalog_;
  StorageTarget target_;
};

}  // namespace timestore::catalog
