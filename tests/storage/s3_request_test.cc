#include "storage/s3_request.h"

#include <gtest/gtest.h>

namespace timestore::storage {
namespace {

TEST(S3CanonicalQueryTest, SortsEncodesAndWritesEmptyValues) {
  EXPECT_EQ(CanonicalQueryString({{"uploadId", "a b/c"}, {"partNumber", "3"}}),
            "partNumber=3&uploadId=a%20b%2Fc");
  EXPECT_EQ(CanonicalQueryString({{"uploads", ""}}), "uploads=");
  EXPECT_EQ(CanonicalQueryString({{"prefix", "seg/2024/"},
                                  {"list-type", "2"},
                                  {"continuation-token", "x+y=/z"},
                                  {"max-keys", "0"}}),
            "continuation-token=x%2By%3D%2Fz&list-type=2&max-keys=0&prefix=seg%2F2024%2F");
  EXPECT_EQ(CanonicalQueryString({}), "");
  // Sorted by the encoded name, byte-wise (upper case before lower case).
  EXPECT_EQ(CanonicalQueryString({{"b", "1"}, {"B", "2"}, {"a~", "3"}}), "B=2&a~=3&b=1");
}

TEST(S3CanonicalQueryTest, UriEncodeKeepsUnreservedAndOptionallySlash) {
  EXPECT_EQ(UriEncode("a b/ü+~-_.*", true), "a%20b/%C3%BC%2B~-_.%2A");
  EXPECT_EQ(UriEncode("a/b", false), "a%2Fb");
}

TEST(S3CanonicalQueryTest, EncodesReservedAndNonAsciiBytesInNamesAndValues) {
  EXPECT_EQ(CanonicalQueryString({{"k&=", "v&=?#"}}), "k%26%3D=v%26%3D%3F%23");
  EXPECT_EQ(CanonicalQueryString({{"prefix", "dé jà"}}), "prefix=d%C3%A9%20j%C3%A0");
}

TEST(S3ResponseTest, HeaderFindsTheFirstValueAndOkMeans2xx) {
  S3Response response;
  response.status = 204;
  response.headers = {{"etag", "\"a\""}, {"etag", "\"b\""}, {"content-length", "0"}};
  EXPECT_EQ(response.Header("etag"), "\"a\"");
  EXPECT_EQ(response.Header("content-length"), "0");
  EXPECT_FALSE(response.Header("ETag").has_value());  // names are stored lowercase
  EXPECT_TRUE(response.ok());
  response.status = 301;
  EXPECT_FALSE(response.ok());
  response.status = 199;
  EXPECT_FALSE(response.ok());
}

}  // namespace
}  // namespace timestore::storage
