// MetricsRegistry: counters, gauges and histograms, grouped in families with label sets, rendered
// in the Prometheus text exposition format (version 0.0.4). Families and series are created on
// first use and live as long as the registry; the returned references stay valid. Collectors
// refresh values read at scrape time. All operations are thread-safe; updates to a series are
// lock-free.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace timestore::observability {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void Increment(double by = 1.0);  // `by` must be >= 0
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Add(double by);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void Observe(double v);
  const std::vector<double>& upper_bounds() const { return bounds_; }
  // Cumulative counts per bound, then the +Inf count; plus the sum of observations.
  std::vector<uint64_t> CumulativeCounts() const;
  double sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // bounds_.size() + 1 buckets, not cumulative
  std::atomic<double> sum_{0.0};
};

// Default latency buckets in seconds: prom-client's defaults, as the original used for every
// duration (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10; slower lands in +Inf).
std::vector<double> DefaultLatencyBuckets();

class MetricsRegistry {
 public:
  // Returns the series of family `name` with `labels`, creating both on first use. Asking for an
  // existing family with another kind is a programmer error (asserted).
  Counter& GetCounter(std::string_view name, std::string_view help, const Labels& labels = {});
  Gauge& GetGauge(std::string_view name, std::string_view help, const Labels& labels = {});
  Histogram& GetHistogram(std::string_view name, std::string_view help, const Labels& labels = {},
                          std::vector<double> upper_bounds = DefaultLatencyBuckets());

  // Registers `collect`, run by every RenderPrometheus before it renders, in registration order,
  // to set values that are read at scrape time (gauges of pool usage, process memory). It may call
  // the Get* functions but not AddCollector. Whatever it refers to must outlive the registry's
  // renders. Collectors of concurrent renders do not overlap.
  void AddCollector(std::function<void()> collect);

  // Runs the collectors, then returns the whole registry in Prometheus text format, families
  // sorted by name.
  std::string RenderPrometheus() const;

 private:
  enum class Kind { kCounter, kGauge, kHistogram };
  struct Family {
    Kind kind;
    std::string help;
    std::map<Labels, std::unique_ptr<Counter>> counters;
    std::map<Labels, std::unique_ptr<Gauge>> gauges;
    std::map<Labels, std::unique_ptr<Histogram>> histograms;
  };
  Family& GetFamily(std::string_view name, std::string_view help, Kind kind);

  mutable std::mutex mu_;
  std::map<std::string, Family, std::less<>> families_;  // guarded by mu_
  mutable std::mutex collectors_mu_;                     // held while collectors run
  std::vector<std::function<void()>> collectors_;        // guarded by collectors_mu_
};

}  // namespace timestore::observability
