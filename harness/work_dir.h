// WorkDir: the temporary directory of one benchmark run or test (/tmp/<prefix>XXXXXX), holding
// e.g. the server log, the storage root and PostgreSQL's state. It is removed when the WorkDir is
// destroyed and, through the CleanupRegistry when one is given, when the run is interrupted -
// unless it is kept for inspection. Move-only; one thread at a time.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/status.h"
#include "harness/cleanup_registry.h"

namespace timestore::harness {

class WorkDir {
 public:
  // Creates a fresh directory `<prefix>XXXXXX` under the system temporary directory. With `keep`,
  // it stays (and its path is printed) when the WorkDir goes away. `cleanup` may be null; else it
  // must outlive the WorkDir. kInternal when the directory cannot be made.
  static common::Result<WorkDir> Create(bool keep, CleanupRegistry* cleanup,
                                        std::string_view prefix = "timestore-bench.");

  WorkDir(WorkDir&& other) noexcept;
  WorkDir& operator=(WorkDir&&) = delete;
  WorkDir(const WorkDir&) = delete;
  WorkDir& operator=(const WorkDir&) = delete;
  ~WorkDir();

  const std::string& path() const { return path_; }

 private:
  WorkDir() = default;

  std::string path_;  // empty in a moved-from WorkDir
  bool keep_ = false;
  CleanupRegistry* cleanup_ = nullptr;
  CleanupRegistry::Id cleanup_id_ = 0;  // 0: nothing registered
};

// Prints the last `lines_wanted` lines of the text file at `path` to stderr (a server log after a
// failure).
void PrintLogTail(const std::string& path, size_t lines_wanted);

}  // namespace timestore::harness
