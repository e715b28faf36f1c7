#include "storage/partition_cache.h"

#include <algorithm>
#include <cassert>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <system_error>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include "storage/posix_file.h"
#include "storage/sha256_hasher.h"

namespace timestore::storage {
namespace {

namespace fs = std::filesystem;
using common::Result;
using common::Status;

constexpr int kDownloadAttempts = 2;  // a checksum mismatch (ours or the store's) is retried once

std::string RandomHex() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

// The index key "<store_id>/<key>", which is also the file's path below the cache directory.
Result<std::string> CacheId(std::string_view store_id, std::string_view key) {
  if (store_id.find('/') != std::string_view::npos) {
    return common::InvalidArgument("cache store id '" + std::string(store_id) +
                                   "' must be a single path segment");
  }
  TS_RETURN_IF_ERROR(ValidateObjectKey(store_id).WithContext("cache store id"));
  TS_RETURN_IF_ERROR(ValidateObjectKey(key));
  return std::string(store_id) + "/" + std::string(key);
}

Status ErrorCodeStatus(const std::error_code& ec, std::string_view what, std::string_view path) {
  return ErrnoStatus(ec.value(), what, path);
}

// Flushes a complete file before it gets its final name, so that a crash cannot leave a partial
// file that a restart would index as whole.
Status SyncFile(const std::string& path) {
  TS_ASSIGN_OR_RETURN(PosixFile file, PosixFile::Open(path, O_RDONLY));
  TS_RETURN_IF_ERROR(file.Sync());
  return file.Close();
}

Result<int64_t> FileSize(const std::string& path) {
  std::error_code ec;
  const uintmax_t size = fs::file_size(path, ec);
  if (ec) return ErrorCodeStatus(ec, "stat", path);
  return static_cast<int64_t>(size);
}

// Lowercases an expected SHA-256 of `key`'s file; kInvalidArgument when it is not 64 hex digits.
Status NormalizeSha256(const std::string& key, std::optional<std::string>& sha256) {
  if (!sha256.has_value()) return Status::Ok();
  if (!IsSha256Hex(*sha256)) {
    return common::InvalidArgument("expected sha256 of '" + key + "' is not 64 hex digits");
  }
  for (char& c : *sha256) c = static_cast<char>(std::tolower(c));
  return Status::Ok();
}

}  // namespace

// ---- CachedFile ----

CachedFile::CachedFile(PartitionCache* cache, std::string id, std::string path, int64_t size_bytes,
                       bool was_cached)
    : cache_(cache),
      id_(std::move(id)),
      path_(std::move(path)),
      size_bytes_(size_bytes),
      was_cached_(was_cached) {}

CachedFile::CachedFile(CachedFile&& other) noexcept
    : cache_(std::exchange(other.cache_, nullptr)),
      id_(std::move(other.id_)),
      path_(std::move(other.path_)),
      size_bytes_(other.size_bytes_),
      was_cached_(other.was_cached_) {}

CachedFile& CachedFile::operator=(CachedFile&& other) noexcept {
  if (this != &other) {
    Release();
    cache_ = std::exchange(other.cache_, nullptr);
    id_ = std::move(other.id_);
    path_ = std::move(other.path_);
    size_bytes_ = other.size_bytes_;
    was_cached_ = other.was_cached_;
  }
  return *this;
}

CachedFile::~CachedFile() { Release(); }

void CachedFile::Release() {
  if (cache_ != nullptr) std::exchange(cache_, nullptr)->Release(id_);
}

// ---- PartitionCache ----

Result<std::unique_ptr<PartitionCache>> PartitionCache::Open(
    const PartitionCacheOptions& options, observability::MetricsRegistry* metrics) {
  if (options.directory.empty()) {
    return common::InvalidArgument("cache directory must not be empty");
  }
  if (options.max_bytes < 0) {
    return common::InvalidArgument("cache max bytes must be >= 0, got " +
                                   std::to_string(options.max_bytes));
  }
  std::error_code ec;
  fs::path dir = fs::absolute(options.directory, ec).lexically_normal();
  if (ec) return ErrorCodeStatus(ec, "resolve cache directory", options.directory);
  std::string directory = dir.string();
  while (directory.size() > 1 && directory.back() == '/') directory.pop_back();

  std::unique_ptr<PartitionCache> cache(
      new PartitionCache(std::move(directory), options.max_bytes, metrics));
  TS_RETURN_IF_ERROR(cache->Reindex());
  {
    std::lock_guard lock(cache->mu_);
    cache->EvictLocked();
    cache->UpdateBytesGaugeLocked();
    cache->logger_.Info("cache opened",
                        observability::LogFields()
                            .Add("directory", cache->directory_)
                            .Add("files", static_cast<uint64_t>(cache->entries_.size()))
                            .Add("bytes", cache->total_bytes_)
                            .Add("max_bytes", cache->max_bytes_));
  }
  return cache;
}

PartitionCache::PartitionCache(std::string directory, int64_t max_bytes,
                               observability::MetricsRegistry* metrics)
    : directory_(std::move(directory)),
      max_bytes_(max_bytes),
      logger_(observability::GetLogger("storage.cache")) {
  if (metrics != nullptr) {
    metrics_.hits = &metrics->GetCounter("timestore_cache_hits_total",
                                         "Partition cache lookups served from the cache.");
    metrics_.misses = &metrics->GetCounter(
        "timestore_cache_misses_total",
        "Partition cache lookups that had to download (or wait for a download).");
    metrics_.bytes_downloaded = &metrics->GetCounter("timestore_cache_bytes_downloaded_total",
                                                     "Bytes downloaded into the partition cache.");
    metrics_.evictions = &metrics->GetCounter("timestore_cache_evictions_total",
                                              "Files evicted from the partition cache.");
    metrics_.download_seconds = &metrics->GetHistogram(
        "timestore_cache_download_seconds", "Time to download a file into the partition cache.");
    metrics_.bytes = &metrics->GetGauge("timestore_cache_bytes", "Bytes in the partition cache.");
  }
}

PartitionCache::~PartitionCache() {
  std::lock_guard lock(mu_);
  assert(in_flight_.empty() && "PartitionCache destroyed during a Fetch");
  assert(std::all_of(entries_.begin(), entries_.end(),
                     [](const auto& e) { return e.second.pins == 0; }) &&
         "PartitionCache destroyed while a CachedFile is alive");
}

Status PartitionCache::Reindex() {
  std::error_code ec;
  fs::create_directories(directory_, ec);
  if (ec) return ErrorCodeStatus(ec, "create cache directory", directory_);

  struct Found {
    fs::file_time_type mtime;
    std::string id;
    int64_t size_bytes;
  };
  std::vector<Found> found;
  std::vector<fs::path> stale;
  fs::recursive_directory_iterator it(directory_, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const fs::path& path = it->path();
    if (path.filename().string().starts_with(kReservedNamePrefix)) {
      stale.push_back(path);
      it.disable_recursion_pending();
      continue;
    }
    std::error_code entry_ec;
    if (!it->is_regular_file(entry_ec) || it->is_symlink(entry_ec)) continue;
    const std::string id = path.string().substr(directory_.size() + 1);
    const size_t slash = id.find('/');
    if (slash == std::string::npos ||
        !CacheId(std::string_view(id).substr(0, slash), std::string_view(id).substr(slash + 1))
             .ok()) {
      logger_.Warn("ignoring a file that is not a cache entry",
                   observability::LogFields().Add("path", path.string()));
      continue;
    }
    const uintmax_t size = it->file_size(entry_ec);
    const fs::file_time_type mtime = it->last_write_time(entry_ec);
    if (entry_ec) continue;  // vanished meanwhile: not ours to worry about
    found.push_back({mtime, id, static_cast<int64_t>(size)});
  }
  if (ec) return ErrorCodeStatus(ec, "scan cache directory", directory_);

  for (const fs::path& path : stale) {
    std::error_code remove_ec;
    fs::remove_all(path, remove_ec);
    if (remove_ec) return ErrorCodeStatus(remove_ec, "remove leftover cache file", path.string());
  }

  std::sort(found.begin(), found.end(),
            [](const Found& a, const Found& b) { return a.mtime < b.mtime; });
  std::lock_guard lock(mu_);
  for (Found& f : found) {
    lru_.push_back(f.id);
    entries_.emplace(std::move(f.id), Entry{f.size_bytes, 0, std::prev(lru_.end())});
    total_bytes_ += f.size_bytes;
  }
  return Status::Ok();
}

Result<CachedFile> PartitionCache::Fetch(ObjectStore& store, const std::string& store_id,
                                         const std::string& key,
                                         std::optional<std::string> expected_sha256) {
  TS_ASSIGN_OR_RETURN(std::string id, CacheId(store_id, key));
  TS_RETURN_IF_ERROR(NormalizeSha256(key, expected_sha256));

  // A caller that waited for another's download loops once more to pick up the indexed file (or,
  // when it was evicted in the meantime, to download it itself).
  bool waited = false;
  for (;;) {
    std::shared_future<Status> pending;
    std::promise<Status> promise;
    {
      std::lock_guard lock(mu_);
      if (auto it = entries_.find(id); it != entries_.end()) {
        Entry& entry = it->second;
        lru_.splice(lru_.end(), lru_, entry.lru);
        ++entry.pins;
        if (!waited && metrics_.hits != nullptr) metrics_.hits->Increment();
        return CachedFile(this, id, PathOf(id), entry.size_bytes, /*was_cached=*/!waited);
      }
      if (!waited && metrics_.misses != nullptr) metrics_.misses->Increment();
      if (auto it = in_flight_.find(id); it != in_flight_.end()) {
        pending = it->second;
      } else {
        in_flight_.emplace(id, promise.get_future().share());
      }
    }

    if (pending.valid()) {
      Status status = pending.get();
      if (!status.ok()) return status;
      waited = true;
      continue;
    }

    // This call is the one that downloads; every other Fetch of `id` waits on `promise`.
    const auto started = std::chrono::steady_clock::now();
    auto downloaded = Download(store, key, expected_sha256);
    Status status = downloaded.ok() ? Status::Ok() : downloaded.status();
    if (status.ok()) {
      std::error_code ec;
      const fs::path parent = fs::path(PathOf(id)).parent_path();
      fs::create_directories(parent, ec);
      if (ec) status = ErrorCodeStatus(ec, "create cache directory", parent.string());
    }
    int64_t size_bytes = 0;
    {
      std::lock_guard lock(mu_);
      if (status.ok()) {
        size_bytes = downloaded->second;
        status = PlaceLocked(id, downloaded->first, size_bytes, /*pins=*/1);
      }
      in_flight_.erase(id);
      if (status.ok()) {
        EvictLocked();
        UpdateBytesGaugeLocked();
      }
    }
    if (!status.ok() && downloaded.ok()) ::unlink(downloaded->first.c_str());
    promise.set_value(status);
    if (!status.ok()) {
      if (status.code() != common::StatusCode::kNotFound) {
        logger_.Warn("cache download failed", observability::LogFields()
                                                  .Add("store", store.Describe())
                                                  .Add("key", key)
                                                  .Add("error", status.ToString()));
      }
      return status;
    }
    if (metrics_.download_seconds != nullptr) {
      const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started;
      metrics_.download_seconds->Observe(elapsed.count());
    }
    return CachedFile(this, id, PathOf(id), size_bytes, /*was_cached=*/false);
  }
}

Result<std::pair<std::string, int64_t>> PartitionCache::Download(
    ObjectStore& store, const std::string& key, const std::optional<std::string>& sha256) {
  Status last;
  for (int attempt = 1; attempt <= kDownloadAttempts; ++attempt) {
    const std::string temp = directory_ + "/" + std::string(kReservedNamePrefix) +
                             std::to_string(::getpid()) + "-" + RandomHex();
    Status status = store.GetFile(key, temp);
    if (status.code() == common::StatusCode::kInternal && attempt < kDownloadAttempts) {
      // The store's own integrity check refused the bytes (S3ObjectStore compares them with the
      // object's sha256 metadata): a mismatching download like ours below, so retried as well.
      last = status;
      logger_.Warn("cache download failed its checksum, retrying",
                   observability::LogFields()
                       .Add("key", key)
                       .Add("attempt", attempt)
                       .Add("error", status.message()));
      ::unlink(temp.c_str());
      continue;
    }
    auto size = status.ok() ? FileSize(temp) : Result<int64_t>(status);
    if (size.ok() && metrics_.bytes_downloaded != nullptr) {
      metrics_.bytes_downloaded->Increment(static_cast<double>(*size));
    }
    if (size.ok() && sha256.has_value()) {
      auto actual = Sha256File(temp);
      if (!actual.ok()) {
        size = actual.status();
      } else if (*actual != *sha256) {
        ::unlink(temp.c_str());
        last = common::Internal("downloaded '" + key + "' has sha256 " + *actual + ", expected " +
                                *sha256);
        logger_.Warn("cache download checksum mismatch", observability::LogFields()
                                                             .Add("key", key)
                                                             .Add("attempt", attempt)
                                                             .Add("error", last.message()));
        continue;
      }
    }
    if (size.ok()) {
      if (Status synced = SyncFile(temp); !synced.ok()) size = synced;
    }
    if (!size.ok()) {
      ::unlink(temp.c_str());
      return size.status();
    }
    return std::make_pair(temp, *size);
  }
  return last.WithContext("after " + std::to_string(kDownloadAttempts) + " attempts");
}

Result<std::optional<CachedFile>> PartitionCache::Lookup(const std::string& store_id,
                                                         const std::string& key) {
  TS_ASSIGN_OR_RETURN(std::string id, CacheId(store_id, key));
  std::lock_guard lock(mu_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return std::optional<CachedFile>();
  Entry& entry = it->second;
  lru_.splice(lru_.end(), lru_, entry.lru);
  ++entry.pins;
  return std::optional<CachedFile>(
      CachedFile(this, id, PathOf(id), entry.size_bytes, /*was_cached=*/true));
}

Status PartitionCache::Insert(const std::string& store_id, const std::string& key,
                              const std::string& local_path) {
  TS_ASSIGN_OR_RETURN(std::string id, CacheId(store_id, key));
  {
    std::lock_guard lock(mu_);
    if (entries_.contains(id) || in_flight_.contains(id)) return Status::Ok();
  }

  const std::string temp = directory_ + "/" + std::string(kReservedNamePrefix) +
                           std::to_string(::getpid()) + "-" + RandomHex();
  if (::link(local_path.c_str(), temp.c_str()) != 0) {
    const int err = errno;
    if (err == ENOENT) return ErrnoStatus(err, "insert into cache", local_path);
    // Another filesystem, or one without hard links: copy.
    std::error_code ec;
    fs::copy_file(local_path, temp, ec);
    if (ec) {
      ::unlink(temp.c_str());
      return ErrorCodeStatus(ec, "copy into cache", local_path);
    }
  }
  auto size = FileSize(temp);
  Status status = size.ok() ? SyncFile(temp) : size.status();
  if (status.ok()) {
    std::error_code ec;
    const fs::path parent = fs::path(PathOf(id)).parent_path();
    fs::create_directories(parent, ec);
    if (ec) status = ErrorCodeStatus(ec, "create cache directory", parent.string());
  }
  if (status.ok()) {
    std::lock_guard lock(mu_);
    if (entries_.contains(id) || in_flight_.contains(id)) {
      ::unlink(temp.c_str());  // someone else placed it meanwhile
      return Status::Ok();
    }
    status = PlaceLocked(id, temp, *size, /*pins=*/0);
    if (status.ok()) {
      EvictLocked();
      UpdateBytesGaugeLocked();
    }
  }
  if (!status.ok()) ::unlink(temp.c_str());
  return status;
}

Status PartitionCache::PlaceLocked(const std::string& id, const std::string& temp_path,
                                   int64_t size_bytes, int pins) {
  const std::string path = PathOf(id);
  if (::rename(temp_path.c_str(), path.c_str()) != 0) {
    return ErrnoStatus(errno, "rename into cache", path);
  }
  lru_.push_back(id);
  entries_.emplace(id, Entry{size_bytes, pins, std::prev(lru_.end())});
  total_bytes_ += size_bytes;
  return Status::Ok();
}

void PartitionCache::EvictLocked() {
  for (auto it = lru_.begin(); it != lru_.end() && total_bytes_ > max_bytes_;) {
    auto entry = entries_.find(*it);
    assert(entry != entries_.end());
    if (entry->second.pins > 0) {
      ++it;
      continue;
    }
    const std::string path = PathOf(*it);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      // Dropped from the index anyway; the next Open indexes it again.
      logger_.Warn(
          "cache eviction could not remove a file",
          observability::LogFields().Add("error", ErrnoStatus(errno, "unlink", path).ToString()));
    }
    total_bytes_ -= entry->second.size_bytes;
    entries_.erase(entry);
    it = lru_.erase(it);
    if (metrics_.evictions != nullptr) metrics_.evictions->Increment();
  }
}

void PartitionCache::Release(const std::string& id) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(id);
  assert(it != entries_.end() && it->second.pins > 0);
  if (--it->second.pins == 0 && total_bytes_ > max_bytes_) {
    EvictLocked();
    UpdateBytesGaugeLocked();
  }
}

void PartitionCache::UpdateBytesGaugeLocked() {
  if (metrics_.bytes != nullptr) metrics_.bytes->Set(static_cast<double>(total_bytes_));
}

int64_t PartitionCache::total_bytes() const {
  std::lock_guard lock(mu_);
  return total_bytes_;
}

size_t PartitionCache::file_count() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

}  // namespace timestore::storage
