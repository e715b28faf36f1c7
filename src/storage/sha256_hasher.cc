#include "storage/sha256_hasher.h"

#include <cassert>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include <fcntl.h>
#include <openssl/evp.h>

#include "storage/posix_file.h"

namespace timestore::storage {
namespace {

// OpenSSL fails a SHA-256 context only when it cannot allocate; there is no sensible recovery.
void CheckOpenSsl(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "fatal: OpenSSL %s failed for SHA-256\n", what);
  std::abort();
}

constexpr size_t kReadChunkBytes = 1 << 20;

}  // namespace

void Sha256Hasher::CtxDeleter::operator()(evp_md_ctx_st* ctx) const { EVP_MD_CTX_free(ctx); }

Sha256Hasher::Sha256Hasher() : ctx_(EVP_MD_CTX_new()) {
  CheckOpenSsl(ctx_ != nullptr, "EVP_MD_CTX_new");
  CheckOpenSsl(EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) == 1, "EVP_DigestInit_ex");
}

void Sha256Hasher::Update(std::string_view bytes) {
  assert(ctx_ != nullptr);
  CheckOpenSsl(EVP_DigestUpdate(ctx_.get(), bytes.data(), bytes.size()) == 1, "EVP_DigestUpdate");
}

std::string Sha256Hasher::FinishHex() {
  assert(ctx_ != nullptr);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  CheckOpenSsl(EVP_DigestFinal_ex(ctx_.get(), digest, &length) == 1, "EVP_DigestFinal_ex");
  ctx_.reset();
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(size_t{length} * 2);
  for (unsigned int i = 0; i < length; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 0xf]);
  }
  return hex;
}

std::string Sha256Hex(std::string_view bytes) {
  Sha256Hasher hasher;
  hasher.Update(bytes);
  return hasher.FinishHex();
}

common::Result<std::string> Sha256File(const std::string& path) {
  TS_ASSIGN_OR_RETURN(PosixFile file, PosixFile::Open(path, O_RDONLY));
  Sha256Hasher hasher;
  std::vector<char> buffer(kReadChunkBytes);
  while (true) {
    TS_ASSIGN_OR_RETURN(size_t n, file.Read(buffer.data(), buffer.size()));
    if (n == 0) break;
    hasher.Update(std::string_view(buffer.data(), n));
  }
  return hasher.FinishHex();
}

bool IsSha256Hex(std::string_view hex) {
  if (hex.size() != 64) return false;
  for (char c : hex) {
    const bool digit = c >= '0' && c <= '9';
    const bool lower = c >= 'a' && c <= 'f';
    const bool upper = c >= 'A' && c <= 'F';
    if (!digit && !lower && !upper) return false;
  }
  return true;
}

}  // namespace timestore::storage
