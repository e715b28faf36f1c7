// Small measurement helpers shared by the benchmark tools: durations in seconds, percentiles of a
// sample, megabytes, and strict number parsing for command-line options. Pure functions;
// thread-safe.
#pragma once

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace timestore::bench {

using Clock = std::chrono::steady_clock;

inline double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

inline double Millis(Clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

// The nearest-rank percentile (p in [0, 1]) of `values`; 0 for an empty sample.
inline double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto index = static_cast<size_t>(std::ceil(p * static_cast<double>(values.size())));
  return values[std::min(values.size() - 1, index == 0 ? 0 : index - 1)];
}

inline double Median(const std::vector<double>& values) { return Percentile(values, 0.5); }

// Percentile(values, p) as "%.2f" text (milliseconds in tables); "-" for an empty sample.
inline std::string PercentileText(const std::vector<double>& values, double p) {
  if (values.empty()) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", Percentile(values, p));
  return buf;
}

inline double Mb(uint64_t bytes) { return static_cast<double>(bytes) / 1e6; }

// Parses all of `text` as a T (std::from_chars); false when it is not exactly one number.
template <typename T>
bool ParseNumber(std::string_view text, T* out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace timestore::bench
