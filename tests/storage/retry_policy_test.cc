#include "storage/retry_policy.h"

#include <chrono>
#include <random>

#include <gtest/gtest.h>

namespace timestore::storage {
namespace {

using std::chrono::milliseconds;

TEST(RetryPolicyTest, BackoffDoublesFromTheBaseUpToTheCap) {
  const RetryPolicy policy{6, milliseconds(100), milliseconds(2000)};
  EXPECT_EQ(policy.BackoffCap(2), milliseconds(100));
  EXPECT_EQ(policy.BackoffCap(3), milliseconds(200));
  EXPECT_EQ(policy.BackoffCap(4), milliseconds(400));
  EXPECT_EQ(policy.BackoffCap(6), milliseconds(1600));
  EXPECT_EQ(policy.BackoffCap(7), milliseconds(2000));
  EXPECT_EQ(policy.BackoffCap(1000), milliseconds(2000));  // no overflow for absurd attempts
  const RetryPolicy zero{4, milliseconds(0), milliseconds(2000)};
  EXPECT_EQ(zero.BackoffCap(5), milliseconds(0));
}

TEST(RetryPolicyTest, JitteredBackoffStaysWithinHalfTheCapAndTheCap) {
  const RetryPolicy policy{4, milliseconds(100), milliseconds(2000)};
  std::mt19937_64 rng(42);
  for (int attempt = 2; attempt <= 8; ++attempt) {
    const milliseconds cap = policy.BackoffCap(attempt);
    for (int i = 0; i < 200; ++i) {
      const milliseconds delay = policy.Backoff(attempt, rng);
      EXPECT_GE(delay, cap / 2);
      EXPECT_LE(delay, cap);
    }
  }
}

TEST(RetryPolicyTest, AnotherAttemptFollowsOnlyBeforeTheLast) {
  const RetryPolicy policy{3, milliseconds(1), milliseconds(10)};
  EXPECT_TRUE(policy.HasAttemptAfter(1));
  EXPECT_TRUE(policy.HasAttemptAfter(2));
  EXPECT_FALSE(policy.HasAttemptAfter(3));
  const RetryPolicy once{1, milliseconds(1), milliseconds(10)};
  EXPECT_FALSE(once.HasAttemptAfter(1));
}

TEST(RetryPolicyTest, ServerFailuresAndThrottlingAreRetryableClientErrorsAreNot) {
  for (long status : {500L, 502L, 503L, 504L}) EXPECT_TRUE(IsRetryableHttpStatus(status));
  for (long status : {200L, 301L, 400L, 403L, 404L, 409L, 501L}) {
    EXPECT_FALSE(IsRetryableHttpStatus(status)) << status;
  }
  for (const char* code : {"SlowDown", "InternalError", "RequestTimeout", "ServiceUnavailable"}) {
    EXPECT_TRUE(IsRetryableS3Code(code)) << code;
  }
  for (const char* code : {"", "NoSuchKey", "AccessDenied", "SignatureDoesNotMatch"}) {
    EXPECT_FALSE(IsRetryableS3Code(code)) << code;
  }
  // A retryable code makes any status retryable (S3 answers RequestTimeout with a 400).
  EXPECT_TRUE(IsRetryableS3Answer(400, "RequestTimeout"));
  EXPECT_TRUE(IsRetryableS3Answer(503, ""));
  EXPECT_FALSE(IsRetryableS3Answer(404, "NoSuchKey"));
}

}  // namespace
}  // namespace timestore::storage
