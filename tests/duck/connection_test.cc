#include "duck/connection.h"

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "duck/appender.h"
#include "duck/test_database.h"
#include "testing/eventually.h"

namespace timestore::duck {
namespace {

using common::StatusCode;
using std::chrono::steady_clock;
using ::testing::HasSubstr;

// Slow enough to be interrupted long before it ends (hours at a billion rows a second).
constexpr const char* kEndlessQuery =
    "SELECT count(*) FROM range(1000000000000000) t(i) WHERE hash(i) % 7 = 3";

// Runs `sql` on `conn` in another thread, interrupting it every 10 ms (an interrupt that comes
// before the statement starts is lost) until it returns; returns its Status and how long it took.
std::pair<common::Status, steady_clock::duration> RunInterrupted(Connection& conn,
                                                                 const std::string& sql) {
  std::atomic<bool> done{false};
  common::Status status;
  const auto start = steady_clock::now();
  std::thread runner([&] {
    status = conn.Query(sql).status();
    done = true;
  });
  testing::Eventually(
      [&] {
        conn.Interrupt();
        return done.load();
      },
      std::chrono::seconds(60), std::chrono::milliseconds(10));
  runner.join();
  return {status, steady_clock::now() - start};
}

TEST(ConnectionTest, BadSqlIsInvalidArgumentWithDuckDbMessage) {
  TestDatabase t;
  auto r = t.conn.Query("SELEC 1");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("Parser Error: syntax error at or near \"SELEC\""));
}

TEST(ConnectionTest, MissingTableIsInvalidArgumentNamingTheTable) {
  TestDatabase t;
  common::Status status = t.conn.Execute("SELECT * FROM missing_table");
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("Catalog Error: Table with name missing_table"));
}

TEST(ConnectionTest, ConversionAndOverflowErrorsAreInvalidArgument) {
  TestDatabase t;
  EXPECT_EQ(t.conn.Execute("SELECT 'abc'::INTEGER").code(), StatusCode::kInvalidArgument);
  common::Status overflow = t.conn.Execute("SELECT 9223372036854775807::BIGINT + 1");
  EXPECT_EQ(overflow.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(overflow.message(), HasSubstr("Out of Range Error"));
}

TEST(ConnectionTest, ConstraintViolationIsConflict) {
  TestDatabase t;
  ASSERT_TRUE(t.conn.Execute("CREATE TABLE t(id BIGINT PRIMARY KEY)").ok());
  common::Status status = t.conn.Execute("INSERT INTO t VALUES (1), (1)");
  EXPECT_EQ(status.code(), StatusCode::kConflict);
  EXPECT_THAT(status.message(), HasSubstr("duplicate key \"1\""));
}

TEST(ConnectionTest, DisabledFileAccessIsPermissionDenied) {
  TestDatabase t;
  ASSERT_TRUE(t.conn.Execute("SET enable_external_access = false").ok());
  common::Status status = t.conn.Execute("SELECT * FROM read_csv('/etc/passwd')");
  EXPECT_EQ(status.code(), StatusCode::kPermissionDenied);
  EXPECT_THAT(status.message(), HasSubstr("Permission Error"));
}

// DuckDB reads SQL up to the first NUL; running only a prefix of what the caller sent (perhaps
// without its WHERE clause) must not happen silently.
TEST(ConnectionTest, SqlWithNulByteIsRefused) {
  TestDatabase t;
  ASSERT_TRUE(t.conn.Execute("CREATE TABLE t(a BIGINT); INSERT INTO t VALUES (1), (2)").ok());
  const std::string sql("DELETE FROM t\0 WHERE a = 1", 26);
  common::Status status = t.conn.Execute(sql);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("NUL"));
  EXPECT_EQ(ValueOrDie(t.conn.Query("SELECT count(*) FROM t"), "count").GetInt64(0, 0), 2);
  EXPECT_EQ(t.conn.Prepare(sql).status().code(), StatusCode::kInvalidArgument);
}

TEST(ConnectionTest, QueryWithSeveralStatementsReturnsTheLastResult) {
  TestDatabase t;
  QueryResult r = ValueOrDie(
      t.conn.Query("CREATE TABLE t(a BIGINT); INSERT INTO t VALUES (4), (5); SELECT sum(a) FROM t"),
      "multi");
  ASSERT_EQ(r.row_count(), 1u);
  EXPECT_DOUBLE_EQ(r.GetDouble(0, 0), 9);
}

TEST(ConnectionTest, FailedTransactionCanBeRolledBack) {
  TestDatabase t;
  ASSERT_TRUE(t.conn.Execute("CREATE TABLE t(id BIGINT PRIMARY KEY)").ok());
  ASSERT_TRUE(t.conn.Execute("BEGIN; INSERT INTO t VALUES (1)").ok());
  EXPECT_EQ(t.conn.Execute("INSERT INTO t VALUES (1)").code(), StatusCode::kConflict);
  ASSERT_TRUE(t.conn.Execute("ROLLBACK").ok());
  EXPECT_EQ(ValueOrDie(t.conn.Query("SELECT count(*) FROM t"), "count").GetInt64(0, 0), 0);
}

TEST(ConnectionTest, DestroyRollsBackAnOpenTransaction) {
  TestDatabase t;
  ASSERT_TRUE(t.conn.Execute("CREATE TABLE t(a BIGINT)").ok());
  {
    Connection writer = ValueOrDie(Connection::Open(t.db), "writer");
    ASSERT_TRUE(writer.Execute("BEGIN; INSERT INTO t VALUES (1)").ok());
  }
  EXPECT_EQ(ValueOrDie(t.conn.Query("SELECT count(*) FROM t"), "count").GetInt64(0, 0), 0);
}

TEST(ConnectionTest, InterruptFromAnotherThreadStopsALongQueryQuickly) {
  TestDatabase t;
  auto [status, elapsed] = RunInterrupted(t.conn, kEndlessQuery);
  EXPECT_EQ(status.code(), StatusCode::kDeadlineExceeded);
  EXPECT_THAT(status.message(), HasSubstr("Interrupted"));
  EXPECT_LT(elapsed, std::chrono::seconds(10));
  EXPECT_TRUE(t.conn.Execute("SELECT 1").ok()) << "the connection stays usable";
}

TEST(ConnectionTest, InterruptWhileIdleDoesNotCancelTheNextQuery) {
  TestDatabase t;
  t.conn.Interrupt();
  auto r = t.conn.Query("SELECT 42");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->GetInt64(0, 0), 42);
}

// DuckDB updates progress from the thread that runs the statement, between its tasks; with worker
// threads doing all the work it may never be updated, so this test runs single-threaded.
TEST(ConnectionTest, ProgressIsReportedOnlyWhileAQueryRuns) {
  DatabaseOptions options;
  options.threads = 1;
  TestDatabase t(":memory:", options);
  ASSERT_TRUE(t.conn.Execute("SET enable_progress_bar = true").ok());
  EXPECT_LT(t.conn.Progress().percentage, 0) << "idle";

  std::atomic<bool> done{false};
  std::thread runner([&] {
    (void)t.conn.Query(kEndlessQuery);
    done = true;
  });
  QueryProgress seen;
  testing::Eventually(
      [&] {
        // A query that just started may report 0% before it knows how many rows it will read.
        seen = t.conn.Progress();
        return seen.percentage >= 0 && seen.total_rows_to_process > 0;
      },
      std::chrono::seconds(20));
  testing::Eventually(
      [&] {
        t.conn.Interrupt();
        return done.load();
      },
      std::chrono::seconds(60), std::chrono::milliseconds(10));
  runner.join();
  EXPECT_GE(seen.percentage, 0);
  EXPECT_GT(seen.total_rows_to_process, 0u);
  EXPECT_LT(t.conn.Progress().percentage, 0) << "idle again";
}

TEST(ConnectionTest, QueryStreamingReadsEveryRowChunkByChunk) {
  TestDatabase t;
  QueryResult r = ValueOrDie(t.conn.QueryStreaming("SELECT i FROM range(100000) t(i)"), "stream");
  ASSERT_TRUE(r.streaming());
  ASSERT_EQ(r.column_count(), 1u);
  EXPECT_EQ(r.column_name(0), "i");
  EXPECT_EQ(r.column_type(0), Type::kBigint);
  int64_t rows = 0;
  int64_t sum = 0;
  int chunks = 0;
  for (;;) {
    auto chunk = r.FetchChunk();
    ASSERT_TRUE(chunk.ok()) << chunk.status().ToString();
    if (!chunk->has_value()) break;
    const ResultChunk& c = **chunk;
    ASSERT_LE(c.row_count(), 2048u);
    for (size_t row = 0; row < c.row_count(); ++row) sum += c.GetInt64(0, row);
    rows += static_cast<int64_t>(c.row_count());
    ++chunks;
  }
  EXPECT_EQ(rows, 100000);
  EXPECT_EQ(sum, int64_t{100000} * 99999 / 2);
  EXPECT_GE(chunks, 49);
  auto after_end = r.FetchChunk();
  ASSERT_TRUE(after_end.ok());
  EXPECT_FALSE(after_end->has_value());
}

// DuckDB closes an open stream when its connection runs something else and then reports a plain end
// of data; the wrapper must not pass that off as a complete (shorter) result.
TEST(ConnectionTest, StreamEndedByAnotherStatementFailsInsteadOfLookingComplete) {
  TestDatabase t;
  QueryResult r = ValueOrDie(t.conn.QueryStreaming("SELECT i FROM range(100000) t(i)"), "stream");
  ASSERT_TRUE(r.FetchChunk().ok());
  ASSERT_TRUE(t.conn.Execute("SELECT 1").ok());
  auto next = r.FetchChunk();
  ASSERT_FALSE(next.ok());
  EXPECT_EQ(next.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(next.status().message(), HasSubstr("another statement"));
}

TEST(ConnectionTest, StreamEndedByAnAppenderFlushFailsInsteadOfLookingComplete) {
  TestDatabase t;
  ASSERT_TRUE(t.conn.Execute("CREATE TABLE t(a BIGINT)").ok());
  QueryResult r = ValueOrDie(t.conn.QueryStreaming("SELECT i FROM range(100000) t(i)"), "stream");
  ASSERT_TRUE(r.FetchChunk().ok());
  Appender appender = ValueOrDie(Appender::Create(t.conn, "", "t"), "appender");
  ASSERT_TRUE(appender.AppendInt64(1).ok());
  ASSERT_TRUE(appender.EndRow().ok());
  ASSERT_TRUE(appender.Close().ok());
  EXPECT_EQ(r.FetchChunk().status().code(), StatusCode::kFailedPrecondition);
}

TEST(ConnectionTest, StreamsOfOtherConnectionsAreNotAffected) {
  TestDatabase t;
  Connection other = ValueOrDie(Connection::Open(t.db), "other");
  QueryResult r = ValueOrDie(t.conn.QueryStreaming("SELECT i FROM range(10000) t(i)"), "stream");
  ASSERT_TRUE(other.Execute("SELECT 1").ok());
  int64_t rows = 0;
  for (;;) {
    auto chunk = r.FetchChunk();
    ASSERT_TRUE(chunk.ok()) << chunk.status().ToString();
    if (!chunk->has_value()) break;
    rows += static_cast<int64_t>((*chunk)->row_count());
  }
  EXPECT_EQ(rows, 10000);
}

TEST(ConnectionTest, InterruptedStreamFailsWithDeadlineExceeded) {
  TestDatabase t;
  QueryResult r = ValueOrDie(
      t.conn.QueryStreaming("SELECT i FROM range(1000000000000) t(i) WHERE hash(i) % 3 = 0"),
      "stream");
  ASSERT_TRUE(r.FetchChunk().ok());
  t.conn.Interrupt();
  common::Status status;
  for (int i = 0; i < 1000 && status.ok(); ++i) {
    auto chunk = r.FetchChunk();
    status = chunk.status();
    if (status.ok()) {
      ASSERT_TRUE(chunk->has_value()) << "the stream must not just end";
    }
  }
  EXPECT_EQ(status.code(), StatusCode::kDeadlineExceeded);
}

TEST(ConnectionTest, MovedFromConnectionIsSafeToUseForInterruptAndDestroy) {
  TestDatabase t;
  Connection moved = std::move(t.conn);
  t.conn.Interrupt();  // no-op
  EXPECT_LT(t.conn.Progress().percentage, 0);
  EXPECT_TRUE(moved.Execute("SELECT 1").ok());
  Connection other = ValueOrDie(Connection::Open(t.db), "other");
  other = std::move(moved);
  EXPECT_TRUE(other.Execute("SELECT 1").ok());
}

}  // namespace
}  // namespace timestore::duck
