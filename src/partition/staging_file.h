// StagingFile: owns a partition file being written under a temporary or staging name, and removes
// it - with the write-ahead log DuckDB may have left next to it - when the scope ends, unless
// released (the file was published). Move-only in spirit (not copyable); not thread-safe.
#pragma once

#include <filesystem>
#include <string>
#include <system_error>
#include <utility>

namespace timestore::partition {

class StagingFile {
 public:
  explicit StagingFile(std::string path) : path_(std::move(path)) {}
  StagingFile(const StagingFile&) = delete;
  StagingFile& operator=(const StagingFile&) = delete;
  ~StagingFile() {
    if (path_.empty()) return;
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
    std::filesystem::remove(path_ + ".wal", ignored);
  }

  const std::string& path() const { return path_; }
  // Keeps the file: nothing is removed at the end of the scope.
  void Release() { path_.clear(); }

 private:
  std::string path_;  // empty once released
};

}  // namespace timestore::partition
