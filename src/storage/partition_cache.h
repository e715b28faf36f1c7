// PartitionCache: a local directory of copies of remote partition files, so that DuckDB can open
// them. Objects are immutable (a key is never reused), so entries are only ever evicted, never
// invalidated; eviction is least-recently-used by bytes. A file handed out as a CachedFile is
// pinned and is not deleted while the handle lives. Thread-safe. The cache owns its directory (one
// process at a time) and must outlive every CachedFile it returned.
//
// Layout: `<directory>/<store_id>/<key>`; downloads and copies in progress are `<directory>/.tmp-*`
// (removed at Open). Directories are never removed, so a rename into place never loses its parent.
#pragma once

#include <cstdint>
#include <future>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/status.h"
#include "observability/logger.h"
#include "observability/metrics.h"
#include "storage/object_store.h"

namespace timestore::storage {

struct PartitionCacheOptions {
  // TIMESTORE_CACHE_DIR: where cached files live; created when missing. Required.
  std::string directory;
  // TIMESTORE_CACHE_MAX_BYTES: unpinned files are evicted (least recently used first) while the
  // cache holds more than this. Must be >= 0. Default 10 GiB.
  int64_t max_bytes = 10ll << 30;
};

class PartitionCache;

// A pinned local copy of one object: the file at path() stays until this handle is destroyed (or
// moved from). Move-only; a default-constructed or moved-from handle is empty and pins nothing.
class CachedFile {
 public:
  CachedFile() = default;
  CachedFile(CachedFile&& other) noexcept;
  CachedFile& operator=(CachedFile&& other) noexcept;
  CachedFile(const CachedFile&) = delete;
  CachedFile& operator=(const CachedFile&) = delete;
  ~CachedFile();

  const std::string& path() const { return path_; }
  int64_t size_bytes() const { return size_bytes_; }
  // True when the file was already in the cache; false when this call (or a concurrent one it
  // waited for) downloaded it.
  bool was_cached() const { return was_cached_; }

 private:
  friend class PartitionCache;
  CachedFile(PartitionCache* cache, std::string id, std::string path, int64_t size_bytes,
             bool was_cached);
  void Release();

  PartitionCache* cache_ = nullptr;  // null when empty
  std::string id_;                   // "<store_id>/<key>", the index key
  std::string path_;
  int64_t size_bytes_ = 0;
  bool was_cached_ = false;
};

class PartitionCache {
 public:
  // Opens the cache in `options.directory` (made absolute, created when missing): indexes the files
  // already there (least recently used = oldest mtime), removes leftover `.tmp-*` files, then
  // evicts down to max_bytes. kInvalidArgument for an empty directory or negative max_bytes; I/O
  // errors as ErrnoStatus (posix_file.h). `metrics` (optional) must outlive the cache.
  static common::Result<std::unique_ptr<PartitionCache>> Open(
      const PartitionCacheOptions& options, observability::MetricsRegistry* metrics = nullptr);

  // Every CachedFile must be gone and no Fetch may be running (asserted).
  ~PartitionCache();
  PartitionCache(const PartitionCache&) = delete;
  PartitionCache& operator=(const PartitionCache&) = delete;

  // A pinned local copy of `key` in `store`. `store_id` names the store (one path segment, e.g.
  // the storage target id) so that equal keys of different stores do not collide. A hit costs no
  // I/O. A miss downloads the object once, even when several threads ask at the same time (they
  // wait for the first and share its outcome), then evicts unpinned files down to max_bytes; a file
  // larger than max_bytes is still returned, and evicted once released.
  // With `expected_sha256` (64 hex digits, either case) the download must hash to it; a mismatch
  // is retried once, then kInternal with nothing cached. A download the store itself refuses with
  // kInternal (its own checksum check, as S3ObjectStore's) is retried once the same way.
  // Errors: kInvalidArgument for a bad store_id, key or expected_sha256; kNotFound when the object
  // is absent (nothing is cached; a later call tries again); the store's and the disk's errors.
  common::Result<CachedFile> Fetch(ObjectStore& store, const std::string& store_id,
                                   const std::string& key,
                                   std::optional<std::string> expected_sha256 = {});

  // A pinned handle of `key` of `store_id` when it is in the cache now; nothing otherwise (no
  // download, not counted as a hit or miss). For files the process derives and places itself with
  // Insert (e.g. native copies of partitions). kInvalidArgument for a bad store_id or key.
  common::Result<std::optional<CachedFile>> Lookup(const std::string& store_id,
                                                   const std::string& key);

  // Write-through: places a copy of the local file `local_path` (a hard link when possible, so it
  // must not be modified afterwards; the source stays) into the cache as `key` of `store_id`, so
  // that the first Fetch is a hit. OK when the key is already cached or being fetched. Errors:
  // kInvalidArgument for a bad store_id or key; kNotFound when `local_path` does not exist; I/O
  // errors as ErrnoStatus.
  common::Status Insert(const std::string& store_id, const std::string& key,
                        const std::string& local_path);

  // Bytes and files currently in the cache, pinned or not.
  int64_t total_bytes() const;
  size_t file_count() const;
  const std::string& directory() const { return directory_; }

 private:
  friend class CachedFile;

  struct Entry {
    int64_t size_bytes = 0;
    int pins = 0;                          // live CachedFile handles; never evicted while > 0
    std::list<std::string>::iterator lru;  // position in lru_
  };
  struct Metrics {
    observability::Counter* hits = nullptr;
    observability::Counter* misses = nullptr;
    observability::Counter* bytes_downloaded = nullptr;
    observability::Counter* evictions = nullptr;
    observability::Histogram* download_seconds = nullptr;
    observability::Gauge* bytes = nullptr;
  };

  PartitionCache(std::string directory, int64_t max_bytes, observability::MetricsRegistry* metrics);

  common::Status Reindex();
  std::string PathOf(const std::string& id) const { return directory_ + "/" + id; }
  // Downloads `key` into a new temp file in the cache directory and returns its path and size;
  // leaves nothing behind on error.
  common::Result<std::pair<std::string, int64_t>> Download(
      ObjectStore& store, const std::string& key, const std::optional<std::string>& sha256);
  // Renames the complete temp file into place as `id` and indexes it (pinned `pins` times).
  common::Status PlaceLocked(const std::string& id, const std::string& temp_path,
                             int64_t size_bytes, int pins);
  // Deletes least recently used unpinned files until total_bytes_ <= max_bytes_.
  void EvictLocked();
  void Release(const std::string& id);
  void UpdateBytesGaugeLocked();

  const std::string directory_;  // absolute, no trailing '/'
  const int64_t max_bytes_;
  observability::Logger logger_;
  Metrics metrics_;

  mutable std::mutex mu_;
  // The index; every entry's file is on disk under PathOf(id). File system changes under the
  // directory (rename into place, unlink on eviction) happen while mu_ is held, so the index and
  // the disk agree for every key; downloads and copies never hold mu_.
  std::unordered_map<std::string, Entry> entries_;  // guarded by mu_
  std::list<std::string> lru_;                      // guarded by mu_; front = least recent
  int64_t total_bytes_ = 0;                         // guarded by mu_; sum of entry sizes
  std::unordered_map<std::string, std::shared_future<common::Status>>
      in_flight_;  // guarded by mu_; downloads running now, by id
};

}  // namespace timestore::storage
