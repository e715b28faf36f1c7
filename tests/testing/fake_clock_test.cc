#include "testing/fake_clock.h"

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "testing/eventually.h"

namespace timestore::testing {
namespace {

using namespace std::chrono_literals;

TEST(FakeClockTest, StandsStillUntilAdvanced) {
  FakeClock clock(1'000'000);
  const auto steady = clock.Steady();
  EXPECT_EQ(clock.Now(), 1'000'000);
  clock.Advance(1500ms);
  EXPECT_EQ(clock.Now(), 2'500'000);
  EXPECT_EQ(clock.Steady() - steady, 1500ms);
}

TEST(FakeClockTest, AdvanceWakesAWaiterOnlyOnceItsDeadlineIsReached) {
  FakeClock clock;
  std::atomic<bool> woke{false};
  std::jthread waiter([&](const std::stop_token& stop) { woke = clock.SleepFor(stop, 10s); });
  ASSERT_TRUE(Eventually([&] { return clock.waiters() == 1; }, 5s));
  clock.Advance(9s);
  EXPECT_FALSE(Eventually([&] { return woke.load(); }, 20ms));
  clock.Advance(1s);
  EXPECT_TRUE(Eventually([&] { return woke.load(); }, 5s));
}

TEST(FakeClockTest, AStopRequestEndsAWaitWithFalse) {
  FakeClock clock;
  std::atomic<int> result{-1};
  std::jthread waiter([&](const std::stop_token& stop) { result = clock.SleepFor(stop, 1h); });
  ASSERT_TRUE(Eventually([&] { return clock.waiters() == 1; }, 5s));
  waiter.request_stop();
  EXPECT_TRUE(Eventually([&] { return result.load() == 0; }, 5s));
}

TEST(FakeClockTest, AConditionWaitEndsOnTheConditionOrOnTheFakeDeadline) {
  FakeClock clock;
  std::mutex mu;
  std::condition_variable_any cv;
  bool flag = false;
  std::atomic<int> result{-1};
  std::jthread waiter([&](const std::stop_token& stop) {
    std::unique_lock lock(mu);
    result = clock.WaitUntil(lock, cv, stop, clock.Steady() + 1s, [&] { return flag; });
  });
  ASSERT_TRUE(Eventually([&] { return clock.waiters() == 1; }, 5s));
  clock.Advance(1s);
  EXPECT_TRUE(Eventually([&] { return result.load() == 0; }, 5s));  // deadline, not ready
  waiter.join();
  std::jthread second([&](const std::stop_token& stop) {
    std::unique_lock lock(mu);
    result =
        clock.WaitUntil(lock, cv, stop, common::Clock::SteadyTime::max(), [&] { return flag; });
  });
  {
    std::lock_guard lock(mu);
    flag = true;
  }
  cv.notify_all();
  EXPECT_TRUE(Eventually([&] { return result.load() == 1; }, 5s));
}

TEST(EventuallyTest, ReturnsAsSoonAsTheConditionHoldsAndFalseAfterTheTimeout) {
  int calls = 0;
  EXPECT_TRUE(Eventually([&] { return ++calls == 3; }, 5s));
  EXPECT_EQ(calls, 3);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(Eventually([] { return false; }, 30ms));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 30ms);
}

}  // namespace
}  // namespace timestore::testing
