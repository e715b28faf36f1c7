#include "common/time.h"

#include <gtest/gtest.h>

#include "common/random_id.h"

namespace timestore::common {
namespace {

TEST(TimeTest, ParsesUtcAndOffsetsToTheSameInstant) {
  EXPECT_EQ(ParseIso8601("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ParseIso8601("2024-01-01T00:00:10Z"), 1704067210LL * 1'000'000);
  EXPECT_EQ(ParseIso8601("2024-01-01T01:00:10+01:00"), 1704067210LL * 1'000'000);
  EXPECT_EQ(ParseIso8601("2023-12-31T19:00:10-0500"), 1704067210LL * 1'000'000);
  EXPECT_EQ(ParseIso8601("2024-01-01 00:00:10z"), 1704067210LL * 1'000'000);
}

TEST(TimeTest, FractionsKeepMicrosecondsAndTruncateBeyond) {
  EXPECT_EQ(ParseIso8601("1970-01-01T00:00:00.5Z"), 500'000);
  EXPECT_EQ(ParseIso8601("1970-01-01T00:00:00.123456Z"), 123'456);
  EXPECT_EQ(ParseIso8601("1970-01-01T00:00:00.123456789Z"), 123'456);
  EXPECT_EQ(ParseIso8601("1969-12-31T23:59:59.999999Z"), -1);
}

TEST(TimeTest, RejectsMalformedOrImpossibleTimes) {
  for (const char* bad :
       {"", "2024-01-01", "2024-01-01T00:00:00", "2024-13-01T00:00:00Z", "2023-02-29T00:00:00Z",
        "2024-01-32T00:00:00Z", "2024-01-01T24:00:00Z", "2024-01-01T00:60:00Z",
        "2024-01-01T00:00:60Z", "2024-01-01T00:00:00.Z", "2024-01-01T00:00:00.1234567890Z",
        "2024-01-01T00:00:00+2400", "2024-01-01T00:00:00ZZ", "abc", "2024-1-01T00:00:00Z",
        " 2024-01-01T00:00:00Z"}) {
    EXPECT_FALSE(ParseIso8601(bad).has_value()) << bad;
  }
  EXPECT_TRUE(ParseIso8601("2024-02-29T00:00:00Z").has_value());
}

TEST(TimeTest, FormatRoundTripsThroughParse) {
  for (UnixMicros t :
       {0LL, 1704067210LL * 1'000'000, -1LL, 1'700'000'000'123'456LL, -86'400'000'000LL * 365}) {
    const std::string text = FormatIso8601(t);
    EXPECT_EQ(ParseIso8601(text), t) << text;
  }
  EXPECT_EQ(FormatIso8601(1704067210LL * 1'000'000), "2024-01-01T00:00:10.000Z");
  EXPECT_EQ(FormatIso8601(123'456), "1970-01-01T00:00:00.123456Z");
}

TEST(RandomIdTest, IdsHaveThePrefixAndDoNotRepeat) {
  const std::string a = RandomId("part-");
  EXPECT_EQ(a.size(), 5u + 32u);
  EXPECT_EQ(a.rfind("part-", 0), 0u);
  EXPECT_NE(a, RandomId("part-"));
  EXPECT_EQ(RandomHex(3).size(), 6u);
}

}  // namespace
}  // namespace timestore::common
