#include "partition/partition_key.h"

#include <gtest/gtest.h>

#include "partition/file_format.h"

namespace timestore::partition {
namespace {

TEST(PartitionKeyTest, EmptyKeyHasEmptyObjectAndNoPath) {
  const PartitionKey key;
  EXPECT_EQ(key.Json(), "{}");
  EXPECT_EQ(key.PathSegments(), "");
}

TEST(PartitionKeyTest, JsonAndPathComeFromTheSameValuesInByteOrder) {
  PartitionKey key;
  key.Set("region", JsonScalar::String("eu-west"));
  key.Set("Zone", JsonScalar::Integer(3));
  key.Set("active", JsonScalar::Boolean(true));
  EXPECT_EQ(key.Json(), R"({"Zone":3,"active":true,"region":"eu-west"})");
  EXPECT_EQ(key.PathSegments(), "Zone=3/active=true/region=eu-west/");
}

TEST(PartitionKeyTest, SetReplacesAnEarlierValue) {
  PartitionKey key;
  key.Set("a", JsonScalar::String("x"));
  key.Set("a", JsonScalar::String("y"));
  EXPECT_EQ(key.Json(), R"({"a":"y"})");
}

TEST(PartitionKeyTest, PathEscapesNamesAndValuesButJsonKeepsThem) {
  PartitionKey key;
  key.Set("host", JsonScalar::String("a/b c=\"d\""));
  EXPECT_EQ(key.Json(), R"({"host":"a/b c=\"d\""})");
  EXPECT_EQ(key.PathSegments(), "host=a%2Fb%20c%3D%22d%22/");
}

TEST(PartitionKeyTest, FromJsonSortsByteWiseAndRoundTrips) {
  // PostgreSQL's jsonb orders keys by length first; the path must not depend on that.
  auto key = PartitionKey::FromJson(R"({"zz":"1","a":2.5,"B":false})");
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(key->Json(), R"({"B":false,"a":2.5,"zz":"1"})");
  EXPECT_EQ(key->PathSegments(), "B=false/a=2.5/zz=1/");
  auto again = PartitionKey::FromJson(key->Json());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *key);
}

TEST(PartitionKeyTest, FromJsonRejectsNonObjectsAndNestedValues) {
  EXPECT_EQ(PartitionKey::FromJson("[1]").status().code(), common::StatusCode::kInvalidArgument);
  EXPECT_EQ(PartitionKey::FromJson("not json").status().code(),
            common::StatusCode::kInvalidArgument);
  EXPECT_EQ(PartitionKey::FromJson(R"({"a":{"b":1}})").status().code(),
            common::StatusCode::kInvalidArgument);
  EXPECT_EQ(PartitionKey::FromJson(R"({"a":null})").status().code(),
            common::StatusCode::kInvalidArgument);
}

TEST(PartitionKeyTest, ObjectKeyFollowsTheScheme) {
  PartitionKey key;
  key.Set("region", JsonScalar::String("eu"));
  EXPECT_EQ(PartitionObjectKey("metrics", key, 1'704'067'200'000'000, "part-1",
                               catalog::WriteFormat::kParquet)
                .value(),
            "metrics/region=eu/window=20240101T000000Z/part-1.parquet");
  EXPECT_EQ(
      PartitionObjectKey("m", PartitionKey(), 0, "part-2", catalog::WriteFormat::kDuckdb).value(),
      "m/window=19700101T000000Z/part-2.duckdb");
}

}  // namespace
}  // namespace timestore::partition
