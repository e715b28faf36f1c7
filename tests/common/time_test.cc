#include "common/time.h"

#include <chrono>
#include <cstdio>
#include <random>

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

namespace timestore::common {
namespace {

// The formatter against an independent one built on std::chrono's calendar, over random instants
// from year 1 to 9999 (negative times, leap days and sub-millisecond values included).
TEST(TimeTest, FormatIso8601MatchesTheChronoCalendarEverywhere) {
  using namespace std::chrono;
  std::mt19937_64 rng(42);
  const int64_t lo = -62135596800LL * 1'000'000;  // 0001-01-01
  const int64_t hi = 253402300799LL * 1'000'000;  // 9999-12-31T23:59:59
  std::uniform_int_distribution<int64_t> any(lo, hi);
  for (int i = 0; i < 200000; ++i) {
    int64_t t = any(rng);
    if (i % 3 == 0) t -= t % 1000;  // millisecond precision: the short form
    const sys_time<microseconds> tp{microseconds(t)};
    const sys_days day = floor<days>(tp);
    const year_month_day ymd{day};
    const auto in_day = tp - day;
    const int64_t us = (in_day % seconds(1)).count();
    const int64_t s = duration_cast<seconds>(in_day).count();
    char expected[64];
    if (us % 1000 == 0) {
      std::snprintf(expected, sizeof expected, "%04d-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ",
                    static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                    static_cast<unsigned>(ymd.day()), static_cast<long long>(s / 3600),
                    static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60),
                    static_cast<long long>(us / 1000));
    } else {
      std::snprintf(expected, sizeof expected, "%04d-%02u-%02uT%02lld:%02lld:%02lld.%06lldZ",
                    static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                    static_cast<unsigned>(ymd.day()), static_cast<long long>(s / 3600),
                    static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60),
                    static_cast<long long>(us));
    }
    ASSERT_EQ(FormatIso8601(t), expected) << t;
    ASSERT_EQ(ParseIso8601(expected), t) << expected;
  }
}

}  // namespace
}  // namespace timestore::common
