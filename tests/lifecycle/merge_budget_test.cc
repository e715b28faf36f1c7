// MergeBudget: how the compaction memory budget divides into DuckDB's memory limit, threads and the
// inputs per step, and that DuckDB reports those settings on a connection to a merge instance.
#include "lifecycle/merge_budget.h"

#include <gtest/gtest.h>

#include "duck/connection.h"
#include "duck/database.h"
#include "testing/test_env.h"

namespace timestore::lifecycle {
namespace {

constexpr int64_t kMiB = int64_t{1} << 20;

TEST(MergeBudgetTest, DuckdbGetsTheBudgetLessWhatItDoesNotTrack) {
  const MergeBudget b = MergeBudget::For(256 * kMiB, 8);
  EXPECT_EQ(b.budget_bytes, 256 * kMiB);
  EXPECT_EQ(b.threads, 1);
  EXPECT_LT(b.duckdb_memory_limit_bytes, 256 * kMiB - 64 * kMiB);
  EXPECT_GT(b.duckdb_memory_limit_bytes, 128 * kMiB);
  EXPECT_EQ(b.max_inputs_per_step, 2048);
}

TEST(MergeBudgetTest, ThreadsGrowWithTheBudgetUpToTheMachine) {
  EXPECT_EQ(MergeBudget::For(64 * kMiB, 8).threads, 1);
  EXPECT_EQ(MergeBudget::For(1024 * kMiB, 8).threads, 2);
  EXPECT_EQ(MergeBudget::For(8192 * kMiB, 8).threads, 8);
  EXPECT_EQ(MergeBudget::For(8192 * kMiB, 2).threads, 2);
  EXPECT_EQ(MergeBudget::For(8192 * kMiB, 0).threads, 1);  // unknown machine
  // Each thread's untracked memory stays outside DuckDB's limit.
  const MergeBudget two = MergeBudget::For(1024 * kMiB, 8);
  EXPECT_LE(two.duckdb_memory_limit_bytes, 1024 * kMiB - 2 * (64 * kMiB));
}

TEST(MergeBudgetTest, SmallBudgetKeepsAWorkableDuckdbLimitAndFewerInputs) {
  const MergeBudget b = MergeBudget::For(64 * kMiB, 2);
  EXPECT_EQ(b.duckdb_memory_limit_bytes, 32 * kMiB);
  EXPECT_EQ(b.max_inputs_per_step, 512);
  EXPECT_EQ(MergeBudget::For(100'000, 2).max_inputs_per_step, 2);
}

TEST(MergeBudgetTest, DuckdbReportsTheBudgetSettingsOnAMergeConnection) {
  testing::TempDir dir;
  const std::string spill = (dir.path() / "spill").string();
  const MergeBudget b = MergeBudget::For(256 * kMiB, 2);
  auto db = duck::Database::Open(":memory:", b.DatabaseOptions(spill));
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  auto conn = duck::Connection::Open(*db);
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  auto settings = conn->Query(
      "SELECT current_setting('threads'), current_setting('preserve_insertion_order'), "
      "current_setting('enable_external_file_cache'), current_setting('temp_directory'), "
      "current_setting('memory_limit')");
  ASSERT_TRUE(settings.ok()) << settings.status().ToString();
  EXPECT_EQ(settings->GetInt64(0, 0), b.threads);
  EXPECT_FALSE(settings->GetBool(1, 0));
  EXPECT_FALSE(settings->GetBool(2, 0));
  EXPECT_EQ(settings->GetString(3, 0), spill);
  EXPECT_EQ(settings->GetString(4, 0),
            std::to_string(b.duckdb_memory_limit_bytes / kMiB) + ".0 MiB");
}

}  // namespace
}  // namespace timestore::lifecycle
