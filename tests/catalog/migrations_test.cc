#include "catalog/migrations.h"

#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "catalog/catalog.h"
#include "catalog_fixture.h"

namespace timestore::catalog {
namespace {

TEST(MigrationsTest, FreshSchemaGetsEveryMigrationOnceAndSecondRunIsANoOp) {
  Catalog catalog(TestCatalogOptions(testing::UniqueName("mig")));
  auto first = catalog.Migrate();
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(*first, static_cast<int>(AllMigrations().size()));
  auto second = catalog.Migrate();
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second, 0);
  EXPECT_TRUE(catalog.CheckReady().ok());
}

TEST(MigrationsTest, CreatesEveryTableOfTheDataModelInTheConfiguredSchema) {
  const std::string schema = testing::UniqueName("mig");
  Catalog catalog(TestCatalogOptions(schema));
  ASSERT_TRUE(catalog.Migrate().ok());
  auto lease = catalog.pool().Acquire();
  ASSERT_TRUE(lease.ok());
  auto res = (*lease)->Exec(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1",
      PgParams().Add(schema));
  ASSERT_TRUE(res.ok());
  std::vector<std::string> tables;
  for (int i = 0; i < res->rows(); ++i) tables.emplace_back(res->GetText(i, 0));
  EXPECT_EQ(tables, (std::vector<std::string>{
                        "api_tokens", "audit_events", "dataset_exports", "dataset_partitions",
                        "dataset_schema_versions", "dataset_versions", "datasets",
                        "ingestion_batches", "lifecycle_jobs", "retention_policies",
                        "schema_migrations", "sql_saved_queries", "storage_targets"}));
}

TEST(MigrationsTest, ConcurrentMigratorsAllSucceedAndApplyEachMigrationOnce) {
  const std::string schema = testing::UniqueName("mig");
  constexpr int kMigrators = 4;
  std::atomic<int> applied{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kMigrators; ++i) {
    threads.emplace_back([&] {
      Catalog catalog(TestCatalogOptions(schema));
      auto r = catalog.Migrate();
      if (r.ok()) {
        applied += *r;
      } else {
        ++failures;
        ADD_FAILURE() << r.status().ToString();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(applied.load(), static_cast<int>(AllMigrations().size()));
  Catalog check(TestCatalogOptions(schema));
  auto lease = check.pool().Acquire();
  ASSERT_TRUE(lease.ok());
  auto rows = (*lease)->Exec("SELECT count(*), count(DISTINCT version) FROM schema_migrations");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->GetInt64(0, 0), static_cast<int64_t>(AllMigrations().size()));
  EXPECT_EQ(rows->GetInt64(0, 1), static_cast<int64_t>(AllMigrations().size()));
}

TEST(MigrationsTest, ReadinessReportsPendingMigrationsAndUnreachableDatabase) {
  Catalog fresh(TestCatalogOptions(testing::UniqueName("mig")));
  common::Status pending = fresh.CheckReady();
  EXPECT_EQ(pending.code(), common::StatusCode::kUnavailable);
  EXPECT_NE(pending.message().find("migrations pending"), std::string::npos) << pending.message();

  CatalogOptions unreachable = TestCatalogOptions("timestore");
  unreachable.url = "postgres://timestore:timestore@127.0.0.1:1/timestore";
  Catalog down(unreachable);
  common::Status st = down.CheckReady();
  EXPECT_EQ(st.code(), common::StatusCode::kUnavailable);
  EXPECT_NE(st.message().find("unreachable"), std::string::npos) << st.message();
}

TEST(MigrationsTest, VersionsAreStrictlyIncreasing) {
  int last = 0;
  for (const Migration& m : AllMigrations()) {
    EXPECT_EQ(m.version, last + 1) << m.name;
    last = m.version;
  }
  EXPECT_EQ(LatestMigrationVersion(), last);
}

}  // namespace
}  // namespace timestore::catalog
