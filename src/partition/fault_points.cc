#include "partition/fault_points.h"

#include <signal.h>
#include <unistd.h>

namespace timestore::partition {

FaultPoints KillProcessAt(std::string_view point) {
  FaultPoints points;
  if (point == "after_put" || point == "compaction_before_commit") {
    points.after_publish = [](const catalog::NewPartition&) {
      kill(getpid(), SIGKILL);
      return common::Status::Ok();
    };
  } else if (point == "after_commit") {
    points.after_commit = [] { kill(getpid(), SIGKILL); };
  }
  return points;
}

}  // namespace timestore::partition
