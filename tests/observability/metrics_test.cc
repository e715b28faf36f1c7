#include "observability/metrics.h"

#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace timestore::observability {
namespace {

TEST(MetricsRegistryTest, RendersCountersGaugesAndHistogramsInPrometheusFormat) {
  MetricsRegistry registry;
  registry.GetCounter("timestore_http_requests_total", "HTTP requests.", {{"status", "200"}})
      .Increment(2);
  registry.GetGauge("timestore_pool_idle", "Idle connections.").Set(3);
  auto& h = registry.GetHistogram("timestore_latency_seconds", "Latency.", {}, {0.1, 1});
  h.Observe(0.05);
  h.Observe(0.5);
  h.Observe(5);
  EXPECT_EQ(registry.RenderPrometheus(),
            "# HELP timestore_http_requests_total HTTP requests.\n"
            "# TYPE timestore_http_requests_total counter\n"
            "timestore_http_requests_total{status=\"200\"} 2\n"
            "# HELP timestore_latency_seconds Latency.\n"
            "# TYPE timestore_latency_seconds histogram\n"
            "timestore_latency_seconds_bucket{le=\"0.1\"} 1\n"
            "timestore_latency_seconds_bucket{le=\"1\"} 2\n"
            "timestore_latency_seconds_bucket{le=\"+Inf\"} 3\n"
            "timestore_latency_seconds_sum 5.55\n"
            "timestore_latency_seconds_count 3\n"
            "# HELP timestore_pool_idle Idle connections.\n"
            "# TYPE timestore_pool_idle gauge\n"
            "timestore_pool_idle 3\n");
}

TEST(MetricsRegistryTest, SameNameAndLabelsReturnTheSameSeries) {
  MetricsRegistry registry;
  Counter& a = registry.GetCounter("c", "help", {{"k", "v"}});
  Counter& b = registry.GetCounter("c", "help", {{"k", "v"}});
  Counter& other = registry.GetCounter("c", "help", {{"k", "w"}});
  EXPECT_EQ(&a, &b);
  EXPECT_NE(&a, &other);
}

TEST(MetricsRegistryTest, ConcurrentIncrementsAreNotLost) {
  MetricsRegistry registry;
  Counter& c = registry.GetCounter("c", "help");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) c.Increment();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.value(), 40000);
}

TEST(MetricsRegistryTest, LabelValuesAreEscaped) {
  MetricsRegistry registry;
  registry.GetCounter("c", "help", {{"path", "a\"b\\c\nd"}}).Increment();
  EXPECT_NE(registry.RenderPrometheus().find("c{path=\"a\\\"b\\\\c\\nd\"} 1\n"), std::string::npos);
}

}  // namespace
}  // namespace timestore::observability
