// S3Options: how an S3ObjectStore reaches its bucket (endpoint, credentials, addressing) and how it
// transfers (multipart sizes, retries, timeouts, page size). A plain value; S3ObjectStore::Open
// validates it. Defaults are documented next to each field.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

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

}  // namespace timestore::storage
