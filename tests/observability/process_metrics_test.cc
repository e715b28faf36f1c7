#include "observability/process_metrics.h"

#include <chrono>
#include <optional>
#include <string>

#include <gtest/gtest.h>

namespace timestore::observability {
namespace {

// The value of the unlabelled sample `name` in `text`.
std::optional<double> Sample(const std::string& text, const std::string& name) {
  const size_t at = text.find("\n" + name + " ");
  if (at == std::string::npos) return std::nullopt;
  return std::stod(text.substr(at + name.size() + 2));
}

TEST(ProcessMetricsTest, ReportsResidentMemoryOpenFdsAndStartTime) {
  MetricsRegistry registry;
  AddProcessMetrics(registry);
  const std::string text = registry.RenderPrometheus();
  const auto rss = Sample(text, "timestore_process_resident_memory_bytes");
  const auto fds = Sample(text, "timestore_process_open_fds");
  const auto started = Sample(text, "timestore_process_start_time_seconds");
  ASSERT_TRUE(rss && fds && started) << text;
  EXPECT_GT(*rss, 1 << 20);
  EXPECT_GE(*fds, 3);  // stdin, stdout, stderr at least
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_LE(*started, now + 1);  // btime has a one-second resolution
  EXPECT_GT(*started, now - 24 * 3600);
}

}  // namespace
}  // namespace timestore::observability
