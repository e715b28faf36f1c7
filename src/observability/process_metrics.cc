#include "observability/process_metrics.h"

#include <charconv>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <system_error>

#include <unistd.h>

namespace timestore::observability {
namespace {

// Resident set size: the second field of /proc/self/statm, in pages.
std::optional<double> ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  long long size_pages = 0;
  long long resident_pages = 0;
  if (!(statm >> size_pages >> resident_pages)) return std::nullopt;
  const long page = sysconf(_SC_PAGESIZE);
  if (page <= 0) return std::nullopt;
  return static_cast<double>(resident_pages) * static_cast<double>(page);
}

// Entries of /proc/self/fd (including the one used to list it, as other exporters count).
std::optional<double> OpenFds() {
  std::error_code ec;
  std::filesystem::directory_iterator it("/proc/self/fd", ec);
  if (ec) return std::nullopt;
  double count = 0;
  for (const std::filesystem::directory_iterator end; it != end; it.increment(ec)) {
    if (ec) return std::nullopt;
    ++count;
  }
  return count;
}

// Seconds since the epoch when the process started: boot time (btime of /proc/stat) plus the
// process's start in clock ticks after boot (field 22 of /proc/self/stat).
std::optional<double> StartTimeSeconds() {
  std::ifstream stat("/proc/self/stat");
  std::string line;
  if (!std::getline(stat, line)) return std::nullopt;
  // Field 2 (comm) is parenthesised and may hold spaces: count fields after its closing ')'.
  const size_t close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(line.substr(close + 1));
  std::string field;
  for (int i = 3; i <= 22; ++i) {  // fields 3..22
    if (!(fields >> field)) return std::nullopt;
  }
  double start_ticks = 0;
  const auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), start_ticks);
  if (ec != std::errc() || end != field.data() + field.size()) return std::nullopt;

  std::ifstream proc_stat("/proc/stat");
  std::string key;
  double boot_time = -1;
  while (proc_stat >> key) {
    if (key == "btime") {
      proc_stat >> boot_time;
      break;
    }
    proc_stat.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  const long ticks_per_second = sysconf(_SC_CLK_TCK);
  if (boot_time < 0 || ticks_per_second <= 0) return std::nullopt;
  return boot_time + start_ticks / static_cast<double>(ticks_per_second);
}

}  // namespace

void AddProcessMetrics(MetricsRegistry& registry) {
  Gauge& resident = registry.GetGauge("timestore_process_resident_memory_bytes",
                                      "Resident memory size in bytes.");
  Gauge& open_fds =
      registry.GetGauge("timestore_process_open_fds", "Number of open file descriptors.");
  Gauge& start_time = registry.GetGauge("timestore_process_start_time_seconds",
                                        "Start time of the process since unix epoch in seconds.");
  if (auto started = StartTimeSeconds()) {
    start_time.Set(*started);
  } else {
    start_time.Set(
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count());
  }
  registry.AddCollector([&resident, &open_fds] {
    if (auto bytes = ResidentBytes()) resident.Set(*bytes);
    if (auto fds = OpenFds()) open_fds.Set(*fds);
  });
}

}  // namespace timestore::observability
