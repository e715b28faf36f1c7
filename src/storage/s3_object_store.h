// S3ObjectStore: an ObjectStore in an S3 bucket (AWS or a compatible server): the ObjectStore
// operations in S3 requests, sent by an S3Client (SigV4 over pooled curl handles, retries). The
// object `a/b` is `<bucket>/<prefix>a/b`. Thread-safe. Open does no I/O; CheckBucket proves the
// endpoint, bucket and credentials. Secrets never appear in a Status or log.
//
// S3 has no atomic create-if-absent here, so PutFile refuses an existing key by a HEAD before the
// upload: two writers racing on one key could both succeed. Timestore makes that impossible by
// construction (object keys are unique: they embed ids no other writer uses).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "observability/logger.h"
#include "observability/metrics.h"
#include "storage/object_store.h"
#include "storage/object_store_metrics.h"
#include "storage/s3_options.h"
#include "storage/s3_request.h"

namespace timestore::storage {

class PosixFile;
class S3Client;

class S3ObjectStore final : public ObjectStore {
 public:
  // Validates the options (kInvalidArgument naming the field) and initializes libcurl once per
  // process. No network I/O. `metrics` (optional) must outlive the store.
  static common::Result<std::unique_ptr<S3ObjectStore>> Open(
      S3Options options, observability::MetricsRegistry* metrics = nullptr);

  ~S3ObjectStore() override;
  S3ObjectStore(const S3ObjectStore&) = delete;
  S3ObjectStore& operator=(const S3ObjectStore&) = delete;

  // OK when the bucket answers a ListObjectsV2 (max-keys=0, under the prefix) with these
  // credentials; otherwise kUnavailable saying which: "bucket 'x' does not exist", "credentials
  // rejected (SignatureDoesNotMatch: ...)", "S3 endpoint ... unreachable: ...", or
  // kPermissionDenied when the credentials are valid but may not list the bucket. For /ready.
  common::Status CheckBucket();

  // See ObjectStore. PutFile uploads in one PUT up to multipart_threshold_bytes, in parts above;
  // it stores the SHA-256 as x-amz-meta-sha256 and verifies size and hash by a HEAD afterwards.
  // GetFile checks that hash when the object has one (kInternal on a mismatch, nothing left).
  // Errors reaching S3 are kUnavailable (after retries), rejected credentials kUnavailable, a
  // missing bucket kUnavailable naming it, a denied request kPermissionDenied.
  // modified_at has whole-second precision here (HTTP Last-Modified), milliseconds in List.
  std::optional<std::string> LocalPath(std::string_view key) const override;
  std::string StagingDirectory() const override;
  std::string Describe() const override;  // "s3://bucket/prefix"
  common::Status CheckAvailable() override { return CheckBucket(); }

 private:
  S3ObjectStore(S3Options options, observability::MetricsRegistry* metrics);
  // HEAD of the object at `bucket_key`: its headers, nothing on 404, else the error. A HEAD has
  // no error body, so other 4xx (and 404 when `explain_not_found`, to tell a missing bucket from
  // a missing object) are explained by CheckBucket.
  common::Result<std::optional<S3Response>> Head(const std::string& bucket_key,
                                                 bool explain_not_found, std::string_view what);

  common::Status DoPutFile(std::string_view key, const std::string& local_path,
                           const PutOptions& options, int64_t& bytes) override;
  // The file to upload: its descriptor, size, whole SHA-256 and (multipart) the parts' hashes.
  struct UploadSource;
  // Reads `file` (`size` bytes, from its current offset) once for the whole-file hash and, when
  // `part_bytes` > 0, the hash of every part of that size (the last one shorter). kInternal when
  // the file shrinks meanwhile.
  static common::Result<UploadSource> HashForUpload(PosixFile& file, const std::string& local_path,
                                                    int64_t size, int64_t part_bytes);
  common::Status UploadSingle(const std::string& bucket_key, const UploadSource& source,
                              std::string_view what);
  // Creates a multipart upload, sends the parts and completes it; aborts it on failure.
  common::Status UploadMultipart(const std::string& bucket_key, const UploadSource& source,
                                 std::string_view what);
  // Sends the parts of multipart upload `upload_id` and completes it.
  common::Status UploadParts(const std::string& bucket_key, const std::string& upload_id,
                             const UploadSource& source, std::string_view what);
  common::Status VerifyUploaded(const std::string& bucket_key, int64_t size,
                                const std::string& sha256_hex, std::string_view what);
  common::Status DoGetFile(std::string_view key, const std::string& dest_path,
                           int64_t& bytes) override;
  common::Status DoDelete(std::string_view key) override;
  common::Status DeleteBucketKey(const std::string& bucket_key, std::string_view what);
  common::Result<std::vector<ObjectInfo>> DoList(std::string_view prefix) override;
  common::Result<std::optional<ObjectInfo>> DoStat(std::string_view key) override;

  std::string BucketKey(std::string_view key) const { return options_.prefix + std::string(key); }

  const S3Options options_;  // validated; prefix is "" or ends with '/'
  std::unique_ptr<S3Client> client_;
};

}  // namespace timestore::storage
