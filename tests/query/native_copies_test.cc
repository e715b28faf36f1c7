#include "query/native_copies.h"

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "duck/connection.h"
#include "duck/database.h"
#include "duck/sql_quoting.h"
#include "partition/file_format.h"
#include "storage/partition_cache.h"
#include "testing/test_env.h"
#include "testing/value_or_die.h"

namespace timestore::query {
namespace {

using catalog::ColumnDef;
using catalog::ColumnType;
using testing::ValueOrDie;

const std::vector<ColumnDef> kColumns = {{"ts", ColumnType::kTimestamp},
                                         {"host", ColumnType::kString},
                                         {"v", ColumnType::kDouble},
                                         {"n", ColumnType::kInteger},
                                         {"ok", ColumnType::kBoolean}};

class NativeCopiesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::PartitionCacheOptions options;
    options.directory = (dir_.path() / "cache").string();
    cache_ = ValueOrDie(storage::PartitionCache::Open(options), "cache");
    db_ = std::make_unique<duck::Database>(ValueOrDie(duck::Database::Open(":memory:"), "db"));
    conn_ = std::make_unique<duck::Connection>(ValueOrDie(duck::Connection::Open(*db_), "conn"));
  }

  // A Parquet file of `rows` rows in a deliberately non-time order, with NULLs in every column
  // but the time; its catalog entry says `catalog_rows` rows.
  catalog::Partition WriteParquet(const std::string& id, int rows, int64_t catalog_rows) {
    const std::string path = (dir_.path() / (id + ".parquet")).string();
    const std::string sql =
        "COPY (SELECT TIMESTAMP '2024-01-01' + to_seconds((i * 7919) % " + std::to_string(rows) +
        ") AS ts, CASE WHEN i % 11 = 0 THEN NULL ELSE 'host_' || (i % 13) END AS host, "
        "CASE WHEN i % 17 = 0 THEN NULL ELSE (i * 0.25)::DOUBLE END AS v, "
        "CASE WHEN i % 19 = 0 THEN NULL ELSE i END AS n, "
        "CASE WHEN i % 23 = 0 THEN NULL ELSE i % 2 = 0 END AS ok FROM range(" +
        std::to_string(rows) + ") t(i)) TO " + duck::QuoteLiteral(path) + " (FORMAT parquet)";
    EXPECT_TRUE(conn_->Execute(sql).ok());
    catalog::Partition p;
    p.id = catalog::PartitionId(id);
    p.format = catalog::WriteFormat::kParquet;
    p.row_count = catalog_rows;
    p.storage_target_id = catalog::StorageTargetId("st-local");
    p.object_key = common::ObjectKey("cpu/" + id + ".parquet");
    paths_[id] = path;
    return p;
  }

  // Every row of `from` in its stored order, printed, as one string per row.
  std::vector<std::string> Rows(const std::string& from) {
    auto result = ValueOrDie(
        conn_->Query("SELECT concat_ws('|', ts, coalesce(host, '-'), coalesce(v::VARCHAR, '-'), "
                     "coalesce(n::VARCHAR, '-'), coalesce(ok::VARCHAR, '-')) FROM " +
                     from),
        "rows");
    std::vector<std::string> out;
    for (uint64_t r = 0; r < result.row_count(); ++r) out.emplace_back(result.GetString(0, r));
    return out;
  }

  testing::TempDir dir_;
  std::unique_ptr<storage::PartitionCache> cache_;
  std::unique_ptr<duck::Database> db_;
  std::unique_ptr<duck::Connection> conn_;
  std::map<std::string, std::string> paths_;
};

TEST_F(NativeCopiesTest, DecodesOnceInTheBackgroundWithTheSameRowsInTheSameOrder) {
  NativeCopies native(*cache_, NativeCopiesOptions{true, 1000, "128MB", 16});
  const catalog::Partition p = WriteParquet("part-a", 5000, 5000);
  EXPECT_FALSE(native.Find(p, kColumns, paths_["part-a"]).has_value());  // queued, not ready
  native.WaitIdle();
  ASSERT_EQ(native.decoded(), 1);
  std::optional<storage::CachedFile> copy = native.Find(p, kColumns, paths_["part-a"]);
  ASSERT_TRUE(copy.has_value());
  EXPECT_EQ(std::filesystem::path(copy->path()).extension(), ".duckdb");
  EXPECT_FALSE(std::filesystem::exists(copy->path() + ".wal"));

  ASSERT_TRUE(
      conn_->Execute("ATTACH " + duck::QuoteLiteral(copy->path()) + " AS copy (READ_ONLY)").ok());
  const std::vector<std::string> decoded =
      Rows("copy.main." + duck::QuoteIdent(partition::kTableName));
  EXPECT_EQ(decoded, Rows("read_parquet(" + duck::QuoteLiteral(paths_["part-a"]) + ")"));
  EXPECT_EQ(decoded.size(), 5000U);
  // The table's types are the schema's (file_format.h), not whatever Parquet inferred.
  auto types =
      ValueOrDie(conn_->Query("SELECT string_agg(data_type, ',' ORDER BY column_index) FROM "
                              "duckdb_columns() WHERE database_name = 'copy'"),
                 "types");
  EXPECT_EQ(types.GetString(0, 0), "TIMESTAMP,VARCHAR,DOUBLE,BIGINT,BOOLEAN");
  ASSERT_TRUE(conn_->Execute("DETACH copy").ok());

  // Asked again: served from the cache, never decoded twice.
  EXPECT_TRUE(native.Find(p, kColumns, paths_["part-a"]).has_value());
  native.WaitIdle();
  EXPECT_EQ(native.decoded(), 1);
}

TEST_F(NativeCopiesTest, ASeriesCopyHoldsTheSameRowsSortedBySeriesThenTimeInSmallRowGroups) {
  NativeCopies native(*cache_, NativeCopiesOptions{true, 1000, "128MB", 16});
  const catalog::Partition p = WriteParquet("part-s", 40'000, 40'000);
  const NativeCopies::Series by_host{"host", "ts"};
  // First ask: nothing ready; the time-ordered copy and then the series copy get decoded.
  EXPECT_FALSE(native.Find(p, kColumns, paths_["part-s"], by_host).has_value());
  native.WaitIdle();
  EXPECT_EQ(native.decoded(), 2);
  std::optional<storage::CachedFile> series = native.Find(p, kColumns, paths_["part-s"], by_host);
  std::optional<storage::CachedFile> time = native.Find(p, kColumns, paths_["part-s"]);
  ASSERT_TRUE(series.has_value() && time.has_value());
  EXPECT_NE(series->path(), time->path());
  ASSERT_TRUE(
      conn_->Execute("ATTACH " + duck::QuoteLiteral(series->path()) + " AS s (READ_ONLY)").ok());
  const std::string table = "s.main." + duck::QuoteIdent(partition::kTableName);
  const std::string parquet = "read_parquet(" + duck::QuoteLiteral(paths_["part-s"]) + ")";
  // The same rows (as a multiset), in (host, ts) order (NULL hosts last, as ORDER BY puts them).
  std::vector<std::string> sorted = Rows(parquet + " ORDER BY host NULLS LAST, ts, v, n, ok");
  std::vector<std::string> stored = Rows(table);
  EXPECT_EQ(stored.size(), sorted.size());
  std::vector<std::string> a = stored, b = sorted;
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  EXPECT_EQ(a, b);
  auto ordered = ValueOrDie(
      conn_->Query("SELECT count(*) FROM (SELECT host, ts, lag(host) OVER (ORDER BY rowid) AS ph, lag(ts) OVER (ORDER BY rowid) "
                   "AS pt FROM " +
                   table + ") WHERE ph > host OR (ph = host AND pt > ts) OR (ph IS NULL AND host "
                   "IS NOT NULL AND pt IS NOT NULL)"),
      "order");
  EXPECT_EQ(ordered.GetInt64(0, 0), 0) << "rows out of (host, ts) order: "
                                       << ::testing::PrintToString(Rows(table + " LIMIT 8"));
  auto groups = ValueOrDie(conn_->Query("SELECT count(DISTINCT row_group_id), max(count) FROM "
                                        "pragma_storage_info('s.records') WHERE column_name = 'ts'"),
                           "row groups");
  EXPECT_EQ(groups.GetInt64(0, 0), (40'000 + kSeriesRowGroupRows - 1) / kSeriesRowGroupRows);
  ASSERT_TRUE(conn_->Execute("DETACH s").ok());

  // A column the partition does not have asks for no series copy.
  EXPECT_TRUE(native.Find(p, kColumns, paths_["part-s"], NativeCopies::Series{"nope", "ts"}));
  native.WaitIdle();
  EXPECT_EQ(native.decoded(), 2);
}

TEST_F(NativeCopiesTest, SmallPartitionsAndDuckdbPartitionsAreReadAsTheyAre) {
  NativeCopies native(*cache_, NativeCopiesOptions{true, 1000, "128MB", 16});
  catalog::Partition small = WriteParquet("part-small", 999, 999);
  EXPECT_FALSE(native.Find(small, kColumns, paths_["part-small"]).has_value());
  catalog::Partition duck_file = WriteParquet("part-duck", 2000, 2000);
  duck_file.format = catalog::WriteFormat::kDuckdb;
  EXPECT_FALSE(native.Find(duck_file, kColumns, paths_["part-duck"]).has_value());
  native.WaitIdle();
  EXPECT_EQ(native.decoded(), 0);
  EXPECT_EQ(native.failed(), 0);
  EXPECT_EQ(cache_->file_count(), 0U);
}

TEST_F(NativeCopiesTest, ARowCountThatDisagreesWithTheCatalogLeavesNoCopy) {
  NativeCopies native(*cache_, NativeCopiesOptions{true, 1000, "128MB", 16});
  const catalog::Partition p = WriteParquet("part-bad", 3000, 3001);
  EXPECT_FALSE(native.Find(p, kColumns, paths_["part-bad"]).has_value());
  native.WaitIdle();
  EXPECT_EQ(native.failed(), 1);
  EXPECT_EQ(native.decoded(), 0);
  EXPECT_FALSE(native.Find(p, kColumns, paths_["part-bad"]).has_value());  // not tried again
  native.WaitIdle();
  EXPECT_EQ(native.failed(), 1);
  EXPECT_EQ(cache_->file_count(), 0U);
  // No temporary file stays behind in the cache directory.
  for (const auto& entry : std::filesystem::directory_iterator(cache_->directory())) {
    EXPECT_FALSE(entry.path().filename().string().starts_with(".tmp-")) << entry.path();
  }
}

TEST_F(NativeCopiesTest, DisabledNeverDecodes) {
  NativeCopies native(*cache_, NativeCopiesOptions{false, 1, "128MB", 16});
  const catalog::Partition p = WriteParquet("part-off", 3000, 3000);
  EXPECT_FALSE(native.Find(p, kColumns, paths_["part-off"]).has_value());
  native.WaitIdle();
  EXPECT_EQ(native.decoded(), 0);
}

TEST_F(NativeCopiesTest, CopiesSurviveARestartOfTheCache) {
  const catalog::Partition p = WriteParquet("part-keep", 2000, 2000);
  {
    NativeCopies native(*cache_, NativeCopiesOptions{true, 1000, "128MB", 16});
    native.Find(p, kColumns, paths_["part-keep"]);
    native.WaitIdle();
    ASSERT_EQ(native.decoded(), 1);
  }
  storage::PartitionCacheOptions options;
  options.directory = cache_->directory();
  cache_.reset();
  cache_ = ValueOrDie(storage::PartitionCache::Open(options), "cache reopened");
  NativeCopies native(*cache_, NativeCopiesOptions{true, 1000, "128MB", 16});
  EXPECT_TRUE(native.Find(p, kColumns, paths_["part-keep"]).has_value());
  EXPECT_EQ(native.decoded(), 0);
}

}  // namespace
}  // namespace timestore::query
