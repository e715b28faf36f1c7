// S3ObjectStore: an ObjectStore in an S3 bucket (AWS or a compatible server), spoken to over HTTP
// with libcurl and SigV4 signatures. The object `a/b` is `<bucket>/<prefix>a/b`. Thread-safe: each
// call borrows a curl handle from a small pool (connections are reused). Open does no I/O;
// CheckBucket proves the endpoint, bucket and credentials. Secrets never appear in a Status or log.
//
// S3 has no atomic create-if-absent here, so PutFile refuses an existing key by a HEAD before the
// upload: two writers racing on one key could both succeed. Timestore makes that impossible by
// construction (object keys are unique: they embed ids no other writer uses).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "observability/logger.h"
#include "observability/metrics.h"
#include "storage/object_store.h"
#include "storage/object_store_metrics.h"

namespace timestore::storage {

struct S3Options {
  // "http://127.0.0.1:9000" or "https://s3.eu-west-1.amazonaws.com" (no path); empty means AWS:
  // https://s3.<region>.amazonaws.com.
  std::string endpoint;
  std::string region = "us-east-1";
  std::string bucket;  // required
  // Key prefix inside the bucket: "" or "a/b/" (a missing trailing '/' is added).
  std::string prefix;
  std::string access_key_id;      // required
  std::string secret_access_key;  // required
  std::string session_token;      // optional: sent as x-amz-security-token
  // true: <endpoint>/<bucket>/<key>; false: virtual-host style <scheme>://<bucket>.<host>/<key>.
  bool force_path_style = true;
  // Files above this size are uploaded in parts of multipart_part_bytes (real S3 requires parts of
  // at least 5 MiB except the last one, and at most 10000 parts).
  int64_t multipart_threshold_bytes = int64_t{64} << 20;
  int64_t multipart_part_bytes = int64_t{16} << 20;
  // Attempts per HTTP request (>= 1). Connection errors, timeouts, HTTP 500/502/503/504 and the S3
  // codes SlowDown, InternalError and RequestTimeout are retried after an exponential backoff with
  // jitter starting at retry_base_delay (capped at 2 s); other 4xx never are.
  int max_attempts = 4;
  std::chrono::milliseconds retry_base_delay{100};
  std::chrono::milliseconds connect_timeout{5000};
  // A transfer slower than 1 KiB/s for this long is aborted (and retried).
  std::chrono::milliseconds low_speed_timeout{30000};
  // Keys per ListObjectsV2 page, 1..1000 (S3's own maximum). Small values only for tests.
  int max_keys_per_page = 1000;
  // Local scratch directory returned by StagingDirectory() (created on demand); empty means
  // <system temp dir>/timestore-s3-staging.
  std::string staging_dir;
};

// The query string as SigV4 signs it: parameters sorted by encoded name, names and values
// percent-encoded per RFC 3986 (only A-Z a-z 0-9 - _ . ~ kept), empty values written "name=".
// curl signs the query exactly as given, so every request URL is built with this.
std::string CanonicalQueryString(const std::vector<std::pair<std::string, std::string>>& params);

// RFC 3986 percent-encoding of `text` (UTF-8 bytes), keeping '/' when `keep_slash`.
std::string UriEncode(std::string_view text, bool keep_slash);

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
  struct Request;
  struct Response;
  class HandlePool;

  S3ObjectStore(S3Options options, observability::MetricsRegistry* metrics);

  // Sends `request`, retrying as S3Options describes. A Response for any HTTP status; kUnavailable
  // when no response arrived within max_attempts. `what` names the operation in messages.
  common::Result<Response> Send(Request& request, std::string_view what);
  // The one mapping from a failed HTTP exchange to a Status.
  common::Status ErrorStatus(const Response& response, std::string_view what) const;
  // HEAD of the object at `bucket_key`: its headers, nothing on 404, else the error. A HEAD has
  // no error body, so other 4xx (and 404 when `explain_not_found`, to tell a missing bucket from
  // a missing object) are explained by CheckBucket.
  common::Result<std::optional<Response>> Head(const std::string& bucket_key,
                                               bool explain_not_found, std::string_view what);

  common::Status DoPutFile(std::string_view key, const std::string& local_path,
                           const PutOptions& options, int64_t& bytes) override;
  common::Status UploadSingle(const std::string& bucket_key, int fd, int64_t size,
                              const std::string& sha256_hex, std::string_view what);
  // Uploads parts of `part_bytes` (the last one shorter) whose hashes are `part_sha256`.
  common::Status UploadMultipart(const std::string& bucket_key, int fd, int64_t size,
                                 int64_t part_bytes, const std::string& sha256_hex,
                                 const std::vector<std::string>& part_sha256,
                                 std::string_view what);
  common::Status VerifyUploaded(const std::string& bucket_key, int64_t size,
                                const std::string& sha256_hex, std::string_view what);
  common::Status DoGetFile(std::string_view key, const std::string& dest_path,
                           int64_t& bytes) override;
  common::Status DoDelete(std::string_view key) override;
  common::Status DeleteBucketKey(const std::string& bucket_key, std::string_view what);
  common::Result<std::vector<ObjectInfo>> DoList(std::string_view prefix) override;
  common::Result<std::optional<ObjectInfo>> DoStat(std::string_view key) override;

  std::string BucketKey(std::string_view key) const { return options_.prefix + std::string(key); }
  std::string UrlFor(const std::string& bucket_key, const std::string& query) const;

  const S3Options options_;  // validated; prefix is "" or ends with '/'
  std::string scheme_;       // "http" or "https"
  std::string authority_;    // host[:port] of the endpoint
  std::string sigv4_;        // "aws:amz:<region>:s3"
  std::unique_ptr<HandlePool> pool_;
};

}  // namespace timestore::storage
