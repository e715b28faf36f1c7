// PosixFile: an owned file descriptor with Status-returning I/O (EINTR retried), plus the one
// mapping from errno to Status used by storage/. Move-only, not thread-safe. The destructor closes
// without reporting; a writer calls Sync() and Close() to learn whether its bytes reached the disk.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

#include <sys/stat.h>
#include <sys/types.h>

#include "common/status.h"

namespace timestore::storage {

// The Status for a failed system call: "<what> '<path>': <strerror>", coded
//   ENOENT, ENOTDIR -> kNotFound        ENOSPC, EDQUOT -> kResourceExhausted
//   EEXIST -> kAlreadyExists            ENAMETOOLONG -> kInvalidArgument
//   EACCES, EPERM, EROFS, EIO -> kUnavailable (the disk, not the request, is at fault)
//   anything else -> kInternal
common::Status ErrnoStatus(int err, std::string_view what, std::string_view path);

class PosixFile {
 public:
  // open(2) with O_CLOEXEC added. Errors as ErrnoStatus.
  static common::Result<PosixFile> Open(const std::string& path, int flags, mode_t mode = 0644);

  PosixFile() = default;
  PosixFile(PosixFile&& other) noexcept;
  PosixFile& operator=(PosixFile&& other) noexcept;
  PosixFile(const PosixFile&) = delete;
  PosixFile& operator=(const PosixFile&) = delete;
  ~PosixFile();

  bool is_open() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }

  // Reads up to `n` bytes; 0 at end of file.
  common::Result<size_t> Read(char* buffer, size_t n);
  common::Status WriteAll(std::string_view bytes);
  common::Result<struct stat> Stat() const;
  common::Status Sync();   // fsync(2)
  common::Status Close();  // close(2); the file is closed afterwards even when this fails

 private:
  PosixFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_ = -1;
  std::string path_;
};

// fsync(2) of a directory, so that entries created, renamed or removed in it are durable.
common::Status SyncDirectory(const std::string& path);

// Gives `from` the name `to` unless `to` exists. Returns 0 or the errno (EEXIST when `to` exists,
// EXDEV across filesystems). Uses renameat2(RENAME_NOREPLACE), or link + unlink on filesystems
// without it; either way at most one of several concurrent callers with the same `to` succeeds.
int RenameNoReplace(const std::string& from, const std::string& to);

}  // namespace timestore::storage
