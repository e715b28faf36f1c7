// S3Client: sends S3 requests signed by curl (CURLOPT_AWS_SIGV4) to one bucket, retrying as its
// RetryPolicy says, over a small pool of curl easy handles (their connections are reused), and maps
// failed answers to a Status. Thread-safe: each Send borrows its own handle. Open does no network
// I/O. Secrets never appear in a Status or log. The only place in timestore that includes curl.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "common/time.h"
#include "observability/logger.h"
#include "storage/retry_policy.h"
#include "storage/s3_options.h"
#include "storage/s3_request.h"

namespace timestore::storage {

// An HTTP date (Last-Modified: "Wed, 21 Oct 2015 07:28:00 GMT", or the older forms) in
// microseconds since the epoch, whole seconds; nothing when it does not parse or is not after 1970.
std::optional<common::UnixMicros> ParseHttpDate(const std::string& text);

// The first 300 bytes of `text`: as much of S3-provided text (an error message, a header value)
// as a Status quotes.
std::string TruncatedForStatus(std::string_view text);

class S3Client {
 public:
  // `options` must be validated (S3ObjectStore::Open does): endpoint is `scheme`://`authority`.
  // Initializes libcurl once per process (kInternal when that fails).
  static common::Result<std::unique_ptr<S3Client>> Open(const S3Options& options,
                                                        std::string scheme, std::string authority,
                                                        observability::Logger logger);
  ~S3Client();
  S3Client(const S3Client&) = delete;
  S3Client& operator=(const S3Client&) = delete;

  // Sends `request` (filling payload_sha256 when empty), retrying connection errors, timeouts and
  // retryable answers (IsRetryableS3Answer) up to the policy's attempts. A Response for any HTTP
  // status, the last one when every attempt was retryable; kUnavailable when no response arrived;
  // an errno Status when local file I/O failed. `what` names the operation in messages and logs.
  common::Result<S3Response> Send(S3Request& request, std::string_view what);

  // The one mapping from a failed answer to a Status, prefixed with `what`: NoSuchBucket, refused
  // credentials, redirects and server failures kUnavailable; 404 kNotFound; 403 kPermissionDenied;
  // any other 4xx kInternal (a request S3 refused is a bug or an incompatible server).
  common::Status ErrorStatus(const S3Response& response, std::string_view what) const;

  // The request URL for `bucket_key` ("" = the bucket) with an already canonical `query`:
  // <endpoint>/<bucket>/<key> in path style, <scheme>://<bucket>.<authority>/<key> otherwise.
  std::string UrlFor(const std::string& bucket_key, const std::string& query) const;

 private:
  class HandlePool;

  S3Client(const S3Options& options, std::string scheme, std::string authority,
           observability::Logger logger);

  const S3Options options_;  // validated
  const RetryPolicy retry_;
  const std::string scheme_;     // "http" or "https"
  const std::string authority_;  // host[:port] of the endpoint
  const std::string sigv4_;      // "aws:amz:<region>:s3"
  observability::Logger logger_;
  std::unique_ptr<HandlePool> pool_;
};

}  // namespace timestore::storage
