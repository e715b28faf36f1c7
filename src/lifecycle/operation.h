// Lifecycle operations: the maintenance a job performs on one dataset (compaction, retention,
// export) or on every dataset (sweep). An Operation is stateless and thread-safe; a worker hands it
// one claimed job at a time through a JobContext. Operations must be safe to run again from the
// start after a crash or a lost lease (DESIGN.md invariants 2-5): their effects on the catalog are
// version commits with conflict checks, and files are written under fresh keys before any commit
// references them and deleted only by the sweeper.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "catalog/catalog.h"
#include "common/status.h"
#include "common/time.h"
#include "storage/object_store_registry.h"
#include "storage/partition_cache.h"

namespace timestore::lifecycle {

// Job kinds, as stored in lifecycle_jobs.kind and named in the admin API's `operations`.
inline constexpr std::string_view kCompaction = "compaction";
inline constexpr std::string_view kRetention = "retention";
inline constexpr std::string_view kExport = "export";
inline constexpr std::string_view kSweep = "sweep";

struct LifecycleOptions {
  // Compaction: live partitions below this size are "small" and get merged...
  int64_t compaction_small_bytes = 20ll << 20;  // TIMESTORE_COMPACTION_SMALL_BYTES
  // ... into files of about this size (an estimate from the inputs' sizes).
  int64_t compaction_target_bytes = 200ll << 20;  // TIMESTORE_COMPACTION_TARGET_BYTES
  // Rows one merge step reads at most (bounds memory); a group above it merges in several steps,
  // each committed on its own, so an interrupted job does not redo finished steps.
  int64_t compaction_max_rows_per_step = 2'000'000;  // TIMESTORE_COMPACTION_MAX_ROWS_PER_STEP
  // Memory all of compaction's merges in one process may use together (lifecycle/merge_budget.h).
  int64_t compaction_memory_limit_bytes = 256ll << 20;  // TIMESTORE_COMPACTION_MEMORY_LIMIT
  // Retention defaults for datasets without a policy of their own (the original's).
  int64_t retention_default_max_age_hours = 720;                   // 30 days
  int64_t retention_default_max_total_bytes = int64_t{500} << 30;  // 500 GiB
  int64_t retention_default_grace_minutes = 5;
  // Export: the least time between two scheduled exports of a dataset (on demand: any time).
  std::chrono::seconds export_min_interval{24 * 3600};  // TIMESTORE_EXPORT_MIN_INTERVAL_SECONDS
  // Sweeper: files of partitions removed longer ago than this are deleted ...
  std::chrono::seconds sweep_grace{300};  // TIMESTORE_SWEEP_GRACE_SECONDS
  // ... and objects no partition references, older than this, are orphans of failed writes.
  std::chrono::seconds sweep_orphan_age{3600};  // TIMESTORE_SWEEP_ORPHAN_AGE_SECONDS
};

// What an operation may use while running one job. Owned by the worker; valid during Run.
struct JobContext {
  catalog::Catalog& catalog;
  storage::ObjectStoreRegistry& stores;
  storage::PartitionCache* cache = nullptr;  // for reading remote partitions; may be null
  const LifecycleOptions& options;
  const catalog::Job& job;  // the claimed job: kind, dataset, payload, progress of earlier tries
  // The time "now" for the operation's decisions (age cut-offs, grace periods); tests fake it.
  std::function<common::UnixMicros()> now = common::NowMicros;
  // Extends the job's lease; long operations call it between steps. kConflict once the lease was
  // lost (another worker owns the job now): the operation must stop at once and return it.
  std::function<common::Status()> heartbeat = [] { return common::Status::Ok(); };
  // Saves resumable progress (a JSON document the next try finds in job.progress_json). Same
  // errors as heartbeat.
  std::function<common::Status(const std::string& progress_json)> save_progress =
      [](const std::string&) { return common::Status::Ok(); };
  // The actor recorded on version commits ("lifecycle:<worker id>").
  std::string actor = "lifecycle";
};

class Operation {
 public:
  virtual ~Operation() = default;
  virtual std::string_view kind() const = 0;
  // Runs the job and returns its result as a JSON object (stored in lifecycle_jobs.result and
  // shown by the admin API), e.g. {"partitionsMerged":12,"filesWritten":1,"version":42}. An error
  // makes the worker retry the job later (kUnavailable, kConflict) or, after the last attempt, fail
  // it; kInvalidArgument and kNotFound fail it at once (retrying cannot help).
  virtual common::Result<std::string> Run(JobContext& context) const = 0;
};

}  // namespace timestore::lifecycle
