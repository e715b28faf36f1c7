// RetryPolicy: how often and how long apart a remote request is tried again (exponential backoff
// with jitter), and which S3 answers are worth another attempt. A plain value; the decisions are
// pure functions (the jitter draws from a generator the caller owns), so they are thread-safe.
#pragma once

#include <chrono>
#include <random>
#include <string_view>

namespace timestore::storage {

struct RetryPolicy {
  int max_attempts = 4;  // >= 1; the first attempt counts
  std::chrono::milliseconds base_delay{100};
  std::chrono::milliseconds max_delay{2000};

  // True when `attempt` (1-based) failed retryably and another one may follow.
  bool HasAttemptAfter(int attempt) const { return attempt < max_attempts; }

  // The longest wait before attempt `attempt` (>= 2): base_delay doubled per earlier retry,
  // capped at max_delay.
  std::chrono::milliseconds BackoffCap(int attempt) const;

  // The wait before attempt `attempt` (>= 2), drawn uniformly from [cap/2, cap] (cap =
  // BackoffCap) so that clients failing together do not retry together.
  std::chrono::milliseconds Backoff(int attempt, std::mt19937_64& rng) const;
};

// HTTP statuses that mean "the server failed, try again": 500, 502, 503, 504.
bool IsRetryableHttpStatus(long status);

// S3 error codes that mean "try again later" whatever the HTTP status: SlowDown, InternalError,
// RequestTimeout, ServiceUnavailable.
bool IsRetryableS3Code(std::string_view code);

// True when an S3 answer with this status and error code (may be "") should be tried again.
inline bool IsRetryableS3Answer(long status, std::string_view code) {
  return IsRetryableHttpStatus(status) || IsRetryableS3Code(code);
}

}  // namespace timestore::storage
