#include "catalog/pg_pool.h"

#include <thread>

#include <gtest/gtest.h>

#include "catalog/catalog.h"
#include "testing/eventually.h"
#include "testing/test_env.h"

namespace timestore::catalog {
namespace {

PgPoolOptions SmallPool(int max_size, int acquire_ms = 300) {
  PgPoolOptions o;
  o.connect.url = testing::PostgresUrl();
  o.connect.schema = "public";
  o.max_size = max_size;
  o.acquire_timeout = std::chrono::milliseconds(acquire_ms);
  return o;
}

int64_t BackendPid(PgLease& lease) {
  auto res = lease->Exec("SELECT pg_backend_pid()");
  EXPECT_TRUE(res.ok()) << res.status().ToString();
  return res.ok() ? res->GetInt64(0, 0) : 0;
}

TEST(PgPoolTest, ReturnedConnectionIsReused) {
  PgPool pool(SmallPool(2));
  int64_t first_pid = 0;
  {
    auto lease = pool.Acquire();
    ASSERT_TRUE(lease.ok()) << lease.status().ToString();
    first_pid = BackendPid(*lease);
  }
  auto again = pool.Acquire();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(BackendPid(*again), first_pid);
  EXPECT_EQ(pool.open_connections(), 1);
}

TEST(PgPoolTest, ExhaustedPoolTimesOutWithUnavailable) {
  PgPool pool(SmallPool(2, 200));
  auto a = pool.Acquire();
  auto b = pool.Acquire();
  ASSERT_TRUE(a.ok() && b.ok());
  const auto start = std::chrono::steady_clock::now();
  auto c = pool.Acquire();
  const auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), common::StatusCode::kUnavailable);
  EXPECT_NE(c.status().message().find("pool exhausted"), std::string::npos);
  EXPECT_GE(waited, std::chrono::milliseconds(150));
  EXPECT_EQ(pool.open_connections(), 2);
}

TEST(PgPoolTest, WaiterGetsTheConnectionAnotherThreadReturns) {
  PgPool pool(SmallPool(1, 5000));
  auto held = std::make_unique<PgLease>(std::move(pool.Acquire()).value());
  std::thread releaser([&] {
    // Real elapsed time: the connection must come back while the main thread is blocked in
    // Acquire, and the pool does not show its waiters.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    held.reset();
  });
  auto lease = pool.Acquire();
  releaser.join();
  ASSERT_TRUE(lease.ok()) << lease.status().ToString();
  EXPECT_EQ(pool.open_connections(), 1);
}

TEST(PgPoolTest, ConnectionKilledWhileIdleIsReplacedNotReused) {
  PgPool pool(SmallPool(2));
  int64_t pid = 0;
  {
    auto lease = pool.Acquire();
    ASSERT_TRUE(lease.ok());
    pid = BackendPid(*lease);
  }
  {
    // Terminate the idle pooled connection from another session, as a database restart would.
    auto killer = PgConnection::Connect(SmallPool(1).connect);
    ASSERT_TRUE(killer.ok());
    ASSERT_TRUE(killer->Exec("SELECT pg_terminate_backend($1::int)", PgParams().Add(pid)).ok());
    // Termination is asynchronous: wait until the backend is gone.
    ASSERT_TRUE(testing::Eventually(
        [&] {
          auto left = killer->Exec("SELECT count(*) FROM pg_stat_activity WHERE pid = $1::int",
                                   PgParams().Add(pid));
          return left.ok() && left->GetInt64(0, 0) == 0;
        },
        std::chrono::seconds(5)));
  }
  // Real elapsed time: the backend leaves pg_stat_activity before its FATAL message and the close
  // reach the pooled socket, which is what the pool's idle check sees.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto lease = pool.Acquire();
  ASSERT_TRUE(lease.ok()) << lease.status().ToString();
  const int64_t new_pid = BackendPid(*lease);
  EXPECT_NE(new_pid, 0);
  EXPECT_NE(new_pid, pid);
}

TEST(PgPoolTest, ConnectionThatBrokeDuringUseIsDiscardedOnRelease) {
  PgPool pool(SmallPool(2));
  {
    auto lease = pool.Acquire();
    ASSERT_TRUE(lease.ok());
    auto res = (*lease)->Exec("SELECT pg_terminate_backend(pg_backend_pid())");
    EXPECT_FALSE(res.ok());
    EXPECT_EQ(res.status().code(), common::StatusCode::kUnavailable) << res.status().ToString();
  }
  EXPECT_EQ(pool.open_connections(), 0);
  auto lease = pool.Acquire();
  ASSERT_TRUE(lease.ok());
  EXPECT_TRUE((*lease)->Exec("SELECT 1").ok());
}

TEST(PgPoolTest, LeaseReturnedInsideTransactionIsRolledBack) {
  PgPool pool(SmallPool(1));
  {
    auto lease = pool.Acquire();
    ASSERT_TRUE(lease.ok());
    ASSERT_TRUE((*lease)->ExecScript("BEGIN; CREATE TEMP TABLE leftover (x int);").ok());
  }
  auto lease = pool.Acquire();
  ASSERT_TRUE(lease.ok());
  EXPECT_TRUE((*lease)->IsIdle());
  auto res = (*lease)->Exec("SELECT to_regclass('pg_temp.leftover') IS NULL");
  ASSERT_TRUE(res.ok());
  EXPECT_TRUE(res->GetBool(0, 0));
}

TEST(PgPoolTest, UnreachableServerIsUnavailableNamingHostAndPort) {
  PgPoolOptions o = SmallPool(1);
  o.connect.url = "postgres://timestore:timestore@127.0.0.1:1/timestore";
  PgPool pool(o);
  auto lease = pool.Acquire();
  ASSERT_FALSE(lease.ok());
  EXPECT_EQ(lease.status().code(), common::StatusCode::kUnavailable);
  EXPECT_NE(lease.status().message().find("127.0.0.1:1"), std::string::npos)
      << lease.status().message();
  EXPECT_EQ(pool.open_connections(), 0);
}

TEST(PgPoolTest, WrongPasswordIsUnavailableWithoutLeakingThePassword) {
  PgPoolOptions o = SmallPool(1);
  std::string url = testing::PostgresUrl();
  url.replace(url.find(":timestore@"), 11, ":sekrit-pw@");
  o.connect.url = url;
  PgPool pool(o);
  auto lease = pool.Acquire();
  ASSERT_FALSE(lease.ok());
  EXPECT_NE(lease.status().message().find("password authentication failed"), std::string::npos)
      << lease.status().message();
  EXPECT_EQ(lease.status().message().find("sekrit-pw"), std::string::npos);
}

TEST(PgConnectionTest, SqlStateMapsToStatusCodes) {
  auto conn = PgConnection::Connect(SmallPool(1).connect);
  ASSERT_TRUE(conn.ok());
  ASSERT_TRUE(conn->ExecScript("CREATE TEMP TABLE u (k int PRIMARY KEY CHECK (k > 0))").ok());
  ASSERT_TRUE(conn->Exec("INSERT INTO u VALUES (1)").ok());
  EXPECT_EQ(conn->Exec("INSERT INTO u VALUES (1)").status().code(),
            common::StatusCode::kAlreadyExists);
  EXPECT_EQ(conn->Exec("INSERT INTO u VALUES (-1)").status().code(),
            common::StatusCode::kInvalidArgument);
  EXPECT_EQ(conn->Exec("SELECT 'x'::int").status().code(), common::StatusCode::kInvalidArgument);
  EXPECT_EQ(conn->Exec("SELECT * FROM no_such_table").status().code(),
            common::StatusCode::kInternal);
  ASSERT_TRUE(conn->ExecScript("SET statement_timeout = 50").ok());
  EXPECT_EQ(conn->Exec("SELECT pg_sleep(1)").status().code(),
            common::StatusCode::kDeadlineExceeded);
}

TEST(PgConnectionTest, ParamsRoundTripTextArraysWithQuotesAndCommas) {
  auto conn = PgConnection::Connect(SmallPool(1).connect);
  ASSERT_TRUE(conn.ok());
  const std::vector<std::string> values = {"a,b", "c\"d", "e\\f", "", "NULL", "x y"};
  auto res = conn->Exec("SELECT $1::text[], $2::bigint, $3::boolean, $4::text IS NULL",
                        PgParams().AddTextArray(values).Add(int64_t{-42}).Add(true).AddNull());
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  EXPECT_EQ(res->GetTextArray(0, 0), values);
  EXPECT_EQ(res->GetInt64(0, 1), -42);
  EXPECT_TRUE(res->GetBool(0, 2));
  EXPECT_TRUE(res->GetBool(0, 3));
}

TEST(PgConnectionTest, QuoteIdentDoublesQuotes) {
  EXPECT_EQ(QuoteIdent("plain"), "\"plain\"");
  EXPECT_EQ(QuoteIdent("a\"b"), "\"a\"\"b\"");
}

}  // namespace
}  // namespace timestore::catalog
