// StorageTargetRepository: where partition files live (local directories, S3 buckets). Thread-safe;
// every call borrows a connection from the pool.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "catalog/pg_pool.h"
#include "catalog/types.h"
#include "common/status.h"

namespace timestore::catalog {

class StorageTargetRepository {
 public:
  explicit StorageTargetRepository(PgPool& pool) : pool_(pool) {}

  // Creates the target `name` (or updates its kind and config) and makes it the only default.
  // Safe when several processes boot at once.
  common::Result<StorageTarget> EnsureDefault(const std::string& name, StorageKind kind,
                                              const std::string& config_json);
  // A new, non-default target. kAlreadyExists when the name is taken; kInvalidArgument for an
  // empty name. The config is stored as given (the caller validates it).
  common::Result<StorageTarget> Create(const NewStorageTarget& target);
  // Applies `patch` and bumps updated_at. kNotFound for an unknown target, kAlreadyExists when the
  // new name is taken, kInvalidArgument for an empty patch or name.
  // With `expected_updated_at` (the updated_at the patch was computed from), kConflict when the
  // target changed since: the caller re-reads and merges again (a compare-and-set).
  common::Result<StorageTarget> Update(const StorageTargetId& id, const StorageTargetPatch& patch,
                                       std::optional<UnixMicros> expected_updated_at = {});
  // kNotFound when absent.
  common::Result<StorageTarget> Get(const StorageTargetId& id);
  common::Result<std::optional<StorageTarget>> FindDefault();
  common::Result<std::vector<StorageTarget>> List();

 private:
  PgPool& pool_;
};

}  // namespace timestore::catalog
