#include "duck/query_result.h"

#include <optional>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "duck/test_database.h"

namespace timestore::duck {
namespace {

using ::testing::ElementsAre;

// 1969-07-20 20:17:40.123456 UTC, before the epoch and with microseconds.
constexpr int64_t kMoonLandingMicros = -14182939876544;

TEST(QueryResultTest, ReportsColumnNamesAndTypes) {
  TestDatabase t;
  QueryResult r = ValueOrDie(t.conn.Query(R"(
      SELECT true AS b, 1::TINYINT AS i8, 1::SMALLINT AS i16, 1 AS i32, 1::BIGINT AS i64,
             1::UTINYINT AS u8, 1::USMALLINT AS u16, 1::UINTEGER AS u32, 1::UBIGINT AS u64,
             sum(1::BIGINT) AS s, 1::FLOAT AS f, 1::DOUBLE AS d, 1.5 AS dec, 'x' AS v,
             'x'::BLOB AS bl, DATE '2024-01-01' AS dt, TIMESTAMP '2024-01-01' AS ts,
             TIMESTAMPTZ '2024-01-01 00:00:00+00' AS tstz, INTERVAL 1 DAY AS other)"),
                             "query");
  std::vector<std::string> names;
  std::vector<Type> types;
  for (size_t i = 0; i < r.column_count(); ++i) {
    names.push_back(r.column_name(i));
    types.push_back(r.column_type(i));
  }
  EXPECT_THAT(names, ElementsAre("b", "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "s",
                                 "f", "d", "dec", "v", "bl", "dt", "ts", "tstz", "other"));
  EXPECT_THAT(types, ElementsAre(Type::kBoolean, Type::kTinyint, Type::kSmallint, Type::kInteger,
                                 Type::kBigint, Type::kUtinyint, Type::kUsmallint, Type::kUinteger,
                                 Type::kUbigint, Type::kHugeint, Type::kFloat, Type::kDouble,
                                 Type::kDecimal, Type::kVarchar, Type::kBlob, Type::kDate,
                                 Type::kTimestamp, Type::kTimestampTz, Type::kOther));
  EXPECT_EQ(TypeName(Type::kTimestampTz), "TIMESTAMP WITH TIME ZONE");
}

TEST(QueryResultTest, ReadsEachTypeByCell) {
  TestDatabase t;
  QueryResult r = ValueOrDie(t.conn.Query(R"(
      SELECT false, -8::TINYINT, -16::SMALLINT, -32, -9223372036854775808, 255::UTINYINT,
             4294967295::UINTEGER, 18446744073709551615::UBIGINT,
             sum(x) AS hugeint_sum, 0.5::FLOAT, 2.25::DOUBLE, 12345.678::DECIMAL(18,3),
             123456789012345678901234.5::DECIMAL(38,1), 'short', 'a string longer than twelve bytes',
             '\x00\xFFab'::BLOB, DATE '1969-12-31', TIMESTAMP '1969-07-20 20:17:40.123456',
             TIMESTAMPTZ '1969-07-20 22:17:40.123456+02'
      FROM (VALUES (9223372036854775807), (10)) v(x))"),
                             "query");
  ASSERT_EQ(r.row_count(), 1u);
  EXPECT_FALSE(r.GetBool(0, 0));
  EXPECT_EQ(r.GetInt64(1, 0), -8);
  EXPECT_EQ(r.GetInt64(2, 0), -16);
  EXPECT_EQ(r.GetInt64(3, 0), -32);
  EXPECT_EQ(r.GetInt64(4, 0), INT64_MIN);
  EXPECT_EQ(r.GetInt64(5, 0), 255);
  EXPECT_EQ(r.GetInt64(6, 0), 4294967295);
  EXPECT_DOUBLE_EQ(r.GetDouble(7, 0), 18446744073709551615.0);
  EXPECT_DOUBLE_EQ(r.GetDouble(8, 0), 9223372036854775817.0);
  EXPECT_FLOAT_EQ(static_cast<float>(r.GetDouble(9, 0)), 0.5f);
  EXPECT_DOUBLE_EQ(r.GetDouble(10, 0), 2.25);
  EXPECT_DOUBLE_EQ(r.GetDouble(11, 0), 12345.678);
  EXPECT_DOUBLE_EQ(r.GetDouble(12, 0), 123456789012345678901234.5);
  EXPECT_EQ(r.GetString(13, 0), "short");
  EXPECT_EQ(r.GetString(14, 0), "a string longer than twelve bytes");
  EXPECT_EQ(r.GetString(15, 0), std::string("\0\xFF"
                                            "ab",
                                            4));
  EXPECT_EQ(r.GetDateDays(16, 0), -1);
  EXPECT_EQ(r.GetTimestampMicros(17, 0), kMoonLandingMicros);
  EXPECT_EQ(r.GetTimestampMicros(18, 0), kMoonLandingMicros);
  for (size_t col = 0; col < r.column_count(); ++col) EXPECT_FALSE(r.IsNull(col, 0)) << col;
}

TEST(QueryResultTest, NullCellsAreReportedPerRow) {
  TestDatabase t;
  QueryResult r =
      ValueOrDie(t.conn.Query("SELECT CASE WHEN i % 2 = 0 THEN i END AS a, NULL::VARCHAR AS b "
                              "FROM range(4) t(i) ORDER BY i"),
                 "query");
  ASSERT_EQ(r.row_count(), 4u);
  EXPECT_FALSE(r.IsNull(0, 0));
  EXPECT_TRUE(r.IsNull(0, 1));
  EXPECT_FALSE(r.IsNull(0, 2));
  EXPECT_EQ(r.GetInt64(0, 2), 2);
  for (uint64_t row = 0; row < 4; ++row) EXPECT_TRUE(r.IsNull(1, row));
}

constexpr const char* kFiveThousandRows =
    "SELECT i, CASE WHEN i % 7 = 0 THEN NULL ELSE 'row number ' || i END AS s "
    "FROM range(5000) t(i) ORDER BY i";

// Checks that `chunks` hold the rows of kFiveThousandRows in order; returns how many rows they
// hold.
uint64_t CheckFiveThousandRows(QueryResult& r) {
  uint64_t next = 0;
  for (;;) {
    auto chunk = r.FetchChunk();
    EXPECT_TRUE(chunk.ok());
    if (!chunk.ok() || !chunk->has_value()) break;
    const ResultChunk& c = **chunk;
    EXPECT_EQ(c.column_count(), 2u);
    EXPECT_EQ(c.column_type(1), Type::kVarchar);
    EXPECT_LE(c.row_count(), 2048u);
    for (size_t row = 0; row < c.row_count(); ++row, ++next) {
      EXPECT_EQ(c.GetInt64(0, row), static_cast<int64_t>(next));
      EXPECT_EQ(c.IsNull(1, row), next % 7 == 0) << next;
      if (next % 7 != 0 && !c.IsNull(1, row)) {
        EXPECT_EQ(c.GetString(1, row), "row number " + std::to_string(next));
      }
    }
  }
  return next;
}

// 5000 rows span at least three 2048-row chunks; values carry NULLs and non-inlined strings.
TEST(QueryResultTest, LargeResultReadsChunkByChunk) {
  TestDatabase t;
  QueryResult r = ValueOrDie(t.conn.Query(kFiveThousandRows), "query");
  ASSERT_FALSE(r.streaming());
  EXPECT_EQ(CheckFiveThousandRows(r), 5000u);
  auto after_end = r.FetchChunk();
  ASSERT_TRUE(after_end.ok());
  EXPECT_FALSE(after_end->has_value());
}

TEST(QueryResultTest, CellAccessSpansChunksAndFetchChunkStillWorksAfterIt) {
  TestDatabase t;
  QueryResult r = ValueOrDie(t.conn.Query(kFiveThousandRows), "query");
  ASSERT_EQ(r.row_count(), 5000u);
  ASSERT_GE(r.chunks().size(), 3u);
  for (uint64_t row : {0u, 2047u, 2048u, 4095u, 4096u, 4999u}) {
    EXPECT_EQ(r.GetInt64(0, row), static_cast<int64_t>(row));
  }
  EXPECT_TRUE(r.IsNull(1, 4998));
  EXPECT_EQ(r.GetString(1, 4999), "row number 4999");
  EXPECT_EQ(CheckFiveThousandRows(r), 5000u) << "FetchChunk hands out the loaded chunks";
  EXPECT_EQ(r.GetInt64(0, 3000), 3000) << "and cell access goes on working";
}

TEST(QueryResultTest, ChunksOutliveTheirResult) {
  TestDatabase t;
  std::optional<ResultChunk> kept;
  {
    QueryResult r = ValueOrDie(
        t.conn.Query("SELECT 'a string longer than twelve bytes #' || i FROM range(3) t(i)"),
        "query");
    kept = *ValueOrDie(r.FetchChunk(), "fetch");
  }
  ASSERT_EQ(kept->row_count(), 3u);
  EXPECT_EQ(kept->GetString(0, 2), "a string longer than twelve bytes #2");
}

TEST(QueryResultTest, EmptyResultHasColumnsButNoChunks) {
  TestDatabase t;
  QueryResult r = ValueOrDie(t.conn.Query("SELECT 1 AS a WHERE false"), "query");
  EXPECT_EQ(r.column_count(), 1u);
  EXPECT_EQ(r.row_count(), 0u);
  auto chunk = r.FetchChunk();
  ASSERT_TRUE(chunk.ok());
  EXPECT_FALSE(chunk->has_value());
}

TEST(QueryResultTest, RowsChangedCountsInsertedAndDeletedRows) {
  TestDatabase t;
  ASSERT_TRUE(t.conn.Execute("CREATE TABLE t(a BIGINT)").ok());
  EXPECT_EQ(
      ValueOrDie(t.conn.Query("INSERT INTO t SELECT * FROM range(10)"), "insert").rows_changed(),
      10u);
  EXPECT_EQ(ValueOrDie(t.conn.Query("DELETE FROM t WHERE a < 3"), "delete").rows_changed(), 3u);
  EXPECT_EQ(ValueOrDie(t.conn.Query("SELECT * FROM t"), "select").rows_changed(), 0u);
}

TEST(QueryResultTest, MovedFromResultIsSafeToDestroy) {
  TestDatabase t;
  QueryResult a = ValueOrDie(t.conn.Query("SELECT 1"), "a");
  QueryResult b = std::move(a);
  QueryResult c = ValueOrDie(t.conn.Query("SELECT 2"), "c");
  c = std::move(b);
  EXPECT_EQ(c.GetInt64(0, 0), 1);
}

}  // namespace
}  // namespace timestore::duck
