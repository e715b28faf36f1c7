// SweepOperation: deletes the files nothing needs any more (DESIGN.md invariant 3, "unpublish
// before delete"). Stateless and thread-safe; safe to run again from the start at any point.
//
// - Removed files: a partition removed from the manifest (compaction, retention, delete) keeps its
//   file until the version that removed it is older than the grace period: the dataset's policy
//   deleteGraceMinutes when it sets one, else LifecycleOptions::sweep_grace. Then the object is
//   deleted from its storage target and the partition row gets file_deleted_at. A sweep stopped
//   between the two steps deletes again (ObjectStore::Delete is idempotent) and marks next time.
// - Orphans: objects under `<slug>/` of each dataset in scope, on every storage target, that no
//   partition row (live or removed) and no export row references and that were written longer than
//   LifecycleOptions::sweep_orphan_age ago: files of failed or crashed writes. The store is listed
//   BEFORE the catalog is asked, so an object whose commit landed meanwhile is seen as referenced;
//   a write publishes and commits within seconds, far less than the orphan age. Keys under
//   `exports/` belong to the export operation and are never touched; only keys shaped like a
//   partition file (`<slug>/<name>=<value>/...`) are considered.
// - Queries in flight never lose a file: they read the live set of a committed version and run far
//   shorter than the grace; files of remote targets are read from copies pinned in the local
//   partition cache, which the sweeper never touches. A reader of an old version (asOfVersion)
//   sees its files only until the grace after their removal has passed.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "lifecycle/operation.h"

namespace timestore::lifecycle {

// Job kind kSweep; the job's dataset may be unset (= every dataset). Works in batches of at most
// kSweepBatchSize objects and calls context.heartbeat() after each. Result:
// {"filesDeleted":N,"bytesDeleted":N,"orphansDeleted":N,"keys":[the first 100 deleted keys]};
// filesDeleted counts removed partitions' files, orphansDeleted orphans, bytesDeleted both. Errors:
// kNotFound for an unknown dataset; the store's and the catalog's errors (a failed delete stops
// the sweep; what was deleted so far is marked or found again next time).
class SweepOperation : public Operation {
 public:
  // `after_delete_batch` (tests only) runs after a batch of removed files was deleted and before
  // it is marked; an error it returns stops the sweep there, as a crash would.
  explicit SweepOperation(std::function<common::Status()> after_delete_batch = {})
      : after_delete_batch_(std::move(after_delete_batch)) {}

  std::string_view kind() const override { return kSweep; }
  common::Result<std::string> Run(JobContext& context) const override;

 private:
  std::function<common::Status()> after_delete_batch_;
};

inline constexpr int kSweepBatchSize = 500;
inline constexpr size_t kSweepResultKeys = 100;

}  // namespace timestore::lifecycle
