#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "storage/object_key_segment.h"
#include "storage/object_store.h"

namespace timestore::storage {
namespace {

using common::StatusCode;
using ::testing::HasSubstr;

TEST(ObjectStoreKeyTest, ValidKeysAreAccepted) {
  for (const std::string& key : std::vector<std::string>{
           "a", "cpu/region=eu/window=2024-01-01/part-1.parquet", "a.b/c..d/.hidden/e", "x-y_z/0",
           std::string(255, 'k'), std::string(4, 'a') + "/" + std::string(255, 'b')}) {
    EXPECT_TRUE(ValidateObjectKey(key).ok()) << key;
  }
  const std::string longest = std::string(255, 'a') + "/" + std::string(255, 'b') + "/" +
                              std::string(255, 'c') + "/" + std::string(254, 'd') + "/e";
  ASSERT_EQ(longest.size(), kMaxObjectKeyBytes);
  EXPECT_TRUE(ValidateObjectKey(longest).ok());
}

TEST(ObjectStoreKeyTest, InvalidKeysAreRejectedWithTheRuleTheyBreak) {
  struct Case {
    std::string key;
    std::string why;
  };
  const std::vector<Case> cases = {
      {"", "empty"},
      {"/a", "starts with '/'"},
      {"a/", "empty segment"},
      {"a//b", "empty segment"},
      {"a/../b", "'.' or '..' segment"},
      {"..", "'.' or '..' segment"},
      {"./a", "'.' or '..' segment"},
      {std::string("a\0b", 3), "NUL"},
      {"a\\b", "backslash"},
      {"a/.tmp-123", "reserved prefix"},
      {".tmp-staging/x", "reserved prefix"},
      {std::string(256, 'k'), "segment longer than 255"},
      {std::string(kMaxObjectKeyBytes + 1, 'a'), "longer than 1024 bytes"},
  };
  for (const Case& c : cases) {
    common::Status status = ValidateObjectKey(c.key);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << c.key;
    EXPECT_THAT(status.message(), HasSubstr(c.why)) << c.key;
  }
}

}  // namespace
}  // namespace timestore::storage

namespace timestore::storage {
namespace {

TEST(ObjectKeySegmentTest, KeepsSafeCharactersAndPercentEncodesTheRest) {
  EXPECT_EQ(EncodeKeySegment("eu-west-1_b.2"), "eu-west-1_b.2");
  EXPECT_EQ(EncodeKeySegment("a/b c=d%"), "a%2Fb%20c%3Dd%25");
  EXPECT_EQ(EncodeKeySegment("\xC3\xA9"), "%C3%A9");
  EXPECT_EQ(EncodeKeySegment(".."), "..");  // callers never pass a bare "..": values are key=value
}

TEST(ObjectKeySegmentTest, CompactTimeIsUtcToTheSecond) {
  EXPECT_EQ(CompactTimeSegment(1704067200'123456), "20240101T000000Z");
  EXPECT_EQ(CompactTimeSegment(0), "19700101T000000Z");
}

}  // namespace
}  // namespace timestore::storage
