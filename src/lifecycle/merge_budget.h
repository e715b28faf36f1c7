// MergeBudget: how compaction spends its memory budget (TIMESTORE_COMPACTION_MEMORY_LIMIT) on a
// merge - the settings of the DuckDB instance that reads, sorts and writes one step, and the most
// input files one step may read. CompactionOperation runs one merge at a time per process, so the
// budget bounds all of compaction's merges together. Plain value; thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "duck/database.h"

namespace timestore::lifecycle {

struct MergeBudget {
  // The budget, in bytes.
  int64_t budget_bytes = 0;
  // DuckDB's memory_limit. It bounds what DuckDB's buffer manager tracks (the sort's runs, the
  // buffered Parquet row group, read buffers); a sort beyond it spills to the temp directory. The
  // rest of a merge is untracked - the Parquet writer's page and compression buffers, the readers'
  // per-file state, allocator slack - measured at 45-75 MiB per thread on TSBS rows
  // (bench/compaction_bench), so it is kept outside the limit. Whole MiB.
  int64_t duckdb_memory_limit_bytes = 0;
  // DuckDB worker threads: one per 512 MiB of budget, at least one, at most the machine's.
  int threads = 1;
  // Input files one merge step reads at most (each costs a few KiB of reader state): 1 per 128 KiB
  // of budget, at least two.
  int64_t max_inputs_per_step = 2;

  // The budget for `budget_bytes` on a machine with `hardware_threads` threads (0: unknown).
  static MergeBudget For(int64_t budget_bytes, unsigned hardware_threads);

  // The options of a merge's in-memory DuckDB instance: memory_limit and threads as above,
  // temp_directory `spill_dir` (created by DuckDB when it first spills),
  // preserve_insertion_order=false (every merge statement that needs an order has an ORDER BY,
  // which DuckDB keeps regardless) and no external file cache (each input is read once).
  duck::DatabaseOptions DatabaseOptions(const std::string& spill_dir) const;
};

}  // namespace timestore::lifecycle
