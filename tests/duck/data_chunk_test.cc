#include "duck/data_chunk.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "duck/appender.h"
#include "duck/test_database.h"

namespace timestore::duck {
namespace {

using common::StatusCode;
using ::testing::HasSubstr;

TEST(DataChunkTest, CreateHasDuckDbVectorCapacityAndNoRows) {
  DataChunk chunk =
      ValueOrDie(DataChunk::Create({Type::kTimestamp, Type::kVarchar, Type::kDouble}), "create");
  EXPECT_EQ(chunk.capacity(), 2048u);
  EXPECT_EQ(chunk.size(), 0u);
  EXPECT_EQ(chunk.column_count(), 3u);
  EXPECT_EQ(chunk.column_type(1), Type::kVarchar);
}

TEST(DataChunkTest, CreateWithUnsupportedTypeIsInvalidArgument) {
  auto chunk = DataChunk::Create({Type::kBigint, Type::kDecimal});
  ASSERT_FALSE(chunk.ok());
  EXPECT_EQ(chunk.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(chunk.status().message(), HasSubstr("DECIMAL"));
  EXPECT_EQ(DataChunk::Create({}).status().code(), StatusCode::kInvalidArgument);
}

// A reused chunk must not carry NULLs or rows from its previous batch.
TEST(DataChunkTest, ResetForgetsRowsAndNulls) {
  TestDatabase t;
  ASSERT_TRUE(t.conn.Execute("CREATE TABLE t(a BIGINT, s VARCHAR)").ok());
  Appender appender = ValueOrDie(Appender::Create(t.conn, "", "t"), "appender");
  DataChunk chunk = ValueOrDie(DataChunk::Create({Type::kBigint, Type::kVarchar}), "chunk");
  chunk.SetNull(0, 0);
  chunk.SetNull(1, 0);
  chunk.SetInt64(0, 1, 1);
  chunk.SetString(1, 1, "one");
  chunk.SetSize(2);
  ASSERT_TRUE(appender.AppendChunk(chunk).ok());
  chunk.Reset();
  EXPECT_EQ(chunk.size(), 0u);
  chunk.SetInt64(0, 0, 2);
  chunk.SetString(1, 0, "two");
  chunk.SetSize(1);
  ASSERT_TRUE(appender.AppendChunk(chunk).ok());
  ASSERT_TRUE(appender.Close().ok());

  QueryResult r = ValueOrDie(t.conn.Query("SELECT a, s FROM t ORDER BY a NULLS FIRST"), "select");
  ASSERT_EQ(r.row_count(), 3u);
  EXPECT_TRUE(r.IsNull(0, 0));
  EXPECT_TRUE(r.IsNull(1, 0));
  EXPECT_EQ(r.GetInt64(0, 2), 2);
  EXPECT_FALSE(r.IsNull(1, 2));
  EXPECT_EQ(r.GetString(1, 2), "two");
}

TEST(DataChunkTest, ValueAfterNullInTheSameCellWins) {
  TestDatabase t;
  ASSERT_TRUE(t.conn.Execute("CREATE TABLE t(a DOUBLE)").ok());
  Appender appender = ValueOrDie(Appender::Create(t.conn, "", "t"), "appender");
  DataChunk chunk = ValueOrDie(DataChunk::Create({Type::kDouble}), "chunk");
  chunk.SetNull(0, 0);
  chunk.SetDouble(0, 0, 2.5);
  chunk.SetSize(1);
  ASSERT_TRUE(appender.AppendChunk(chunk).ok());
  ASSERT_TRUE(appender.Close().ok());
  QueryResult r = ValueOrDie(t.conn.Query("SELECT a FROM t"), "select");
  ASSERT_FALSE(r.IsNull(0, 0));
  EXPECT_EQ(r.GetDouble(0, 0), 2.5);
}

TEST(DataChunkTest, MovedFromChunkIsSafeToDestroy) {
  DataChunk a = ValueOrDie(DataChunk::Create({Type::kBoolean}), "a");
  DataChunk b = std::move(a);
  DataChunk c = ValueOrDie(DataChunk::Create({Type::kBlob}), "c");
  c = std::move(b);
  c.SetBool(0, 0, true);
  c.SetSize(1);
  EXPECT_EQ(c.size(), 1u);
  EXPECT_EQ(c.column_type(0), Type::kBoolean);
}

}  // namespace
}  // namespace timestore::duck
