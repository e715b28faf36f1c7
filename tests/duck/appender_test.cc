#include "duck/appender.h"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "duck/test_database.h"
#include "testing/test_env.h"

namespace timestore::duck {
namespace {

using common::StatusCode;
using ::testing::HasSubstr;

constexpr int64_t kMoonLandingMicros = -14182939876544;  // 1969-07-20 20:17:40.123456 UTC

int64_t Count(Connection& conn, const std::string& table) {
  return ValueOrDie(conn.Query("SELECT count(*) FROM " + table), "count").GetInt64(0, 0);
}

TEST(AppenderTest, AppendsRowsOfEachType) {
  TestDatabase t;
  ASSERT_TRUE(t.conn
                  .Execute("CREATE TABLE m(b BOOLEAN, i BIGINT, small INTEGER, d DOUBLE, "
                           "s VARCHAR, bl BLOB, ts TIMESTAMP, tz TIMESTAMPTZ)")
                  .ok());
  Appender a = ValueOrDie(Appender::Create(t.conn, "", "m"), "appender");
  EXPECT_EQ(a.column_count(), 8u);
  const std::string long_text = "a VARCHAR longer than the 12 inlined bytes";
  ASSERT_TRUE(a.AppendBool(true).ok());
  ASSERT_TRUE(a.AppendInt64(-7).ok());
  ASSERT_TRUE(a.AppendInt64(7).ok());  // cast to INTEGER
  ASSERT_TRUE(a.AppendDouble(0.1).ok());
  ASSERT_TRUE(a.AppendString(long_text).ok());
  ASSERT_TRUE(a.AppendBlob(std::string("\0\xFF", 2)).ok());
  ASSERT_TRUE(a.AppendTimestampMicros(kMoonLandingMicros).ok());
  ASSERT_TRUE(a.AppendTimestampMicros(kMoonLandingMicros).ok());
  ASSERT_TRUE(a.EndRow().ok());
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(a.AppendNull().ok());
  ASSERT_TRUE(a.EndRow().ok());
  ASSERT_TRUE(a.Close().ok());

  QueryResult r = ValueOrDie(t.conn.Query("SELECT * FROM m ORDER BY i NULLS LAST"), "select");
  ASSERT_EQ(r.row_count(), 2u);
  EXPECT_TRUE(r.GetBool(0, 0));
  EXPECT_EQ(r.GetInt64(1, 0), -7);
  EXPECT_EQ(r.column_type(2), Type::kInteger);
  EXPECT_EQ(r.GetInt64(2, 0), 7);
  EXPECT_EQ(r.GetDouble(3, 0), 0.1);
  EXPECT_EQ(r.GetString(4, 0), long_text);
  EXPECT_EQ(r.GetString(5, 0), std::string("\0\xFF", 2));
  EXPECT_EQ(r.GetTimestampMicros(6, 0), kMoonLandingMicros);
  EXPECT_EQ(r.GetTimestampMicros(7, 0), kMoonLandingMicros);
  for (size_t col = 0; col < 8; ++col) EXPECT_TRUE(r.IsNull(col, 1)) << col;
}

// 10,000 rows in 2048-row chunks (the last one partial), with NULLs and non-inlined strings.
TEST(AppenderTest, AppendsTenThousandRowsInChunksAndReadsThemBack) {
  testing::TempDir dir;
  TestDatabase t((dir.path() / "chunks.duckdb").string());
  ASSERT_TRUE(t.conn
                  .Execute("CREATE TABLE points(ts TIMESTAMP, host VARCHAR, v DOUBLE, n BIGINT, "
                           "ok BOOLEAN, tz TIMESTAMPTZ)")
                  .ok());
  constexpr int64_t kRows = 10000;
  constexpr int64_t kBase = 1'700'000'000'000'000;  // 2023-11-14T22:13:20Z
  auto host = [](int64_t i) { return "host-" + std::to_string(i % 97) + ".example.internal"; };

  Appender a = ValueOrDie(Appender::Create(t.conn, "main", "points"), "appender");
  DataChunk chunk =
      ValueOrDie(DataChunk::Create({Type::kTimestamp, Type::kVarchar, Type::kDouble, Type::kBigint,
                                    Type::kBoolean, Type::kTimestampTz}),
                 "chunk");
  int chunks = 0;
  for (int64_t i = 0; i < kRows;) {
    size_t row = 0;
    for (; row < chunk.capacity() && i < kRows; ++row, ++i) {
      chunk.SetTimestampMicros(0, row, kBase + i * 1'000'001);
      if (i % 5 == 0) {
        chunk.SetNull(1, row);
      } else {
        chunk.SetString(1, row, host(i));
      }
      if (i % 3 == 0) {
        chunk.SetNull(2, row);
      } else {
        chunk.SetDouble(2, row, static_cast<double>(i) / 4);
      }
      chunk.SetInt64(3, row, i);
      chunk.SetBool(4, row, i % 2 == 0);
      chunk.SetTimestampMicros(5, row, -i);
    }
    chunk.SetSize(row);
    ASSERT_TRUE(a.AppendChunk(chunk).ok());
    chunk.Reset();
    ++chunks;
  }
  EXPECT_EQ(chunks, 5);
  ASSERT_TRUE(a.Close().ok());

  QueryResult r = ValueOrDie(t.conn.Query("SELECT * FROM points ORDER BY n"), "select");
  ASSERT_EQ(r.row_count(), static_cast<uint64_t>(kRows));
  for (int64_t i = 0; i < kRows; ++i) {
    const auto row = static_cast<uint64_t>(i);
    ASSERT_EQ(r.GetTimestampMicros(0, row), kBase + i * 1'000'001) << i;
    ASSERT_EQ(r.IsNull(1, row), i % 5 == 0) << i;
    if (i % 5 != 0) {
      ASSERT_EQ(r.GetString(1, row), host(i)) << i;
    }
    ASSERT_EQ(r.IsNull(2, row), i % 3 == 0) << i;
    if (i % 3 != 0) {
      ASSERT_EQ(r.GetDouble(2, row), static_cast<double>(i) / 4) << i;
    }
    ASSERT_EQ(r.GetInt64(3, row), i);
    ASSERT_EQ(r.GetBool(4, row), i % 2 == 0) << i;
    ASSERT_EQ(r.GetTimestampMicros(5, row), -i) << i;
  }
}

TEST(AppenderTest, CloseReturnsPrimaryKeyViolation) {
  TestDatabase t;
  ASSERT_TRUE(t.conn.Execute("CREATE TABLE t(id BIGINT PRIMARY KEY, s VARCHAR)").ok());
  Appender a = ValueOrDie(Appender::Create(t.conn, "", "t"), "appender");
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(a.AppendInt64(5).ok());
    ASSERT_TRUE(a.AppendString("dup").ok());
    ASSERT_TRUE(a.EndRow().ok()) << "duplicates are found only when rows are flushed";
  }
  common::Status status = a.Close();
  EXPECT_EQ(status.code(), StatusCode::kConflict);
  EXPECT_THAT(status.message(), HasSubstr("PRIMARY KEY or UNIQUE constraint violation"));
  EXPECT_EQ(a.Close().code(), StatusCode::kConflict) << "a second Close repeats the first";
  EXPECT_EQ(Count(t.conn, "t"), 0);
}

TEST(AppenderTest, FlushReturnsPrimaryKeyViolationAndDropsTheBufferedRows) {
  TestDatabase t;
  ASSERT_TRUE(t.conn.Execute("CREATE TABLE t(id BIGINT PRIMARY KEY)").ok());
  ASSERT_TRUE(t.conn.Execute("INSERT INTO t VALUES (1)").ok());
  Appender a = ValueOrDie(Appender::Create(t.conn, "", "t"), "appender");
  ASSERT_TRUE(a.AppendInt64(2).ok());
  ASSERT_TRUE(a.EndRow().ok());
  ASSERT_TRUE(a.AppendInt64(1).ok());
  ASSERT_TRUE(a.EndRow().ok());
  EXPECT_EQ(a.Flush().code(), StatusCode::kConflict);
  EXPECT_FALSE(a.Close().ok()) << "the appender is unusable after a failed flush";
  EXPECT_EQ(Count(t.conn, "t"), 1);
}

TEST(AppenderTest, CreateOnMissingTableIsInvalidArgument) {
  TestDatabase t;
  auto a = Appender::Create(t.conn, "", "nope");
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(a.status().message(), HasSubstr("nope"));
  EXPECT_EQ(Appender::Create(t.conn, "no_schema", "t").status().code(),
            StatusCode::kInvalidArgument);
}

TEST(AppenderTest, EndRowWithMissingColumnsIsInvalidArgument) {
  TestDatabase t;
  ASSERT_TRUE(t.conn.Execute("CREATE TABLE t(a BIGINT, b BIGINT)").ok());
  Appender a = ValueOrDie(Appender::Create(t.conn, "", "t"), "appender");
  ASSERT_TRUE(a.AppendInt64(1).ok());
  common::Status status = a.EndRow();
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("before all columns have been appended"));
}

TEST(AppenderTest, ValueThatCannotBeCastIsInvalidArgument) {
  TestDatabase t;
  ASSERT_TRUE(t.conn.Execute("CREATE TABLE t(a BIGINT)").ok());
  Appender a = ValueOrDie(Appender::Create(t.conn, "", "t"), "appender");
  common::Status status = a.AppendString("not a number");
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("not a number"));
}

// DuckDB checks UTF-8 when the rows are written, not when they are appended.
TEST(AppenderTest, StringThatIsNotUtf8IsRejectedAtClose) {
  TestDatabase t;
  ASSERT_TRUE(t.conn.Execute("CREATE TABLE t(s VARCHAR)").ok());
  Appender a = ValueOrDie(Appender::Create(t.conn, "", "t"), "appender");
  ASSERT_TRUE(a.AppendString("\xFF\xFE").ok());
  ASSERT_TRUE(a.EndRow().ok());
  common::Status status = a.Close();
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("Invalid unicode"));
  EXPECT_EQ(Count(t.conn, "t"), 0);
}

TEST(AppenderTest, AppendAfterCloseIsFailedPrecondition) {
  TestDatabase t;
  ASSERT_TRUE(t.conn.Execute("CREATE TABLE t(a BIGINT)").ok());
  Appender a = ValueOrDie(Appender::Create(t.conn, "", "t"), "appender");
  ASSERT_TRUE(a.Close().ok());
  EXPECT_TRUE(a.Close().ok());
  EXPECT_EQ(a.AppendInt64(1).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(a.EndRow().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(a.Flush().code(), StatusCode::kFailedPrecondition);
}

// Documents the destructor: an appender that was never closed still writes its rows (and would lose
// a flush error). Code should Close() instead.
TEST(AppenderTest, DestroyWithoutCloseStillFlushesTheRows) {
  TestDatabase t;
  ASSERT_TRUE(t.conn.Execute("CREATE TABLE t(a BIGINT)").ok());
  {
    Appender a = ValueOrDie(Appender::Create(t.conn, "", "t"), "appender");
    ASSERT_TRUE(a.AppendInt64(1).ok());
    ASSERT_TRUE(a.EndRow().ok());
  }
  EXPECT_EQ(Count(t.conn, "t"), 1);
}

TEST(AppenderTest, RollbackDiscardsRowsAppendedInATransaction) {
  TestDatabase t;
  ASSERT_TRUE(t.conn.Execute("CREATE TABLE t(a BIGINT)").ok());
  ASSERT_TRUE(t.conn.Execute("BEGIN").ok());
  {
    Appender a = ValueOrDie(Appender::Create(t.conn, "", "t"), "appender");
    ASSERT_TRUE(a.AppendInt64(1).ok());
    ASSERT_TRUE(a.EndRow().ok());
    ASSERT_TRUE(a.Close().ok());
  }
  EXPECT_EQ(Count(t.conn, "t"), 1) << "visible inside the transaction";
  ASSERT_TRUE(t.conn.Execute("ROLLBACK").ok());
  EXPECT_EQ(Count(t.conn, "t"), 0);
}

TEST(AppenderTest, AppendsIntoATableOfAnAttachedDatabase) {
  testing::TempDir dir;
  const std::string path = (dir.path() / "part.duckdb").string();
  TestDatabase t;
  ASSERT_TRUE(t.conn.Execute("ATTACH '" + path + "' AS part").ok());
  ASSERT_TRUE(t.conn.Execute("CREATE TABLE part.main.t(a BIGINT)").ok());
  Appender a = ValueOrDie(Appender::Create(t.conn, "part", "", "t"), "appender");
  ASSERT_TRUE(a.AppendInt64(3).ok());
  ASSERT_TRUE(a.EndRow().ok());
  ASSERT_TRUE(a.Close().ok());
  EXPECT_EQ(Count(t.conn, "part.t"), 1);
  ASSERT_TRUE(t.conn.Execute("DETACH part").ok());

  TestDatabase reopened(path);
  EXPECT_EQ(Count(reopened.conn, "t"), 1);
}

// Appended timestamps are stored as given, whatever the session time zone.
TEST(AppenderTest, TimestampsGoIntoTimestampTzColumnsUnshifted) {
  DatabaseOptions options;
  options.time_zone = "America/New_York";
  TestDatabase t(":memory:", options);
  ASSERT_TRUE(t.conn.Execute("CREATE TABLE t(tz TIMESTAMPTZ)").ok());
  Appender a = ValueOrDie(Appender::Create(t.conn, "", "t"), "appender");
  ASSERT_TRUE(a.AppendTimestampMicros(0).ok());
  ASSERT_TRUE(a.EndRow().ok());
  DataChunk chunk = ValueOrDie(DataChunk::Create({Type::kTimestamp}), "chunk");
  chunk.SetTimestampMicros(0, 0, 1);
  chunk.SetSize(1);
  ASSERT_TRUE(a.AppendChunk(chunk).ok());
  ASSERT_TRUE(a.Close().ok());
  QueryResult r = ValueOrDie(t.conn.Query("SELECT epoch_us(tz) FROM t ORDER BY 1"), "select");
  ASSERT_EQ(r.row_count(), 2u);
  EXPECT_EQ(r.GetInt64(0, 0), 0);
  EXPECT_EQ(r.GetInt64(0, 1), 1);
}

TEST(AppenderTest, ChunkWithTheWrongColumnCountIsRefused) {
  TestDatabase t;
  ASSERT_TRUE(t.conn.Execute("CREATE TABLE t(a BIGINT, b BIGINT)").ok());
  Appender a = ValueOrDie(Appender::Create(t.conn, "", "t"), "appender");
  DataChunk chunk = ValueOrDie(DataChunk::Create({Type::kBigint}), "chunk");
  chunk.SetInt64(0, 0, 1);
  chunk.SetSize(1);
  common::Status status = a.AppendChunk(chunk);
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << status.ToString();
}

TEST(AppenderTest, MovedFromAppenderIsSafeToDestroy) {
  TestDatabase t;
  ASSERT_TRUE(t.conn.Execute("CREATE TABLE t(a BIGINT)").ok());
  Appender a = ValueOrDie(Appender::Create(t.conn, "", "t"), "a");
  Appender b = std::move(a);
  Appender c = ValueOrDie(Appender::Create(t.conn, "", "t"), "c");
  ASSERT_TRUE(c.Close().ok());
  c = std::move(b);
  ASSERT_TRUE(c.AppendInt64(9).ok());
  ASSERT_TRUE(c.EndRow().ok());
  ASSERT_TRUE(c.Close().ok());
  EXPECT_EQ(Count(t.conn, "t"), 1);
}

}  // namespace
}  // namespace timestore::duck
