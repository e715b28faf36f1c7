// LocalCopy: an object of a store made readable as a local file, for DuckDB: the file in place for
// a local store, or a copy pinned in the PartitionCache for a remote one (downloaded once, checked
// against its SHA-256). The read path and the lifecycle workers use it alike. Move-only.
#pragma once

#include <optional>
#include <string>

#include "common/status.h"
#include "storage/object_store.h"
#include "storage/partition_cache.h"

namespace timestore::storage {

struct LocalCopy {
  std::string path;  // readable while this lives
  CachedFile pin;    // remote objects: holds the cached copy; empty for local stores
  enum class Source { kLocal, kCache, kDownload };
  Source source = Source::kLocal;
};

// `store_id` names the store in the cache (the storage target id). Errors: kInternal when the
// store is remote and `cache` is null; the cache's and the store's errors (kNotFound for a missing
// object, kInternal for a checksum mismatch, kUnavailable for an unreachable store).
common::Result<LocalCopy> OpenLocalCopy(ObjectStore& store, const std::string& store_id,
                                        const std::string& key,
                                        const std::optional<std::string>& sha256,
                                        PartitionCache* cache);

}  // namespace timestore::storage
