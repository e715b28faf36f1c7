#include "observability/metrics.h"

#include <string>
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

TEST(MetricsRegistryTest, CollectorsRunBeforeEveryRender) {
  MetricsRegistry registry;
  Gauge& g = registry.GetGauge("timestore_scrapes", "Renders so far.");
  int runs = 0;
  registry.AddCollector([&] { g.Set(++runs); });
  EXPECT_NE(registry.RenderPrometheus().find("\ntimestore_scrapes 1\n"), std::string::npos);
  EXPECT_NE(registry.RenderPrometheus().find("\ntimestore_scrapes 2\n"), std::string::npos);
  EXPECT_EQ(runs, 2);
}

TEST(MetricsRegistryTest, CollectorsMayCreateSeries) {
  MetricsRegistry registry;
  registry.AddCollector([&] { registry.GetGauge("timestore_late", "Created late.").Set(7); });
  EXPECT_NE(registry.RenderPrometheus().find("\ntimestore_late 7\n"), std::string::npos);
}

TEST(MetricsRegistryTest, DefaultBucketsAreTheOriginalPromClientDefaults) {
  EXPECT_EQ(DefaultLatencyBuckets(),
            (std::vector<double>{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}));
  MetricsRegistry registry;
  registry.GetHistogram("h_seconds", "help").Observe(0.007);
  const std::string text = registry.RenderPrometheus();
  EXPECT_NE(text.find("h_seconds_bucket{le=\"0.005\"} 0\n"
                      "h_seconds_bucket{le=\"0.01\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("h_seconds_bucket{le=\"10\"} 1\nh_seconds_bucket{le=\"+Inf\"} 1\n"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace timestore::observability
