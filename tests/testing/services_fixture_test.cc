// The ctest "services" fixture itself: the throwaway PostgreSQL accepts the test role over TCP with
// its password, and the S3 server verifies SigV4 signatures (a wrong secret is refused), so the S3
// tests of the storage module can trust it to catch signing bugs.
#include <gtest/gtest.h>

#include "testing/subprocess.h"
#include "testing/test_env.h"

namespace timestore::testing {
namespace {

constexpr char kEmptySha256[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

std::pair<int, std::string> SignedList(const std::string& secret) {
  return RunCommand({"/usr/bin/curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--aws-sigv4",
                     "aws:amz:us-east-1:s3", "--user", "S3RVER:" + secret, "-H",
                     std::string("x-amz-content-sha256: ") + kEmptySha256,
                     S3Endpoint() + "/timestore-test?list-type=2"});
}

TEST(ServicesFixtureTest, S3ServerAcceptsTheRightSecretAndRejectsAWrongSignature) {
  auto [ok_code, ok_out] = SignedList("S3RVER");
  EXPECT_EQ(ok_code, 0);
  EXPECT_EQ(ok_out, "200");
  auto [bad_code, bad_out] = SignedList("not-the-secret");
  EXPECT_EQ(bad_code, 0);
  EXPECT_EQ(bad_out, "403");
}

TEST(ServicesFixtureTest, PostgresAnswersOnTheAdvertisedUrl) {
  auto [code, out] = RunCommand({"/usr/bin/psql", PostgresUrl(), "-qAtX", "-c", "SELECT 40 + 2"},
                                {{"PGCONNECT_TIMEOUT", "5"}});
  EXPECT_EQ(code, 0) << out;
  EXPECT_EQ(out, "42\n");
}

}  // namespace
}  // namespace timestore::testing
