// AsyncAuditWriter over a fake AuditSink (the seam the writer stores through): batching in order,
// the bounded queue dropping and counting instead of blocking, Flush, the flush on Stop, retries
// with backoff (driven by a FakeClock) and the stop deadline with a sink that keeps failing.
#include "catalog/async_audit_writer.h"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "common/status.h"
#include "observability/metrics.h"
#include "testing/eventually.h"
#include "testing/fake_clock.h"

namespace timestore::catalog {
namespace {

using namespace std::chrono_literals;
using testing::Eventually;

// Stores batches in memory. It can be held (calls block until Release) and made to fail its next
// calls; thread-safe.
class FakeSink final : public AuditSink {
 public:
  common::Status RecordBatch(std::span<const AuditEvent> events) override {
    std::unique_lock lock(mu_);
    ++calls_;
    released_.wait(lock, [this] { return !held_; });
    if (failures_left_ != 0) {
      if (failures_left_ > 0) --failures_left_;
      return common::Unavailable("catalog down");
    }
    std::vector<std::string> batch;
    for (const AuditEvent& e : events) batch.push_back(e.action);
    batches_.push_back(std::move(batch));
    return common::Status::Ok();
  }

  void Hold() {
    std::lock_guard lock(mu_);
    held_ = true;
  }
  void Release() {
    {
      std::lock_guard lock(mu_);
      held_ = false;
    }
    released_.notify_all();
  }
  void FailNext(int n) {  // -1: fail every call
    std::lock_guard lock(mu_);
    failures_left_ = n;
  }
  int calls() const {
    std::lock_guard lock(mu_);
    return calls_;
  }
  std::vector<std::vector<std::string>> batches() const {
    std::lock_guard lock(mu_);
    return batches_;
  }
  std::vector<std::string> stored() const {
    std::vector<std::string> all;
    for (const auto& batch : batches()) all.insert(all.end(), batch.begin(), batch.end());
    return all;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable released_;
  bool held_ = false;
  int failures_left_ = 0;
  int calls_ = 0;
  std::vector<std::vector<std::string>> batches_;
};

AuditEvent Event(const std::string& action) {
  AuditEvent e;
  e.action = action;
  return e;
}

std::vector<std::string> Names(const std::string& prefix, int n) {
  std::vector<std::string> names;
  names.reserve(n);
  for (int i = 0; i < n; ++i) names.push_back(prefix + std::to_string(i));
  return names;
}

class AsyncAuditWriterTest : public ::testing::Test {
 protected:
  double Metric(const std::string& name, const observability::Labels& labels = {}) {
    return metrics_.GetCounter(name, "", labels).value();
  }

  FakeSink sink_;
  observability::MetricsRegistry metrics_;
};

TEST_F(AsyncAuditWriterTest, EventsQueuedMeanwhileAreStoredInOrderInBatchesOfAtMostMaxBatch) {
  AsyncAuditWriterOptions o;
  o.max_batch = 3;
  AsyncAuditWriter writer(sink_, o, &metrics_);
  writer.Start();
  sink_.Hold();
  ASSERT_TRUE(writer.Enqueue(Event("e0")));
  ASSERT_TRUE(Eventually([&] { return sink_.calls() == 1; }, 10s));  // e0 is being stored
  for (const std::string& name : Names("e", 8)) {
    if (name != "e0") {
      ASSERT_TRUE(writer.Enqueue(Event(name)));
    }
  }
  EXPECT_EQ(writer.pending(), 8u);
  EXPECT_FALSE(writer.Flush(20ms));  // held
  sink_.Release();
  ASSERT_TRUE(writer.Flush(10s));
  EXPECT_EQ(sink_.batches(), (std::vector<std::vector<std::string>>{
                                 {"e0"}, {"e1", "e2", "e3"}, {"e4", "e5", "e6"}, {"e7"}}));
  EXPECT_EQ(writer.pending(), 0u);
  EXPECT_EQ(Metric("timestore_audit_events_written_total"), 8);
  EXPECT_EQ(metrics_.GetGauge("timestore_audit_queue_events", "").value(), 0);
}

TEST_F(AsyncAuditWriterTest, AFullQueueDropsAndCountsTheEventWithoutBlocking) {
  AsyncAuditWriterOptions o;
  o.capacity = 3;
  AsyncAuditWriter writer(sink_, o, &metrics_);
  writer.Start();
  sink_.Hold();  // nothing is stored until released: Enqueue must not wait for it
  ASSERT_TRUE(writer.Enqueue(Event("a")));
  ASSERT_TRUE(Eventually([&] { return sink_.calls() == 1; }, 10s));
  EXPECT_TRUE(writer.Enqueue(Event("b")));
  EXPECT_TRUE(writer.Enqueue(Event("c")));
  // The one being stored counts: 3 pending.
  EXPECT_FALSE(writer.Enqueue(Event("d")));
  EXPECT_FALSE(writer.Enqueue(Event("e")));
  EXPECT_EQ(writer.dropped(), 2u);
  EXPECT_EQ(Metric("timestore_audit_events_dropped_total", {{"reason", "queue_full"}}), 2);
  EXPECT_EQ(metrics_.GetGauge("timestore_audit_queue_events", "").value(), 3);
  sink_.Release();
  ASSERT_TRUE(writer.Flush(10s));
  EXPECT_EQ(sink_.stored(), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(writer.Enqueue(Event("f")));  // room again
}

TEST_F(AsyncAuditWriterTest, StopStoresEveryPendingEventThenRefusesNewOnes) {
  AsyncAuditWriter writer(sink_, {}, &metrics_);
  writer.Start();
  sink_.Hold();
  const std::vector<std::string> names = Names("r", 1200);
  for (const std::string& name : names) ASSERT_TRUE(writer.Enqueue(Event(name)));
  std::thread release([&] {
    Eventually([&] { return sink_.calls() >= 1; }, 10s);
    sink_.Release();
  });
  writer.Stop();
  release.join();
  EXPECT_EQ(sink_.stored(), names);
  EXPECT_EQ(writer.pending(), 0u);
  EXPECT_EQ(writer.dropped(), 0u);
  EXPECT_FALSE(writer.Enqueue(Event("late")));
  EXPECT_EQ(Metric("timestore_audit_events_dropped_total", {{"reason", "stopped"}}), 1);
  writer.Stop();  // idempotent
}

TEST_F(AsyncAuditWriterTest, StopWithoutStartStoresTheQueueOnTheCallingThread) {
  AsyncAuditWriter writer(sink_, {}, nullptr);
  ASSERT_TRUE(writer.Enqueue(Event("x")));
  ASSERT_TRUE(writer.Enqueue(Event("y")));
  writer.Stop();
  EXPECT_EQ(sink_.stored(), (std::vector<std::string>{"x", "y"}));
}

TEST_F(AsyncAuditWriterTest, AFailedBatchIsRetriedWithGrowingBackoffWhileTheQueueAccepts) {
  testing::FakeClock clock;
  AsyncAuditWriterOptions o;
  o.retry_initial = 100ms;
  o.retry_max = 150ms;
  AsyncAuditWriter writer(sink_, o, &metrics_, clock);
  sink_.FailNext(3);
  writer.Start();
  ASSERT_TRUE(writer.Enqueue(Event("first")));
  // The writer waits out its backoff on the clock: one waiter, and no call until it has passed.
  auto backing_off = [&](int calls) {
    return Eventually([&] { return sink_.calls() == calls && clock.waiters() == 1; }, 10s);
  };
  ASSERT_TRUE(backing_off(1));
  EXPECT_TRUE(writer.Enqueue(Event("second")));  // accepted while the catalog is down
  clock.Advance(99ms);
  ASSERT_TRUE(backing_off(1));
  clock.Advance(1ms);
  ASSERT_TRUE(backing_off(2));  // second failure: the wait doubles, capped at retry_max
  clock.Advance(149ms);
  ASSERT_TRUE(backing_off(2));
  clock.Advance(1ms);
  ASSERT_TRUE(backing_off(3));
  clock.Advance(150ms);
  ASSERT_TRUE(writer.Flush(10s));
  EXPECT_EQ(sink_.batches(), (std::vector<std::vector<std::string>>{{"first"}, {"second"}}));
  EXPECT_EQ(Metric("timestore_audit_batch_failures_total"), 3);
  EXPECT_EQ(writer.dropped(), 0u);
}

TEST_F(AsyncAuditWriterTest, StopGivesUpAfterTheStopTimeoutAndCountsWhatItDropped) {
  AsyncAuditWriterOptions o;
  o.retry_initial = 5ms;
  o.retry_max = 20ms;
  o.stop_timeout = 100ms;
  AsyncAuditWriter writer(sink_, o, &metrics_);
  sink_.FailNext(-1);
  writer.Start();
  for (const std::string& name : Names("lost", 5)) ASSERT_TRUE(writer.Enqueue(Event(name)));
  const auto started = std::chrono::steady_clock::now();
  writer.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
  EXPECT_GE(sink_.calls(), 2);  // retried during the stop
  EXPECT_TRUE(sink_.stored().empty());
  EXPECT_EQ(writer.dropped(), 5u);
  EXPECT_EQ(writer.pending(), 0u);
  EXPECT_EQ(Metric("timestore_audit_events_dropped_total", {{"reason", "stopped"}}), 5);
  EXPECT_TRUE(writer.Flush(0ms));  // nothing left to wait for
}

}  // namespace
}  // namespace timestore::catalog
