#include "storage/local_object_store.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <random>
#include <system_error>
#include <utility>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/text.h"
#include "storage/posix_file.h"
#include "storage/sha256_hasher.h"

namespace timestore::storage {
namespace {

using common::Status;
using Op = ObjectStoreMetrics::Op;

constexpr std::string_view kStagingDirName = ".tmp-staging";
constexpr size_t kCopyChunkBytes = 1 << 20;
constexpr int kTempNameAttempts = 4;

std::string RandomHex() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

// Creates a new, empty temporary file in `dir` named `.tmp-<pid>-<random>`.
common::Result<PosixFile> CreateTempFile(const std::string& dir) {
  for (int attempt = 1;; ++attempt) {
    std::string path = dir + "/" + std::string(kReservedNamePrefix) + std::to_string(::getpid()) +
                       "-" + RandomHex();
    auto file = PosixFile::Open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (file.ok() || file.status().code() != common::StatusCode::kAlreadyExists ||
        attempt == kTempNameAttempts) {
      return file;
    }
  }
}

// Removes a temporary file when the scope ends, unless dismissed after a successful publish.
class TempFileGuard {
 public:
  explicit TempFileGuard(std::string path) : path_(std::move(path)) {}
  TempFileGuard(const TempFileGuard&) = delete;
  TempFileGuard& operator=(const TempFileGuard&) = delete;
  ~TempFileGuard() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  void Dismiss() { path_.clear(); }

 private:
  std::string path_;
};

// Copies the rest of `in` to `out`, feeding `hasher` when set; adds the bytes copied to `bytes`.
Status CopyContents(PosixFile& in, PosixFile& out, Sha256Hasher* hasher, int64_t& bytes) {
  if (hasher == nullptr) {
    // In-kernel copy (a reflink on filesystems that share extents); falls back to read/write where
    // the kernel or filesystem does not support it.
    while (true) {
      const ssize_t n = ::copy_file_range(in.fd(), nullptr, out.fd(), nullptr, kCopyChunkBytes, 0);
      if (n == 0) return Status::Ok();
      if (n > 0) {
        bytes += n;
        continue;
      }
      if (errno == EINTR) continue;
      if (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP) break;
      return ErrnoStatus(errno, "cannot copy to", out.path());
    }
  }
  std::vector<char> buffer(kCopyChunkBytes);
  while (true) {
    TS_ASSIGN_OR_RETURN(size_t n, in.Read(buffer.data(), buffer.size()));
    if (n == 0) return Status::Ok();
    const std::string_view chunk(buffer.data(), n);
    if (hasher != nullptr) hasher->Update(chunk);
    TS_RETURN_IF_ERROR(out.WriteAll(chunk));
    bytes += static_cast<int64_t>(n);
  }
}

common::UnixMicros ModifiedMicros(const struct stat& st) {
  return static_cast<common::UnixMicros>(st.st_mtim.tv_sec) * 1'000'000 +
         st.st_mtim.tv_nsec / 1'000;
}

std::string ParentOf(std::string_view path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return ".";
  if (slash == 0) return "/";
  return std::string(path.substr(0, slash));
}

Status KeyExists(std::string_view key) {
  return common::AlreadyExists("object '" + std::string(key) + "' already exists");
}

Status ChecksumMismatch(std::string_view key, std::string_view expected, std::string_view actual) {
  return common::Internal("checksum mismatch for object '" + std::string(key) +
                          "': expected sha256 " + std::string(expected) + ", the bytes hash to " +
                          std::string(actual));
}

}  // namespace

common::Result<std::unique_ptr<LocalObjectStore>> LocalObjectStore::Open(
    const std::string& root, observability::MetricsRegistry* metrics) {
  if (root.empty()) return common::InvalidArgument("local storage root is empty");
  std::error_code ec;
  std::string absolute = std::filesystem::absolute(root, ec).lexically_normal().string();
  if (ec) return common::Unavailable("cannot resolve storage root '" + root + "': " + ec.message());
  while (absolute.size() > 1 && absolute.back() == '/') absolute.pop_back();
  auto unavailable = [&absolute](const Status& s) {
    return common::Unavailable("cannot open local object store at '" + absolute +
                               "': " + s.message());
  };

  // Create what is missing, top-down, and make each new entry durable in its parent.
  for (size_t end = 1; end <= absolute.size(); ++end) {
    if (end != absolute.size() && absolute[end] != '/') continue;
    const std::string path = absolute.substr(0, end);
    if (::mkdir(path.c_str(), 0755) == 0) {
      Status synced = SyncDirectory(ParentOf(path));
      if (!synced.ok()) return unavailable(synced);
    } else if (errno != EEXIST) {
      return unavailable(ErrnoStatus(errno, "cannot create directory", path));
    }
  }
  struct stat st {};
  if (::stat(absolute.c_str(), &st) != 0) {
    return unavailable(ErrnoStatus(errno, "cannot stat", absolute));
  }
  if (!S_ISDIR(st.st_mode)) {
    return common::Unavailable("cannot open local object store at '" + absolute +
                               "': it is not a directory");
  }
  if (absolute != "/") {
    // The root may have been created by another process that has not made it durable yet.
    Status synced = SyncDirectory(ParentOf(absolute));
    if (!synced.ok()) return unavailable(synced);
  }

  std::unique_ptr<LocalObjectStore> store(new LocalObjectStore(absolute, metrics));
  if (::mkdir(store->staging_dir_.c_str(), 0755) == 0) {
    Status synced = SyncDirectory(absolute);
    if (!synced.ok()) return unavailable(synced);
  } else if (errno != EEXIST) {
    return unavailable(ErrnoStatus(errno, "cannot create directory", store->staging_dir_));
  }
  // Prove the root is writable now rather than on the first ingest.
  auto probe = CreateTempFile(store->staging_dir_);
  if (!probe.ok()) return unavailable(probe.status());
  ::unlink(probe->path().c_str());

  store->logger().Info("object store opened",
                       observability::LogFields().Add("store", store->Describe()));
  return store;
}

LocalObjectStore::LocalObjectStore(std::string root, observability::MetricsRegistry* metrics)
    : ObjectStore(metrics != nullptr ? ObjectStoreMetrics(*metrics, "local") : ObjectStoreMetrics(),
                  observability::GetLogger("storage.local")),
      root_(std::move(root)),
      staging_dir_(PathOf(kStagingDirName)) {}

std::string LocalObjectStore::PathOf(std::string_view key) const {
  if (key.empty()) return root_;
  std::string path = root_;
  if (path.back() != '/') path.push_back('/');
  path += key;
  return path;
}

Status LocalObjectStore::DoPutFile(std::string_view key, const std::string& local_path,
                                   const PutOptions& options, int64_t& bytes) {
  const std::string dest = PathOf(key);
  const size_t slash = key.rfind('/');
  const std::string_view relative_dir =
      slash == std::string_view::npos ? std::string_view() : key.substr(0, slash);
  const std::string dir = PathOf(relative_dir);

  // Fail fast without copying; the rename below is what guarantees no overwrite.
  struct stat st {};
  if (::lstat(dest.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) {
      return common::Conflict("object key '" + std::string(key) +
                              "' is a prefix of other keys on this local store");
    }
    return KeyExists(key);
  }
  TS_RETURN_IF_ERROR(EnsureDirectory(key, relative_dir));

  if (options.move) {
    struct stat source {};
    if (::lstat(local_path.c_str(), &source) != 0) {
      return ErrnoStatus(errno, "cannot read source file", local_path);
    }
    if (S_ISREG(source.st_mode)) {
      std::optional<Status> moved = TryMoveIntoPlace(key, local_path, dest, dir, options, bytes);
      if (moved.has_value()) return *moved;
    }
  }
  TS_RETURN_IF_ERROR(CopyIntoPlace(key, local_path, dest, dir, options, bytes));
  if (options.move && ::unlink(local_path.c_str()) != 0 && errno != ENOENT) {
    logger().Warn("cannot remove a consumed source file",
                  observability::LogFields().Add("path", local_path).Add("errno", errno));
  }
  return Status::Ok();
}

std::optional<Status> LocalObjectStore::TryMoveIntoPlace(
    std::string_view key, const std::string& source, const std::string& dest,
    const std::string& dir, const PutOptions& options, int64_t& bytes) {
  auto file = PosixFile::Open(source, O_RDONLY);
  if (!file.ok()) return file.status();
  auto source_stat = file->Stat();
  if (!source_stat.ok()) return source_stat.status();
  struct stat dir_stat {};
  if (::stat(dir.c_str(), &dir_stat) != 0) return ErrnoStatus(errno, "cannot stat", dir);
  if (dir_stat.st_dev != source_stat->st_dev) return std::nullopt;

  if (options.sha256_hex.has_value()) {
    auto actual = Sha256File(source);
    if (!actual.ok()) return actual.status();
    if (!common::EqualsIgnoreCase(*actual, *options.sha256_hex)) {
      return ChecksumMismatch(key, *options.sha256_hex, *actual);
    }
  }
  // The writer may not have synced; the object must be durable before it is published.
  if (Status s = file->Sync(); !s.ok()) return s;
  if (Status s = file->Close(); !s.ok()) return s;

  const int err = RenameNoReplace(source, dest);
  if (err == EXDEV) return std::nullopt;  // e.g. a bind mount of the same filesystem
  if (err == EEXIST) return KeyExists(key);
  if (err != 0) return ErrnoStatus(err, "cannot move '" + source + "' to", dest);
  if (Status s = SyncDirectory(dir); !s.ok()) {
    // Not durable: give the source back so that nothing is left under the key.
    if (::rename(dest.c_str(), source.c_str()) != 0) ::unlink(dest.c_str());
    return s;
  }
  bytes = source_stat->st_size;
  return Status::Ok();
}

Status LocalObjectStore::CopyIntoPlace(std::string_view key, const std::string& source,
                                       const std::string& dest, const std::string& dir,
                                       const PutOptions& options, int64_t& bytes) {
  TS_ASSIGN_OR_RETURN(PosixFile in, PosixFile::Open(source, O_RDONLY));
  TS_ASSIGN_OR_RETURN(struct stat source_stat, in.Stat());
  if (!S_ISREG(source_stat.st_mode)) {
    return common::InvalidArgument("source '" + source + "' is not a regular file");
  }
  TS_ASSIGN_OR_RETURN(PosixFile temp, CreateTempFile(dir));
  TempFileGuard guard(temp.path());
  std::optional<Sha256Hasher> hasher;
  if (options.sha256_hex.has_value()) hasher.emplace();
  int64_t copied = 0;
  TS_RETURN_IF_ERROR(CopyContents(in, temp, hasher.has_value() ? &*hasher : nullptr, copied));
  TS_RETURN_IF_ERROR(temp.Sync());
  TS_RETURN_IF_ERROR(temp.Close());
  if (hasher.has_value()) {
    const std::string actual = hasher->FinishHex();
    if (!common::EqualsIgnoreCase(actual, *options.sha256_hex)) {
      return ChecksumMismatch(key, *options.sha256_hex, actual);
    }
  }
  const int err = RenameNoReplace(temp.path(), dest);
  if (err == EEXIST) return KeyExists(key);
  if (err != 0) return ErrnoStatus(err, "cannot rename '" + temp.path() + "' to", dest);
  guard.Dismiss();
  if (Status s = SyncDirectory(dir); !s.ok()) {
    ::unlink(dest.c_str());  // not durable: leave nothing under the key
    return s;
  }
  bytes = copied;
  return Status::Ok();
}

Status LocalObjectStore::EnsureDirectory(std::string_view key, std::string_view relative_dir) {
  if (relative_dir.empty()) return Status::Ok();  // the root was made durable by Open
  {
    std::lock_guard lock(mu_);
    if (durable_dirs_.contains(std::string(relative_dir))) return Status::Ok();
  }
  size_t end = 0;
  while (end != relative_dir.size()) {
    end = std::min(relative_dir.find('/', end + 1), relative_dir.size());
    const std::string sub(relative_dir.substr(0, end));
    const std::string path = PathOf(sub);
    const bool created = ::mkdir(path.c_str(), 0755) == 0;
    if (!created) {
      if (errno != EEXIST) return ErrnoStatus(errno, "cannot create directory", path);
      struct stat st {};
      if (::stat(path.c_str(), &st) != 0) return ErrnoStatus(errno, "cannot stat", path);
      if (!S_ISDIR(st.st_mode)) {
        return common::Conflict("object key '" + std::string(key) +
                                "' continues below the existing object '" + sub + "'");
      }
    }
    bool durable = false;
    if (!created) {
      std::lock_guard lock(mu_);
      durable = durable_dirs_.contains(sub);
    }
    if (!durable) {
      // Whoever created it may not have synced its parent yet; syncing again is harmless.
      TS_RETURN_IF_ERROR(SyncDirectory(ParentOf(path)));
      std::lock_guard lock(mu_);
      durable_dirs_.insert(sub);
    }
  }
  return Status::Ok();
}

Status LocalObjectStore::DoGetFile(std::string_view key, const std::string& dest_path,
                                   int64_t& bytes) {
  auto not_found = [&] {
    return common::NotFound("object '" + std::string(key) + "' does not exist in " + Describe());
  };
  auto in = PosixFile::Open(PathOf(key), O_RDONLY);
  if (!in.ok()) {
    return in.status().code() == common::StatusCode::kNotFound ? not_found() : in.status();
  }
  TS_ASSIGN_OR_RETURN(struct stat st, in->Stat());
  if (!S_ISREG(st.st_mode)) return not_found();

  std::filesystem::path dest_dir = std::filesystem::path(dest_path).parent_path();
  if (dest_dir.empty()) dest_dir = ".";
  std::error_code ec;
  std::filesystem::create_directories(dest_dir, ec);
  if (ec) return ErrnoStatus(ec.value(), "cannot create directory", dest_dir.string());
  TS_ASSIGN_OR_RETURN(PosixFile temp, CreateTempFile(dest_dir.string()));
  TempFileGuard guard(temp.path());
  int64_t copied = 0;
  TS_RETURN_IF_ERROR(CopyContents(*in, temp, nullptr, copied));
  TS_RETURN_IF_ERROR(temp.Sync());
  TS_RETURN_IF_ERROR(temp.Close());
  if (::rename(temp.path().c_str(), dest_path.c_str()) != 0) {
    return ErrnoStatus(errno, "cannot rename '" + temp.path() + "' to", dest_path);
  }
  guard.Dismiss();
  bytes = copied;
  return Status::Ok();
}

Status LocalObjectStore::DoDelete(std::string_view key) {
  const std::string path = PathOf(key);
  if (::unlink(path.c_str()) != 0) {
    // A directory at the key is not an object (it only prefixes other keys): absent too.
    if (errno == ENOENT || errno == ENOTDIR || errno == EISDIR) return Status::Ok();
    return ErrnoStatus(errno, "cannot delete", path);
  }
  return SyncDirectory(ParentOf(path));
}

namespace {

struct DirCloser {
  void operator()(DIR* dir) const { ::closedir(dir); }
};
using DirHandle = std::unique_ptr<DIR, DirCloser>;

// Appends the objects below `dir_path` (whose keys start with `key_prefix`) that match `prefix`.
Status ListDirectory(const std::string& dir_path, const std::string& key_prefix,
                     std::string_view prefix, std::vector<ObjectInfo>& out) {
  DirHandle dir(::opendir(dir_path.c_str()));
  if (dir == nullptr) {
    if (errno == ENOENT || errno == ENOTDIR) return Status::Ok();  // absent: nothing below it
    return ErrnoStatus(errno, "cannot list", dir_path);
  }
  while (true) {
    errno = 0;
    const dirent* entry = ::readdir(dir.get());
    if (entry == nullptr) {
      if (errno != 0) return ErrnoStatus(errno, "cannot list", dir_path);
      return Status::Ok();
    }
    const std::string_view name = entry->d_name;
    if (name == "." || name == ".." || name.starts_with(kReservedNamePrefix)) continue;
    std::string key = key_prefix + std::string(name);
    struct stat st {};
    if (::fstatat(::dirfd(dir.get()), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) continue;  // deleted while listing
      return ErrnoStatus(errno, "cannot stat", dir_path + "/" + std::string(name));
    }
    if (S_ISDIR(st.st_mode)) {
      std::string sub_prefix = key + "/";
      if (sub_prefix.starts_with(prefix) || prefix.starts_with(sub_prefix)) {
        TS_RETURN_IF_ERROR(
            ListDirectory(dir_path + "/" + std::string(name), sub_prefix, prefix, out));
      }
    } else if (S_ISREG(st.st_mode) && key.starts_with(prefix) && ValidateObjectKey(key).ok()) {
      out.push_back(
          ObjectInfo{std::move(key), static_cast<int64_t>(st.st_size), ModifiedMicros(st)});
    }
  }
}

}  // namespace

common::Result<std::vector<ObjectInfo>> LocalObjectStore::DoList(std::string_view prefix) {
  if (prefix.starts_with('/') || prefix.find('\0') != std::string_view::npos ||
      prefix.find('\\') != std::string_view::npos) {
    return common::InvalidArgument("invalid list prefix '" + std::string(prefix.substr(0, 200)) +
                                   "': it starts with '/' or contains a NUL or a backslash");
  }
  // Start at the deepest directory the prefix names in full.
  const size_t slash = prefix.rfind('/');
  const std::string_view dir_part =
      slash == std::string_view::npos ? std::string_view() : prefix.substr(0, slash);
  if (!dir_part.empty()) {
    TS_RETURN_IF_ERROR(ValidateObjectKey(dir_part).WithContext("list prefix"));
  }
  std::vector<ObjectInfo> out;
  TS_RETURN_IF_ERROR(ListDirectory(PathOf(dir_part),
                                   dir_part.empty() ? std::string() : std::string(dir_part) + "/",
                                   prefix, out));
  std::sort(out.begin(), out.end(),
            [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
  return out;
}

common::Result<std::optional<ObjectInfo>> LocalObjectStore::DoStat(std::string_view key) {
  const std::string path = PathOf(key);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return std::optional<ObjectInfo>();
    return ErrnoStatus(errno, "cannot stat", path);
  }
  if (!S_ISREG(st.st_mode)) return std::optional<ObjectInfo>();
  return std::optional<ObjectInfo>(
      ObjectInfo{std::string(key), static_cast<int64_t>(st.st_size), ModifiedMicros(st)});
}

std::optional<std::string> LocalObjectStore::LocalPath(std::string_view key) const {
  if (!ValidateObjectKey(key).ok()) return std::nullopt;
  return PathOf(key);
}

std::string LocalObjectStore::StagingDirectory() const {
  // Recreated when someone removed it; a failure surfaces when the caller creates its file.
  ::mkdir(staging_dir_.c_str(), 0755);
  return staging_dir_;
}

Status LocalObjectStore::CheckAvailable() {
  if (::access(root_.c_str(), W_OK | X_OK) != 0) {
    return ErrnoStatus(errno, "storage root is not writable", root_);
  }
  return Status::Ok();
}

std::string LocalObjectStore::Describe() const { return "local:" + root_; }

}  // namespace timestore::storage
