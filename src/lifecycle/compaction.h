// CompactionOperation: merges a dataset's small live partitions that share a storage target,
// partition key and time window into fewer, larger files (DESIGN.md "Lifecycle"). Each merge step
// reads its inputs with DuckDB outside any catalog transaction, publishes the output under a fresh
// key and commits one version that swaps the inputs for it; a step whose inputs were removed
// meanwhile (another compaction, retention) loses the commit's conflict check and its output is
// deleted. Stateless and thread-safe: one instance may run many jobs at once.
#pragma once

#include <mutex>
#include <string>
#include <string_view>

#include "catalog/types.h"
#include "common/status.h"
#include "lifecycle/operation.h"
#include "observability/logger.h"
#include "partition/fault_points.h"

namespace timestore::lifecycle {

// Job payload: a JSON object; `{}` compacts every eligible group of context.job.dataset_id.
//
// Eligible: partitions live at the current version with file_size_bytes < compaction_small_bytes,
// grouped by (storage target, partition_key_json, window_start, window_end); a group with fewer
// than two is left alone. A group's partitions, in start-time order, are packed into steps of at
// most compaction_target_bytes (the inputs' sizes summed), compaction_max_rows_per_step rows and
// the memory budget's max_inputs_per_step files (lifecycle/merge_budget.h); a step with a single
// input is skipped. Merges run one at a time per instance on a DuckDB instance limited by
// compaction_memory_limit_bytes (sorts spill to a directory next to the staging file, removed
// after the step); a step whose merge still cannot stay within it is split into two halves,
// merged and committed as steps of their own, and one of two or three inputs is left unmerged.
// Each step writes one file in the dataset's current
// write_format holding every input row sorted by the timestamp column, with the columns of the
// newest schema version among its inputs (absent columns NULL), and commits one version (kind
// compaction) with the same partition key, window and storage target, the inputs' attributes
// merged (the earliest input wins on a key), and the partition writer's column statistics.
//
// Result: {"groups":N,"steps":N,"partitionsMerged":N,"filesWritten":N,"rows":N,"bytesBefore":N,
// "bytesAfter":N,"conflicts":N,"overBudget":N,"version":V|null}. "groups" counts the eligible
// groups this try found; the other members count the committed steps of the whole job, including
// those of earlier tries (carried in the progress document, saved after every committed step);
// "conflicts" counts steps discarded because an input was no longer live, "overBudget" steps left
// unmerged because they need more memory than compaction_memory_limit_bytes; "version" is the
// last version the job committed.
//
// Errors (the worker's retry rules apply): kInvalidArgument for a job without a dataset or a
// payload that is not a JSON object; kNotFound for an unknown dataset; kInternal when an input's
// checksum does not match, the merged file's row count differs from the inputs' (the output is
// discarded) or a schema version is missing; the heartbeat's and save_progress's errors (the job
// stops at once); storage and catalog errors as they come. After any error the steps already
// committed stay committed, and running the job again continues with what is still small.
class CompactionOperation : public Operation {
 public:
  // `faults` (tests): after_publish runs after a step's output is published and before the commit
  // that references it; an error fails the step as a crash there would (the job returns it, the
  // manifest is unchanged, the output is deleted, best effort). after_commit runs after each
  // committed step.
  explicit CompactionOperation(partition::FaultPoints faults = {});

  std::string_view kind() const override { return kCompaction; }
  common::Result<std::string> Run(JobContext& context) const override;

 private:
  partition::FaultPoints faults_;
  observability::Logger logger_;
  // Held while a step merges: the merges of all jobs this instance runs take turns, so that
  // TIMESTORE_COMPACTION_MEMORY_LIMIT bounds them together (one instance per process).
  mutable std::timed_mutex merge_mutex_;
};

}  // namespace timestore::lifecycle
