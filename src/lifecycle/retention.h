// Retention: each dataset keeps its data for a bounded age and a bounded total size. The policy is
// a JSON document per dataset (catalog::RetentionRepository); datasets without one get the
// defaults of LifecycleOptions. PlanRetention decides which live partitions go; the admin dry run
// and RetentionOperation share it, so the preview lists exactly what a run at the same version and
// time removes. Files are not deleted here: the sweeper deletes them once the grace period after
// the retention version has passed (DESIGN.md invariant 3). Stateless and thread-safe.
//
// Decisions:
// - Age works on whole partitions: a partition expires when its observed end_time (its newest row)
//   is older than now - maxAgeHours. A partition straddling the cut-off is KEPT until all of its
//   rows are expired: retention never rewrites a file and never deletes a row that is still inside
//   the retention period; the price is that up to one partition window of older rows outlives the
//   cut-off.
// - Size works on the WHOLE dataset (the original applied it per day shard): while the live
//   partitions left after the age rule hold more than maxTotalBytes, the oldest go (by end_time,
//   then start_time, then id).
// - An absent rule is not applied; a policy must have at least one rule.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/catalog.h"
#include "common/status.h"
#include "common/time.h"
#include "lifecycle/operation.h"

namespace timestore::lifecycle {

// {"rules":{"maxAgeHours":N,"maxTotalBytes":N},"deleteGraceMinutes":N}
struct RetentionPolicy {
  std::optional<int64_t> max_age_hours;    // 0 .. kMaxRetentionAgeHours; unset: no age limit
  std::optional<int64_t> max_total_bytes;  // >= 0; unset: no size limit
  // How long after the retention version its files stay on the storage target (queries in flight
  // and asOfVersion readers keep working meanwhile). Unset: the sweeper's default grace
  // (LifecycleOptions::sweep_grace).
  std::optional<int64_t> delete_grace_minutes;  // 0 .. kMaxRetentionGraceMinutes
  bool operator==(const RetentionPolicy&) const = default;
};

inline constexpr int64_t kMaxRetentionAgeHours = 10'000'000;       // about 1,100 years
inline constexpr int64_t kMaxRetentionGraceMinutes = 100'000'000;  // about 190 years

// Validates a policy document. kInvalidArgument with a message naming the field
// ("rules.maxAgeHours: must be a non-negative integer", "rules: at least one of maxAgeHours and
// maxTotalBytes is required", "rules.maxRows: unknown field").
common::Result<RetentionPolicy> ParseRetentionPolicy(std::string_view json);
// The canonical document of `policy` (unset members left out); ParseRetentionPolicy reads it back.
std::string RetentionPolicyJson(const RetentionPolicy& policy);
// The policy of datasets without one: the retention_default_* options.
RetentionPolicy DefaultRetentionPolicy(const LifecycleOptions& options);

struct StoredRetentionPolicy {
  RetentionPolicy policy;
  bool is_default = true;  // false: the dataset's own policy
  std::optional<std::string> updated_by;
  std::optional<common::UnixMicros> updated_at;
};
// The dataset's own policy, or the default. kInternal when the stored document no longer parses
// (it was validated when stored).
common::Result<StoredRetentionPolicy> LoadRetentionPolicy(catalog::Catalog& catalog,
                                                          const catalog::DatasetId& dataset_id,
                                                          const LifecycleOptions& options);
// Validates `policy_json` and stores it as the dataset's policy (canonical form). kInvalidArgument
// for a bad document, kNotFound for an unknown dataset.
common::Result<RetentionPolicy> PutRetentionPolicy(catalog::Catalog& catalog,
                                                   const catalog::DatasetId& dataset_id,
                                                   std::string_view policy_json,
                                                   const std::optional<std::string>& updated_by);

inline constexpr std::string_view kRetentionReasonAge = "age";
inline constexpr std::string_view kRetentionReasonSize = "size";

struct RetentionCandidate {
  catalog::Partition partition;
  std::string_view reason;  // kRetentionReasonAge or kRetentionReasonSize
};

struct RetentionPlan {
  catalog::DatasetId dataset_id;
  int64_t version = 0;  // the manifest version planned against
  common::UnixMicros now = 0;
  std::optional<common::UnixMicros> age_cutoff;  // partitions ending before it expire by age
  RetentionPolicy policy;
  std::vector<RetentionCandidate> remove;  // age removals first, then size removals oldest first
  int64_t rows = 0;                        // totals of `remove`
  int64_t bytes = 0;
  int64_t by_age = 0;
  int64_t by_size = 0;
  int64_t live_partitions = 0;  // the live set at `version`
  int64_t live_bytes = 0;
};

// The partitions of `dataset`'s current version that `policy` removes at time `now`. Reads the
// catalog only. kNotFound for an unknown dataset.
common::Result<RetentionPlan> PlanRetention(catalog::Catalog& catalog,
                                            const catalog::Dataset& dataset,
                                            const RetentionPolicy& policy, common::UnixMicros now);
// (The dry-run answer's JSON form is api::RetentionPlanJson.)
// Job kind kRetention; the job names a dataset. Plans with the dataset's policy at context.now()
// and commits ONE version of kind retention removing the planned partitions, expecting the planned
// version: when another commit came first, it plans again once, then returns kConflict (the worker
// retries later). Nothing to remove: no commit. Result: {"partitionsRemoved":N,"rowsRemoved":N,
// "bytesRemoved":N,"byAge":N,"bySize":N,"version":V|null,"policy":{...}}. Errors: kInvalidArgument
// for a job without a dataset; kNotFound for an unknown dataset; the catalog's errors.
class RetentionOperation : public Operation {
 public:
  std::string_view kind() const override { return kRetention; }
  common::Result<std::string> Run(JobContext& context) const override;
};

}  // namespace timestore::lifecycle
