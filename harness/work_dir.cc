#include "harness/work_dir.h"

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <utility>
#include <vector>

#include <stdlib.h>

namespace timestore::harness {

common::Result<WorkDir> WorkDir::Create(bool keep, CleanupRegistry* cleanup,
                                        std::string_view prefix) {
  std::string pattern = std::filesystem::temp_directory_path() / (std::string(prefix) + "XXXXXX");
  if (::mkdtemp(pattern.data()) == nullptr) {
    return common::Internal(std::string("mkdtemp: ") + std::strerror(errno));
  }
  WorkDir dir;
  dir.path_ = pattern;
  dir.keep_ = keep;
  dir.cleanup_ = cleanup;
  if (!keep && cleanup != nullptr) {
    dir.cleanup_id_ = cleanup->Add([path = dir.path_] {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    });
  }
  return dir;
}

WorkDir::WorkDir(WorkDir&& other) noexcept
    : path_(std::exchange(other.path_, {})),
      keep_(other.keep_),
      cleanup_(other.cleanup_),
      cleanup_id_(std::exchange(other.cleanup_id_, 0)) {}

WorkDir::~WorkDir() {
  if (cleanup_id_ != 0) cleanup_->Remove(cleanup_id_);
  if (path_.empty()) return;
  if (keep_) {
    std::printf("kept %s\n", path_.c_str());
  } else {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
}

void PrintLogTail(const std::string& path, size_t lines_wanted) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::fflush(stdout);
  if (lines.empty()) {
    std::fprintf(stderr, "%s is empty\n", path.c_str());
    return;
  }
  std::fprintf(stderr, "last lines of %s:\n", path.c_str());
  for (size_t i = lines.size() > lines_wanted ? lines.size() - lines_wanted : 0; i < lines.size();
       ++i) {
    std::fprintf(stderr, "  %s\n", lines[i].substr(0, 400).c_str());
  }
}

}  // namespace timestore::harness
