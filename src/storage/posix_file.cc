#include "storage/posix_file.h"

#include <cerrno>
#include <system_error>
#include <utility>

#include <fcntl.h>
#include <unistd.h>

namespace timestore::storage {

common::Status ErrnoStatus(int err, std::string_view what, std::string_view path) {
  std::string message(what);
  message += " '";
  message += path;
  message += "': ";
  message += std::error_code(err, std::generic_category()).message();
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      return common::NotFound(std::move(message));
    case ENOSPC:
    case EDQUOT:
      return common::ResourceExhausted(std::move(message));
    case EEXIST:
      return common::AlreadyExists(std::move(message));
    case ENAMETOOLONG:
      return common::InvalidArgument(std::move(message));
    case EACCES:
    case EPERM:
    case EROFS:
    case EIO:
      return common::Unavailable(std::move(message));
    default:
      return common::Internal(std::move(message));
  }
}

common::Result<PosixFile> PosixFile::Open(const std::string& path, int flags, mode_t mode) {
  int fd;
  do {
    fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return ErrnoStatus(errno, "cannot open", path);
  return PosixFile(fd, path);
}

PosixFile::PosixFile(PosixFile&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)) {}

PosixFile& PosixFile::operator=(PosixFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
  }
  return *this;
}

PosixFile::~PosixFile() {
  if (fd_ >= 0) ::close(fd_);
}

common::Result<size_t> PosixFile::Read(char* buffer, size_t n) {
  while (true) {
    const ssize_t r = ::read(fd_, buffer, n);
    if (r >= 0) return static_cast<size_t>(r);
    if (errno != EINTR) return ErrnoStatus(errno, "cannot read", path_);
  }
}

common::Status PosixFile::WriteAll(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t w = ::write(fd_, bytes.data(), bytes.size());
    if (w < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "cannot write", path_);
    }
    bytes.remove_prefix(static_cast<size_t>(w));
  }
  return common::Status::Ok();
}

common::Result<struct stat> PosixFile::Stat() const {
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return ErrnoStatus(errno, "cannot stat", path_);
  return st;
}

common::Status PosixFile::Sync() {
  if (::fsync(fd_) != 0) return ErrnoStatus(errno, "cannot fsync", path_);
  return common::Status::Ok();
}

common::Status PosixFile::Close() {
  // close(2) must not be retried on EINTR on Linux: the descriptor is released either way.
  const int fd = std::exchange(fd_, -1);
  if (fd >= 0 && ::close(fd) != 0 && errno != EINTR) {
    return ErrnoStatus(errno, "cannot close", path_);
  }
  return common::Status::Ok();
}

common::Status SyncDirectory(const std::string& path) {
  TS_ASSIGN_OR_RETURN(PosixFile dir, PosixFile::Open(path, O_RDONLY | O_DIRECTORY));
  TS_RETURN_IF_ERROR(dir.Sync());
  return dir.Close();
}

int RenameNoReplace(const std::string& from, const std::string& to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return 0;
  if (errno != EINVAL) return errno;
  if (::link(from.c_str(), to.c_str()) != 0) return errno;
  ::unlink(from.c_str());
  return 0;
}

}  // namespace timestore::storage
