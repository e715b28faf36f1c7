// ObjectStore: where partition files live. An object store holds immutable objects under
// '/'-separated keys (no leading '/'); a key is written once and never reused or overwritten, so a
// reader either sees no object or the whole object. Implementations: LocalObjectStore (a directory
// tree), and later an S3 store. Every implementation is thread-safe; callers own the store.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "observability/logger.h"
#include "storage/object_store_metrics.h"

namespace timestore::storage {

// Key segments starting with this prefix are reserved for a store's own files (temporary files of
// writes in flight, the local staging directory); such files are never listed as objects.
inline constexpr std::string_view kReservedNamePrefix = ".tmp-";
inline constexpr size_t kMaxObjectKeyBytes = 1024;  // as S3
inline constexpr size_t kMaxKeySegmentBytes = 255;  // NAME_MAX, so every key fits every store

// OK when `key` may name an object in any store; kInvalidArgument naming the rule otherwise. A key
// is 1..1024 bytes of '/'-separated segments; no leading or trailing '/', no empty, "." or ".."
// segment, no segment longer than 255 bytes or starting with ".tmp-", no NUL and no backslash.
common::Status ValidateObjectKey(std::string_view key);

struct ObjectInfo {
  std::string key;
  int64_t size_bytes = 0;
  common::UnixMicros modified_at = 0;  // when the object's bytes were last written
  bool operator==(const ObjectInfo&) const = default;
};

struct PutOptions {
  // When true, the store may consume the source file (rename it into place when it is on the same
  // filesystem) instead of copying it. The source is left in place when PutFile fails. Default:
  // copy.
  bool move = false;
  // When set (64 hex digits, either case), the stored bytes must hash to this SHA-256; otherwise
  // PutFile fails with kInternal and nothing is left under the key. Default: no check.
  std::optional<std::string> sha256_hex;
};

// The public operations are non-virtual: they validate the key and options, time the call, record
// the store's metrics and log, then run the implementation's Do* override with a valid key.
class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  // Publishes the local file `local_path` under `key`. When this returns OK the object is durable
  // (on local disk: fsynced and its directory entries fsynced; remotely: upload verified) and
  // complete. Errors: kInvalidArgument for a bad key or sha256_hex; kAlreadyExists when the key
  // exists (the existing object is left untouched; of two concurrent puts of one key exactly one
  // succeeds); kNotFound when `local_path` does not exist; kInternal on a checksum mismatch. On any
  // error nothing is left under the key.
  common::Status PutFile(std::string_view key, const std::string& local_path,
                         const PutOptions& options);

  // Copies the object to `dest_path`, atomically (readers of dest_path see the old file or the
  // whole object) and replacing a file already there; creates missing parent directories.
  // kNotFound when the object is absent.
  common::Status GetFile(std::string_view key, const std::string& dest_path);

  // Removes the object; OK when it was already absent (idempotent).
  common::Status Delete(std::string_view key);

  // The objects whose key starts with `prefix` ("" lists everything), sorted by key. Never lists a
  // store's own temporary or staging files.
  common::Result<std::vector<ObjectInfo>> List(std::string_view prefix);

  // The object's size and time, or nothing when absent.
  common::Result<std::optional<ObjectInfo>> Stat(std::string_view key);

  // Where the object is (or would be) readable in place on this machine, for local stores; nothing
  // for remote stores and for an invalid key. Does not check that the object exists.
  virtual std::optional<std::string> LocalPath(std::string_view key) const = 0;

  // A directory for files that will later be published with PutFile(move = true): on the store's
  // filesystem for local stores (so the put is a rename), a local scratch directory for remote
  // ones. Created on demand; its contents are never listed as objects.
  virtual std::string StagingDirectory() const = 0;

  // "local:/data/timestore", for logs; never contains secrets.
  virtual std::string Describe() const = 0;

  // Whether the store can be used now: OK, or kUnavailable / kPermissionDenied saying why (root not
  // writable; bucket missing; credentials rejected; endpoint unreachable). For readiness probes.
  virtual common::Status CheckAvailable() = 0;

 protected:
  ObjectStore(ObjectStoreMetrics metrics, observability::Logger logger)
      : metrics_(metrics), logger_(std::move(logger)) {}
  const observability::Logger& logger() const { return logger_; }

  // The implementations, called with a valid key (and a valid sha256_hex). Put and get report the
  // bytes they moved in `bytes`.
  virtual common::Status DoPutFile(std::string_view key, const std::string& local_path,
                                   const PutOptions& options, int64_t& bytes) = 0;
  virtual common::Status DoGetFile(std::string_view key, const std::string& dest_path,
                                   int64_t& bytes) = 0;
  virtual common::Status DoDelete(std::string_view key) = 0;
  virtual common::Result<std::vector<ObjectInfo>> DoList(std::string_view prefix) = 0;
  virtual common::Result<std::optional<ObjectInfo>> DoStat(std::string_view key) = 0;

 private:
  ObjectStoreMetrics metrics_;
  observability::Logger logger_;
};

}  // namespace timestore::storage
