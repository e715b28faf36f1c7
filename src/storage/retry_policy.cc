#include "storage/retry_policy.h"

#include <algorithm>
#include <cstdint>

namespace timestore::storage {

std::chrono::milliseconds RetryPolicy::BackoffCap(int attempt) const {
  // Past 30 doublings every sane base is far above any cap; stop shifting before it overflows.
  const int doublings = std::clamp(attempt - 2, 0, 30);
  const int64_t base = base_delay.count();
  if (base > max_delay.count() >> doublings) return max_delay;
  return std::min(max_delay, std::chrono::milliseconds(base << doublings));
}

std::chrono::milliseconds RetryPolicy::Backoff(int attempt, std::mt19937_64& rng) const {
  const std::chrono::milliseconds cap = BackoffCap(attempt);
  std::uniform_int_distribution<int64_t> jitter(cap.count() / 2, cap.count());
  return std::chrono::milliseconds(jitter(rng));
}

bool IsRetryableHttpStatus(long status) {
  return status == 500 || status == 502 || status == 503 || status == 504;
}

bool IsRetryableS3Code(std::string_view code) {
  return code == "SlowDown" || code == "InternalError" || code == "RequestTimeout" ||
         code == "ServiceUnavailable";
}

}  // namespace timestore::storage
