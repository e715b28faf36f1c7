#include "storage/local_copy.h"

namespace timestore::storage {

common::Result<LocalCopy> OpenLocalCopy(ObjectStore& store, const std::string& store_id,
                                        const std::string& key,
                                        const std::optional<std::string>& sha256,
                                        PartitionCache* cache) {
  LocalCopy copy;
  if (std::optional<std::string> path = store.LocalPath(key)) {
    copy.path = std::move(*path);
    return copy;
  }
  if (cache == nullptr) return common::Internal("remote objects need a partition cache: " + key);
  TS_ASSIGN_OR_RETURN(CachedFile file, cache->Fetch(store, store_id, key, sha256));
  copy.path = file.path();
  copy.source = file.was_cached() ? LocalCopy::Source::kCache : LocalCopy::Source::kDownload;
  copy.pin = std::move(file);
  return copy;
}

}  // namespace timestore::storage
