#include "storage/s3_xml.h"

#include <gtest/gtest.h>

#include "common/time.h"

namespace timestore::storage {
namespace {

TEST(S3XmlTest, XmlTextReturnsTheFirstElementStillEscaped) {
  EXPECT_EQ(XmlText("<a><Key>x&amp;y</Key><Key>z</Key></a>", "Key"), "x&amp;y");
  EXPECT_EQ(XmlText("<a><Key></Key></a>", "Key"), "");
  EXPECT_EQ(XmlText("<a><Key>unterminated</a>", "Key"), "");
  EXPECT_EQ(XmlText("<a></a>", "Key"), "");
}

TEST(S3XmlTest, UnescapeDecodesEntitiesAndCharacterReferences) {
  EXPECT_EQ(XmlUnescape("a&amp;b&lt;c&gt;d&quot;e&apos;f"), "a&b<c>d\"e'f");
  EXPECT_EQ(XmlUnescape("&#65;&#x42;&#X43;"), "ABC");
  EXPECT_EQ(XmlUnescape("&#xE9;&#x20AC;&#x1F600;"), "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
  // Kept as written: unknown entities, bad references, a lone '&'.
  EXPECT_EQ(XmlUnescape("&nbsp;&#x110000;&#12a;&#;a & b"), "&nbsp;&#x110000;&#12a;&#;a & b");
}

TEST(S3XmlTest, EscapeRoundTripsThroughUnescape) {
  EXPECT_EQ(XmlEscape("\"etag\"<&>"), "\"etag\"&lt;&amp;&gt;");
  EXPECT_EQ(XmlUnescape(XmlEscape("a<b>&c")), "a<b>&c");
}

TEST(S3XmlTest, ParseS3SizeAcceptsOnlyShortDecimals) {
  EXPECT_EQ(ParseS3Size("0"), 0);
  EXPECT_EQ(ParseS3Size("123456789012345678"), 123456789012345678);
  EXPECT_FALSE(ParseS3Size("").has_value());
  EXPECT_FALSE(ParseS3Size("1234567890123456789").has_value());
  EXPECT_FALSE(ParseS3Size("-1").has_value());
  EXPECT_FALSE(ParseS3Size("12 ").has_value());
}

TEST(S3XmlTest, ParseErrorReadsCodeAndUnescapedMessage) {
  const S3ErrorBody error = ParseS3Error(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchKey</Code>"
      "<Message>The key &apos;a&amp;b&apos; does not exist</Message><Key>a&amp;b</Key></Error>");
  EXPECT_EQ(error.code, "NoSuchKey");
  EXPECT_EQ(error.message, "The key 'a&b' does not exist");
  const S3ErrorBody none = ParseS3Error("");
  EXPECT_EQ(none.code, "");
  EXPECT_EQ(none.message, "");
  EXPECT_TRUE(HasS3ErrorElement("<Error><Code>InternalError</Code></Error>"));
  EXPECT_FALSE(
      HasS3ErrorElement("<CompleteMultipartUploadResult></CompleteMultipartUploadResult>"));
}

TEST(S3XmlTest, ParseListObjectsV2ReadsEntriesAndContinuation) {
  const S3ListPage page = ParseListObjectsV2(
      "<ListBucketResult><Name>b</Name><Prefix>p/</Prefix><KeyCount>2</KeyCount>"
      "<IsTruncated>true</IsTruncated><NextContinuationToken>t+1&amp;2</NextContinuationToken>"
      "<Contents><Key>p/a&amp;b.duckdb</Key><LastModified>2024-03-01T12:00:00.250Z</LastModified>"
      "<ETag>&quot;x&quot;</ETag><Size>1234</Size></Contents>"
      "<Contents><Key>p/c</Key><Size>bad</Size></Contents></ListBucketResult>");
  ASSERT_EQ(page.objects.size(), 2u);
  EXPECT_EQ(page.objects[0].key, "p/a&b.duckdb");
  EXPECT_EQ(page.objects[0].size_bytes, 1234);
  EXPECT_EQ(page.objects[0].modified_at, common::ParseIso8601("2024-03-01T12:00:00.250Z"));
  EXPECT_EQ(page.objects[1].key, "p/c");
  EXPECT_EQ(page.objects[1].size_bytes, 0);  // malformed: read as 0
  EXPECT_EQ(page.objects[1].modified_at, 0);
  EXPECT_TRUE(page.truncated);
  EXPECT_EQ(page.next_continuation_token, "t+1&2");
}

TEST(S3XmlTest, ParseListObjectsV2OfTheLastOrAnEmptyPage) {
  const S3ListPage last = ParseListObjectsV2(
      "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>k</Key><Size>1</Size>"
      "</Contents><Contents><Key>cut</Key>");  // an unterminated entry ends the list
  ASSERT_EQ(last.objects.size(), 1u);
  EXPECT_EQ(last.objects[0].key, "k");
  EXPECT_FALSE(last.truncated);
  EXPECT_EQ(last.next_continuation_token, "");
  const S3ListPage empty = ParseListObjectsV2(
      "<ListBucketResult><KeyCount>0</KeyCount>"
      "<IsTruncated>false</IsTruncated></ListBucketResult>");
  EXPECT_TRUE(empty.objects.empty());
  EXPECT_FALSE(empty.truncated);
}

TEST(S3XmlTest, MultipartBodies) {
  EXPECT_EQ(ParseUploadId("<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key>"
                          "<UploadId>abc&amp;def</UploadId></InitiateMultipartUploadResult>"),
            "abc&def");
  EXPECT_EQ(ParseUploadId("<InitiateMultipartUploadResult></InitiateMultipartUploadResult>"), "");
  EXPECT_EQ(BuildCompleteMultipartUpload({"\"e1\"", "\"e<2>\""}),
            "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\"e1\"</ETag></Part>"
            "<Part><PartNumber>2</PartNumber><ETag>\"e&lt;2&gt;\"</ETag></Part>"
            "</CompleteMultipartUpload>");
  EXPECT_EQ(BuildCompleteMultipartUpload({}),
            "<CompleteMultipartUpload></CompleteMultipartUpload>");
}

}  // namespace
}  // namespace timestore::storage
