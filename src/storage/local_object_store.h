// LocalObjectStore: an ObjectStore on a local directory tree; the object `a/b/c` is the file
// `<root>/a/b/c`, readable in place. The store owns `root`: nothing else writes or removes files
// under it (several stores, in one or several processes, may share one root). Thread-safe.
//
// Layout: writes go to `<dir>/.tmp-<pid>-<random>` and are renamed into place without replacing
// (renameat2 RENAME_NOREPLACE, or link(2) where the filesystem lacks it); `<root>/.tmp-staging` is
// the staging directory. Directories are never removed, so a concurrent put never loses the
// directory it writes into; empty directories left by Delete cost nothing but a directory entry.
// A key cannot continue below an existing object (`a/b` and `a/b/c`): such a put is kConflict.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "common/status.h"
#include "observability/logger.h"
#include "observability/metrics.h"
#include "storage/object_store.h"
#include "storage/object_store_metrics.h"

namespace timestore::storage {

class LocalObjectStore final : public ObjectStore {
 public:
  // Opens the store at `root` (made absolute), creating it and its staging directory when missing.
  // kInvalidArgument for an empty root; kUnavailable when the root cannot be created or written.
  // `metrics` (optional) must outlive the store.
  static common::Result<std::unique_ptr<LocalObjectStore>> Open(
      const std::string& root, observability::MetricsRegistry* metrics = nullptr);

  std::optional<std::string> LocalPath(std::string_view key) const override;
  std::string StagingDirectory() const override;
  std::string Describe() const override;
  common::Status CheckAvailable() override;  // the root is a writable directory

  const std::string& root() const { return root_; }

 private:
  LocalObjectStore(std::string root, observability::MetricsRegistry* metrics);

  std::string PathOf(std::string_view key) const;
  common::Status DoPutFile(std::string_view key, const std::string& local_path,
                           const PutOptions& options, int64_t& bytes) override;
  // Renames the source into place; nothing when the source is not on this filesystem (the caller
  // copies instead), else the outcome.
  std::optional<common::Status> TryMoveIntoPlace(std::string_view key, const std::string& source,
                                                 const std::string& dest, const std::string& dir,
                                                 const PutOptions& options, int64_t& bytes);
  common::Status CopyIntoPlace(std::string_view key, const std::string& source,
                               const std::string& dest, const std::string& dir,
                               const PutOptions& options, int64_t& bytes);
  common::Status DoGetFile(std::string_view key, const std::string& dest_path,
                           int64_t& bytes) override;
  common::Status DoDelete(std::string_view key) override;
  common::Result<std::vector<ObjectInfo>> DoList(std::string_view prefix) override;
  common::Result<std::optional<ObjectInfo>> DoStat(std::string_view key) override;
  // Creates the directory `relative_dir` (a key prefix without trailing '/', "" for the root) and
  // makes every entry on the way from the root durable.
  common::Status EnsureDirectory(std::string_view key, std::string_view relative_dir);

  const std::string root_;         // absolute, normalized, no trailing '/' (unless "/")
  const std::string staging_dir_;  // <root>/.tmp-staging

  std::mutex mu_;
  // Directories below the root whose own entry is known to be on disk (its parent was fsynced
  // after it existed). Only grows: the store never removes directories.
  std::unordered_set<std::string> durable_dirs_;  // guarded by mu_
};

}  // namespace timestore::storage
