// SHA-256 of partition files (OpenSSL): an incremental Sha256Hasher for bytes that stream past
// (a copy, a download), and one-shot helpers for strings and files. Digests are written as 64
// lowercase hex digits. A hasher is move-only and not thread-safe; the functions are thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX, kept out of this header

namespace timestore::storage {

class Sha256Hasher {
 public:
  Sha256Hasher();
  Sha256Hasher(Sha256Hasher&&) noexcept = default;
  Sha256Hasher& operator=(Sha256Hasher&&) noexcept = default;

  void Update(std::string_view bytes);
  // The digest of everything passed to Update, in lowercase hex. Call once; the hasher is spent.
  std::string FinishHex();

 private:
  struct CtxDeleter {
    void operator()(evp_md_ctx_st* ctx) const;
  };
  std::unique_ptr<evp_md_ctx_st, CtxDeleter> ctx_;
};

std::string Sha256Hex(std::string_view bytes);

// The digest of the file's contents. kNotFound when it does not exist; other I/O errors as in
// ErrnoStatus (posix_file.h).
common::Result<std::string> Sha256File(const std::string& path);

// True when `hex` is 64 hex digits (either case).
bool IsSha256Hex(std::string_view hex);

}  // namespace timestore::storage
