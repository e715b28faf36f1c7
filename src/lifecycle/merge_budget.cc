#include "lifecycle/merge_budget.h"

#include <algorithm>

namespace timestore::lifecycle {
namespace {

constexpr int64_t kMiB = int64_t{1} << 20;
// Below this DuckDB cannot hold a sort block next to a buffered row group of narrow rows.
constexpr int64_t kMinDuckdbLimit = 32 * kMiB;
// Budget per DuckDB thread, and the untracked memory a thread adds (see duckdb_memory_limit_bytes).
constexpr int64_t kBudgetPerThread = 512 * kMiB;
constexpr int64_t kUntrackedPerThread = 64 * kMiB;
// Budget per input file a step may read.
constexpr int64_t kBudgetPerInput = int64_t{128} << 10;

}  // namespace

MergeBudget MergeBudget::For(int64_t budget_bytes, unsigned hardware_threads) {
  MergeBudget b;
  b.budget_bytes = budget_bytes;
  const int64_t cores = hardware_threads == 0 ? 1 : hardware_threads;
  b.threads = static_cast<int>(std::clamp<int64_t>(budget_bytes / kBudgetPerThread, 1, cores));
  // Untracked memory: kUntrackedPerThread per thread, and 15% of the budget for what grows with
  // the limit (allocator slack, more sort runs).
  const int64_t reserve = kUntrackedPerThread * b.threads + budget_bytes / 100 * 15;
  b.duckdb_memory_limit_bytes = std::max((budget_bytes - reserve) / kMiB * kMiB, kMinDuckdbLimit);
  b.max_inputs_per_step = std::max<int64_t>(2, budget_bytes / kBudgetPerInput);
  return b;
}

duck::DatabaseOptions MergeBudget::DatabaseOptions(const std::string& spill_dir) const {
  duck::DatabaseOptions o;
  o.threads = threads;
  o.memory_limit = std::to_string(duckdb_memory_limit_bytes / kMiB) + "MiB";
  o.extra.emplace_back("temp_directory", spill_dir);
  o.extra.emplace_back("preserve_insertion_order", "false");
  o.extra.emplace_back("enable_external_file_cache", "false");
  return o;
}

}  // namespace timestore::lifecycle
