#include "duck/prepared_statement.h"

#include <cstdint>
#include <limits>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "duck/test_database.h"

namespace timestore::duck {
namespace {

using common::StatusCode;
using ::testing::HasSubstr;

constexpr int64_t kMoonLandingMicros = -14182939876544;  // 1969-07-20 20:17:40.123456 UTC

TEST(PreparedStatementTest, ReportsItsParameterCount) {
  TestDatabase t;
  EXPECT_EQ(ValueOrDie(t.conn.Prepare("SELECT ?, ?, ?"), "prepare").parameter_count(), 3u);
  EXPECT_EQ(ValueOrDie(t.conn.Prepare("SELECT $1 + $2"), "prepare").parameter_count(), 2u);
  EXPECT_EQ(ValueOrDie(t.conn.Prepare("SELECT 1"), "prepare").parameter_count(), 0u);
}

TEST(PreparedStatementTest, BindsOfEachTypeRoundTrip) {
  TestDatabase t;
  PreparedStatement s = ValueOrDie(
      t.conn.Prepare("SELECT ?::BOOLEAN, ?::BIGINT, ?::BIGINT, ?::DOUBLE, ?::VARCHAR, ?::BLOB, "
                     "?::TIMESTAMP, ?::TIMESTAMP, ?::TIMESTAMPTZ, ?::BIGINT"),
      "prepare");
  const std::string text = "naïve – a string longer than twelve bytes";
  const std::string bytes("\0\x01\xFFz", 4);
  ASSERT_TRUE(s.BindBool(1, true).ok());
  ASSERT_TRUE(s.BindInt64(2, std::numeric_limits<int64_t>::min()).ok());
  ASSERT_TRUE(s.BindInt64(3, std::numeric_limits<int64_t>::max()).ok());
  ASSERT_TRUE(s.BindDouble(4, -0.125).ok());
  ASSERT_TRUE(s.BindString(5, text).ok());
  ASSERT_TRUE(s.BindBlob(6, bytes).ok());
  ASSERT_TRUE(s.BindTimestampMicros(7, kMoonLandingMicros).ok());
  ASSERT_TRUE(s.BindTimestampMicros(8, 1'700'000'000'000'001).ok());
  ASSERT_TRUE(s.BindTimestampTzMicros(9, kMoonLandingMicros).ok());
  ASSERT_TRUE(s.BindNull(10).ok());

  QueryResult r = ValueOrDie(s.Execute(), "execute");
  ASSERT_EQ(r.row_count(), 1u);
  EXPECT_TRUE(r.GetBool(0, 0));
  EXPECT_EQ(r.GetInt64(1, 0), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(r.GetInt64(2, 0), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(r.GetDouble(3, 0), -0.125);
  EXPECT_EQ(r.GetString(4, 0), text);
  EXPECT_EQ(r.GetString(5, 0), bytes);
  EXPECT_EQ(r.GetTimestampMicros(6, 0), kMoonLandingMicros);
  EXPECT_EQ(r.GetTimestampMicros(7, 0), 1'700'000'000'000'001);
  EXPECT_EQ(r.GetTimestampMicros(8, 0), kMoonLandingMicros);
  EXPECT_TRUE(r.IsNull(9, 0));
  for (size_t col = 0; col < 9; ++col) EXPECT_FALSE(r.IsNull(col, 0)) << col;
}

TEST(PreparedStatementTest, InsertedRowsOfEveryTypeReadBackIncludingNulls) {
  TestDatabase t;
  ASSERT_TRUE(t.conn
                  .Execute("CREATE TABLE m(b BOOLEAN, i BIGINT, d DOUBLE, s VARCHAR, "
                           "ts TIMESTAMP, tz TIMESTAMPTZ)")
                  .ok());
  PreparedStatement insert =
      ValueOrDie(t.conn.Prepare("INSERT INTO m VALUES (?, ?, ?, ?, ?, ?)"), "prepare");
  ASSERT_TRUE(insert.BindBool(1, false).ok());
  ASSERT_TRUE(insert.BindInt64(2, -42).ok());
  ASSERT_TRUE(insert.BindDouble(3, 1e300).ok());
  ASSERT_TRUE(insert.BindString(4, "").ok());
  ASSERT_TRUE(insert.BindTimestampMicros(5, -1).ok());  // 1969-12-31 23:59:59.999999
  ASSERT_TRUE(insert.BindTimestampTzMicros(6, 123456).ok());
  EXPECT_EQ(ValueOrDie(insert.Execute(), "insert 1").rows_changed(), 1u);
  for (size_t i = 1; i <= 6; ++i) ASSERT_TRUE(insert.BindNull(i).ok());
  EXPECT_EQ(ValueOrDie(insert.Execute(), "insert 2").rows_changed(), 1u);

  QueryResult r = ValueOrDie(t.conn.Query("SELECT * FROM m ORDER BY i NULLS LAST"), "select");
  ASSERT_EQ(r.row_count(), 2u);
  EXPECT_FALSE(r.GetBool(0, 0));
  EXPECT_EQ(r.GetInt64(1, 0), -42);
  EXPECT_EQ(r.GetDouble(2, 0), 1e300);
  EXPECT_EQ(r.GetString(3, 0), "");
  EXPECT_FALSE(r.IsNull(3, 0)) << "an empty string is not NULL";
  EXPECT_EQ(r.GetTimestampMicros(4, 0), -1);
  EXPECT_EQ(r.GetTimestampMicros(5, 0), 123456);
  for (size_t col = 0; col < 6; ++col) EXPECT_TRUE(r.IsNull(col, 1)) << col;
  QueryResult text = ValueOrDie(t.conn.Query("SELECT ts::VARCHAR FROM m WHERE i = -42"), "text");
  EXPECT_EQ(text.GetString(0, 0), "1969-12-31 23:59:59.999999");
}

TEST(PreparedStatementTest, BindOutOfRangeIndexIsInvalidArgumentAndKeepsOtherBindings) {
  TestDatabase t;
  PreparedStatement s = ValueOrDie(t.conn.Prepare("SELECT ?::BIGINT + 1"), "prepare");
  ASSERT_TRUE(s.BindInt64(1, 41).ok());
  for (size_t index : {size_t{0}, size_t{2}}) {
    common::Status status = s.BindInt64(index, 1);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << index;
    EXPECT_THAT(status.message(), HasSubstr("has 1 parameter(s)"));
  }
  EXPECT_EQ(s.BindNull(7).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.BindString(7, "x").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ValueOrDie(s.Execute(), "execute").GetInt64(0, 0), 42);
}

TEST(PreparedStatementTest, StringThatIsNotUtf8IsRefused) {
  TestDatabase t;
  PreparedStatement s = ValueOrDie(t.conn.Prepare("SELECT ?::VARCHAR"), "prepare");
  common::Status status = s.BindString(1, "\xFF\xFE");
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("UTF-8"));
  EXPECT_TRUE(s.BindBlob(1, "\xFF\xFE").ok()) << "bytes are fine as a BLOB";
}

TEST(PreparedStatementTest, UnboundParameterFailsExecute) {
  TestDatabase t;
  PreparedStatement s = ValueOrDie(t.conn.Prepare("SELECT ?, ?"), "prepare");
  ASSERT_TRUE(s.BindInt64(1, 1).ok());
  auto r = s.Execute();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
}

TEST(PreparedStatementTest, ClearBindingsRemovesEveryValue) {
  TestDatabase t;
  PreparedStatement s = ValueOrDie(t.conn.Prepare("SELECT ?::BIGINT"), "prepare");
  ASSERT_TRUE(s.BindInt64(1, 5).ok());
  ASSERT_TRUE(s.Execute().ok());
  ASSERT_TRUE(s.ClearBindings().ok());
  EXPECT_EQ(s.Execute().status().code(), StatusCode::kInvalidArgument);
}

TEST(PreparedStatementTest, RunsRepeatedlyWithNewBindings) {
  TestDatabase t;
  PreparedStatement s = ValueOrDie(t.conn.Prepare("SELECT ?::BIGINT * 2"), "prepare");
  for (int64_t i = 0; i < 5; ++i) {
    ASSERT_TRUE(s.BindInt64(1, i).ok());
    EXPECT_EQ(ValueOrDie(s.Execute(), "execute").GetInt64(0, 0), i * 2);
  }
}

TEST(PreparedStatementTest, PrepareErrorsCarryDuckDbMessage) {
  TestDatabase t;
  auto syntax = t.conn.Prepare("SELEC ?");
  ASSERT_FALSE(syntax.ok());
  EXPECT_EQ(syntax.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(syntax.status().message(), HasSubstr("Parser Error"));
  auto missing = t.conn.Prepare("SELECT * FROM nope WHERE a = ?");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(missing.status().message(), HasSubstr("Table with name nope does not exist"));
  EXPECT_EQ(t.conn.Prepare("SELECT 1; SELECT 2").status().code(), StatusCode::kInvalidArgument);
}

TEST(PreparedStatementTest, ConstraintViolationIsConflictAndTheStatementStaysUsable) {
  TestDatabase t;
  ASSERT_TRUE(t.conn.Execute("CREATE TABLE t(id BIGINT PRIMARY KEY)").ok());
  PreparedStatement insert = ValueOrDie(t.conn.Prepare("INSERT INTO t VALUES (?)"), "prepare");
  ASSERT_TRUE(insert.BindInt64(1, 1).ok());
  ASSERT_TRUE(insert.Execute().ok());
  auto again = insert.Execute();
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kConflict);
  ASSERT_TRUE(insert.BindInt64(1, 2).ok());
  EXPECT_TRUE(insert.Execute().ok());
}

// A TIMESTAMP cast to TIMESTAMPTZ is read in the session time zone; BindTimestampTzMicros is not.
TEST(PreparedStatementTest, TimestampTzBindIgnoresTheSessionTimeZone) {
  DatabaseOptions options;
  options.time_zone = "America/New_York";
  TestDatabase t(":memory:", options);
  PreparedStatement s = ValueOrDie(t.conn.Prepare("SELECT ?::TIMESTAMPTZ"), "prepare");
  ASSERT_TRUE(s.BindTimestampTzMicros(1, 0).ok());
  EXPECT_EQ(ValueOrDie(s.Execute(), "tz").GetTimestampMicros(0, 0), 0);
  ASSERT_TRUE(s.BindTimestampMicros(1, 0).ok());
  EXPECT_EQ(ValueOrDie(s.Execute(), "naive").GetTimestampMicros(0, 0), 5 * 3600 * 1'000'000LL)
      << "1970-01-01 00:00 in New York is 05:00 UTC";
}

TEST(PreparedStatementTest, ExecuteStreamingReadsChunkByChunk) {
  TestDatabase t;
  PreparedStatement s = ValueOrDie(t.conn.Prepare("SELECT i FROM range(?) t(i)"), "prepare");
  ASSERT_TRUE(s.BindInt64(1, 5000).ok());
  QueryResult r = ValueOrDie(s.ExecuteStreaming(), "execute");
  EXPECT_TRUE(r.streaming());
  uint64_t rows = 0;
  for (;;) {
    auto chunk = r.FetchChunk();
    ASSERT_TRUE(chunk.ok()) << chunk.status().ToString();
    if (!chunk->has_value()) break;
    rows += (*chunk)->row_count();
  }
  EXPECT_EQ(rows, 5000u);
}

TEST(PreparedStatementTest, MovedFromStatementIsSafeToDestroy) {
  TestDatabase t;
  PreparedStatement a = ValueOrDie(t.conn.Prepare("SELECT ?::BIGINT"), "prepare a");
  PreparedStatement b = std::move(a);
  EXPECT_EQ(a.parameter_count(), 0u);
  PreparedStatement c = ValueOrDie(t.conn.Prepare("SELECT 1"), "prepare c");
  c = std::move(b);
  ASSERT_TRUE(c.BindInt64(1, 3).ok());
  EXPECT_EQ(ValueOrDie(c.Execute(), "execute").GetInt64(0, 0), 3);
}

}  // namespace
}  // namespace timestore::duck
