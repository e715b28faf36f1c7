#include "storage/s3_client.h"

#include <memory>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace timestore::storage {
namespace {

using common::StatusCode;
using ::testing::HasSubstr;
using ::testing::Not;

S3Options ClientOptions(bool path_style) {
  S3Options options;
  options.endpoint = "http://127.0.0.1:9000";
  options.bucket = "my-bucket";
  options.access_key_id = "AKID";
  options.secret_access_key = "very-secret";
  options.force_path_style = path_style;
  options.max_attempts = 3;
  return options;
}

std::unique_ptr<S3Client> OpenClient(bool path_style = true) {
  auto client = S3Client::Open(ClientOptions(path_style), "http", "127.0.0.1:9000", {});
  EXPECT_TRUE(client.ok()) << client.status().ToString();
  return std::move(client).value();
}

S3Response Answer(long status, std::string body = "") {
  S3Response response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

TEST(S3ClientTest, UrlForEncodesKeysInPathAndVirtualHostStyle) {
  const auto path = OpenClient(true);
  EXPECT_EQ(path->UrlFor("", "list-type=2"), "http://127.0.0.1:9000/my-bucket?list-type=2");
  EXPECT_EQ(path->UrlFor("a b/c+d", ""), "http://127.0.0.1:9000/my-bucket/a%20b/c%2Bd");
  const auto host = OpenClient(false);
  EXPECT_EQ(host->UrlFor("a/b", "uploads="), "http://my-bucket.127.0.0.1:9000/a/b?uploads=");
  EXPECT_EQ(host->UrlFor("", ""), "http://my-bucket.127.0.0.1:9000/");
}

TEST(S3ClientTest, ErrorStatusMapsAnswersToCodesNamingTheOperation) {
  const auto client = OpenClient();
  const common::Status bucket =
      client->ErrorStatus(Answer(404, "<Error><Code>NoSuchBucket</Code></Error>"), "get of 'k'");
  EXPECT_EQ(bucket.code(), StatusCode::kUnavailable);
  EXPECT_THAT(bucket.message(), HasSubstr("get of 'k': bucket 'my-bucket' does not exist at "
                                          "http://127.0.0.1:9000"));

  const common::Status credentials = client->ErrorStatus(
      Answer(403,
             "<Error><Code>SignatureDoesNotMatch</Code><Message>no &amp; no</Message></Error>"),
      "put");
  EXPECT_EQ(credentials.code(), StatusCode::kUnavailable);
  EXPECT_THAT(credentials.message(),
              HasSubstr("credentials rejected (SignatureDoesNotMatch: no & no (HTTP 403))"));
  EXPECT_THAT(credentials.message(), Not(HasSubstr("very-secret")));

  EXPECT_EQ(client->ErrorStatus(Answer(404), "stat").code(), StatusCode::kNotFound);
  EXPECT_THAT(client->ErrorStatus(Answer(404), "stat").message(),
              HasSubstr("no such object (HTTP 404)"));
  EXPECT_EQ(
      client->ErrorStatus(Answer(403, "<Error><Code>AccessDenied</Code></Error>"), "x").code(),
      StatusCode::kPermissionDenied);
  EXPECT_EQ(client->ErrorStatus(Answer(301), "x").code(), StatusCode::kUnavailable);

  const common::Status failed = client->ErrorStatus(Answer(503), "list");
  EXPECT_EQ(failed.code(), StatusCode::kUnavailable);
  EXPECT_THAT(failed.message(), HasSubstr("S3 failed after 3 attempts (HTTP 503)"));
  EXPECT_EQ(client->ErrorStatus(Answer(400, "<Error><Code>SlowDown</Code></Error>"), "x").code(),
            StatusCode::kUnavailable);

  const common::Status refused =
      client->ErrorStatus(Answer(400, "<Error><Code>InvalidArgument</Code></Error>"), "x");
  EXPECT_EQ(refused.code(), StatusCode::kInternal);
  EXPECT_THAT(refused.message(), HasSubstr("S3 rejected the request (InvalidArgument (HTTP 400))"));
}

TEST(S3ClientTest, ParseHttpDateReadsLastModified) {
  EXPECT_EQ(ParseHttpDate("Wed, 21 Oct 2015 07:28:00 GMT"), int64_t{1445412480} * 1'000'000);
  EXPECT_FALSE(ParseHttpDate("yesterday").has_value());
  EXPECT_FALSE(ParseHttpDate("").has_value());
}

}  // namespace
}  // namespace timestore::storage
