#include "http/worker_pool.h"

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <thread>

#include <gtest/gtest.h>

namespace timestore::http {
namespace {

TEST(HttpWorkerPoolTest, RunsTasksAndRejectsWhenTheQueueIsFull) {
  WorkerPool pool(1, 1);
  std::promise<void> started;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  ASSERT_TRUE(pool.TrySubmit([&] {
    started.set_value();
    released.wait();
  }));
  started.get_future().wait();  // the only thread is busy now
  std::atomic<int> ran{0};
  ASSERT_TRUE(pool.TrySubmit([&] { ++ran; }));   // queued
  EXPECT_FALSE(pool.TrySubmit([&] { ++ran; }));  // the queue (1) is full
  release.set_value();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (ran.load() == 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  EXPECT_EQ(ran.load(), 1);  // the queued task ran once the thread was free
  pool.Stop();
}

TEST(HttpWorkerPoolTest, ZeroQueueStillFeedsIdleThreads) {
  WorkerPool pool(1, 0);
  std::atomic<int> ran{0};
  // Accepted as soon as the thread is waiting for work (it may still be starting up).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  bool accepted = false;
  while (!accepted && std::chrono::steady_clock::now() < deadline) {
    accepted = pool.TrySubmit([&] { ++ran; });
    if (!accepted) std::this_thread::yield();
  }
  ASSERT_TRUE(accepted);
  while (ran.load() == 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  EXPECT_EQ(ran.load(), 1);
}

TEST(HttpWorkerPoolTest, StopDropsQueuedTasksWithoutRunningThemAndRefusesNewOnes) {
  WorkerPool pool(1, 8);
  std::promise<void> started;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  ASSERT_TRUE(pool.TrySubmit([&] {
    started.set_value();
    released.wait();
  }));
  started.get_future().wait();
  // The queued task owns the release of the running one: dropping it must let Stop() finish.
  struct ReleaseOnDestroy {
    std::promise<void>* release;
    ~ReleaseOnDestroy() { release->set_value(); }
  };
  std::shared_ptr<ReleaseOnDestroy> owned(new ReleaseOnDestroy{&release});
  std::atomic<bool> ran{false};
  ASSERT_TRUE(pool.TrySubmit([&ran, owned] { ran = true; }));
  owned.reset();
  pool.Stop();
  EXPECT_FALSE(ran.load());
  EXPECT_FALSE(pool.TrySubmit([] {}));
}

}  // namespace
}  // namespace timestore::http
