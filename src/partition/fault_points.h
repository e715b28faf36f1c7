// FaultPoints: the test seams of the write paths that publish partition files (ingest and
// compaction), at the moments where a crash matters (DESIGN.md invariants 3 and 4). Passed in a
// service's options; empty members do nothing. KillProcessAt builds the set the service binary
// takes from TIMESTORE_FAULT_INJECTION. Plain value; the callbacks must be thread-safe.
#pragma once

#include <functional>
#include <string_view>

#include "catalog/types.h"
#include "common/status.h"

namespace timestore::partition {

struct FaultPoints {
  // After a new partition file is published to its store and before the version commit that
  // references it. An error fails the write as a crash at that point would: nothing is committed
  // and the file is left for the sweeper (compaction deletes it, best effort).
  std::function<common::Status(const catalog::NewPartition& file)> after_publish;
  // After a version commit of the write path succeeded, before its callers are answered.
  std::function<void()> after_commit;
};

// Points that kill the process (SIGKILL) at `point`: "after_put" and "compaction_before_commit"
// at after_publish, "after_commit" at after_commit; "" (or anything else) kills nowhere.
FaultPoints KillProcessAt(std::string_view point);

}  // namespace timestore::partition
