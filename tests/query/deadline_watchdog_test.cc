#include "query/deadline_watchdog.h"

#include <gtest/gtest.h>

#include "duck/connection.h"
#include "duck/database.h"
#include "testing/eventually.h"
#include "testing/fake_clock.h"

namespace timestore::query {
namespace {

using namespace std::chrono_literals;
using Clock = DeadlineWatchdog::Clock;

// A statement that would run for minutes.
constexpr char kEndless[] = "SELECT count(*) FROM range(100000000000) a WHERE a.range % 7 = 3";

TEST(DeadlineWatchdogTest, InterruptsAStatementPastItsDeadline) {
  auto db = duck::Database::Open(":memory:");
  ASSERT_TRUE(db.ok());
  auto conn = duck::Connection::Open(*db);
  ASSERT_TRUE(conn.ok());
  DeadlineWatchdog watchdog;
  const auto start = Clock::now();
  DeadlineWatchdog::Guard guard = watchdog.Watch(*conn, start + 200ms);
  auto result = conn->Query(kEndless);
  const auto took = Clock::now() - start;
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), common::StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(guard.expired());
  EXPECT_GE(took, 200ms);
  EXPECT_LT(took, 5s);
}

TEST(DeadlineWatchdogTest, LeavesStatementsWithinTheirDeadlineAlone) {
  auto db = duck::Database::Open(":memory:");
  auto conn = duck::Connection::Open(*db);
  testing::FakeClock clock;
  DeadlineWatchdog watchdog(clock);
  {
    DeadlineWatchdog::Guard guard = watchdog.Watch(*conn, clock.Steady() + 10s);
    auto result = conn->Query("SELECT 42");
    ASSERT_TRUE(result.ok());
    EXPECT_FALSE(guard.expired());
  }
  // Once the guard is gone the connection is no longer watched, even past the old deadline.
  {
    DeadlineWatchdog::Guard guard = watchdog.Watch(*conn, clock.Steady() + 50ms);
    // The fake clock stands still: the deadline does not pass by itself.
    EXPECT_FALSE(testing::Eventually([&] { return guard.expired(); }, 20ms));
  }
  clock.Advance(100ms);
  // A second connection, due at once: when it has been interrupted, the watchdog has made a pass
  // past the first connection's old deadline.
  auto other = duck::Connection::Open(*db);
  DeadlineWatchdog::Guard due = watchdog.Watch(*other, clock.Steady());
  EXPECT_TRUE(testing::Eventually([&] { return due.expired(); }, 5s));
  EXPECT_TRUE(conn->Query("SELECT 1").ok());
}

}  // namespace
}  // namespace timestore::query
