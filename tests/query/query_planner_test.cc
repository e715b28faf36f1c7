#include "query/query_planner.h"

#include <random>

#include <gtest/gtest.h>

#include "duck/connection.h"
#include "duck/database.h"
#include "query/query_sql.h"

namespace timestore::query {
namespace {

StatValue Num(double v) {
  StatValue s;
  s.kind = StatValue::Kind::kNumber;
  s.number = v;
  s.text = std::to_string(v);
  return s;
}

StatValue Str(std::string v) {
  StatValue s;
  s.kind = StatValue::Kind::kString;
  s.text = std::move(v);
  s.micros = common::ParseIso8601(s.text);
  return s;
}

ColumnStatistics Range(StatValue min, StatValue max, int64_t nulls = 0) {
  ColumnStatistics c;
  c.min = std::move(min);
  c.max = std::move(max);
  c.null_count = nulls;
  return c;
}

Predicate Number(std::string name) {
  Predicate p;
  p.name = std::move(name);
  p.type = ValueType::kNumber;
  return p;
}

TEST(StatisticsMayMatchTest, NumberBoundsPruneOnlyWhenNoValueCanPass) {
  const ColumnStatistics s = Range(Num(10), Num(20));
  Predicate p = Number("x");
  p.gt = 20.0;
  EXPECT_FALSE(StatisticsMayMatch(p, &s, 5));
  p.gt = 19.5;
  EXPECT_TRUE(StatisticsMayMatch(p, &s, 5));
  p = Number("x");
  p.gte = 20.0;
  EXPECT_TRUE(StatisticsMayMatch(p, &s, 5));
  p = Number("x");
  p.lt = 10.0;
  EXPECT_FALSE(StatisticsMayMatch(p, &s, 5));
  p = Number("x");
  p.lte = 10.0;
  EXPECT_TRUE(StatisticsMayMatch(p, &s, 5));
  p = Number("x");
  p.eq = 21.0;
  EXPECT_FALSE(StatisticsMayMatch(p, &s, 5));
  p = Number("x");
  p.in = std::vector<Value>{1.0, 25.0};
  EXPECT_FALSE(StatisticsMayMatch(p, &s, 5));
  p.in = std::vector<Value>{1.0, 15.0};
  EXPECT_TRUE(StatisticsMayMatch(p, &s, 5));
}

TEST(StatisticsMayMatchTest, AllNullOrAbsentColumnsNeverMatch) {
  Predicate p = Number("x");
  p.gt = 0.0;
  EXPECT_FALSE(StatisticsMayMatch(p, nullptr, 5));
  ColumnStatistics nulls;
  nulls.null_count = 5;
  EXPECT_FALSE(StatisticsMayMatch(p, &nulls, 5));
  ColumnStatistics unknown;  // values, but no min/max recorded
  unknown.null_count = 1;
  EXPECT_TRUE(StatisticsMayMatch(p, &unknown, 5));
}

TEST(StatisticsMayMatchTest, StringsCompareBytewiseAndTimestampsByInstant) {
  const ColumnStatistics hosts = Range(Str("host_10"), Str("host_19"));
  Predicate p;
  p.name = "host";
  p.type = ValueType::kString;
  p.eq = std::string("host_2");  // "host_2" > "host_19" byte-wise
  EXPECT_FALSE(StatisticsMayMatch(p, &hosts, 3));
  p.eq = std::string("host_15");
  EXPECT_TRUE(StatisticsMayMatch(p, &hosts, 3));

  const ColumnStatistics times =
      Range(Str("2024-01-01T00:00:00.000Z"), Str("2024-01-01T00:00:09.500Z"));
  Predicate t;
  t.name = "ts";
  t.type = ValueType::kTimestamp;
  t.gte = *common::ParseIso8601("2024-01-01T00:00:09.600Z");
  EXPECT_FALSE(StatisticsMayMatch(t, &times, 3));
  t.gte = *common::ParseIso8601("2024-01-01T00:00:09.500Z");
  EXPECT_TRUE(StatisticsMayMatch(t, &times, 3));
}

TEST(KeyMatchesTest, KeysMatchTypedAndAsText) {
  Predicate p;
  p.name = "region";
  p.type = ValueType::kString;
  p.in = std::vector<Value>{std::string("eu"), std::string("us")};
  const StatValue eu = Str("eu");
  EXPECT_TRUE(KeyMatches(p, &eu));
  const StatValue ap = Str("ap");
  EXPECT_FALSE(KeyMatches(p, &ap));
  EXPECT_FALSE(KeyMatches(p, nullptr));
  StatValue three = Num(3);
  three.text = "3";
  Predicate text;
  text.name = "shard";
  text.type = ValueType::kString;
  text.eq = std::string("3");
  EXPECT_TRUE(KeyMatches(text, &three));
  Predicate number = Number("shard");
  number.gte = 3.0;
  EXPECT_TRUE(KeyMatches(number, &three));
  number.gte = 4.0;
  EXPECT_FALSE(KeyMatches(number, &three));
  // A number predicate never matches a string key.
  number.gte = 0.0;
  EXPECT_FALSE(KeyMatches(number, &eu));
}

TEST(SelectPartitionsTest, CountsEachReasonForPruning) {
  auto entry = [](int64_t start, int64_t end, double usage_min, double usage_max,
                  std::string region) {
    auto e = std::make_shared<PartitionEntry>();
    e->partition.start_time = start;
    e->partition.end_time = end;
    e->partition.row_count = 10;
    e->statistics.emplace("usage", Range(Num(usage_min), Num(usage_max)));
    e->key.emplace("region", Str(std::move(region)));
    return std::shared_ptr<const PartitionEntry>(e);
  };
  ManifestSnapshot snapshot;
  snapshot.partitions = {entry(0, 99, 0, 10, "eu"), entry(100, 199, 0, 10, "eu"),
                         entry(100, 199, 50, 60, "eu"), entry(150, 250, 0, 90, "us"),
                         entry(300, 400, 0, 90, "eu")};
  QuerySpec spec;
  spec.start = 100;  // [100, 300): the first and last are out of range
  spec.end = 300;
  Predicate usage = Number("usage");
  usage.lt = 20.0;
  spec.column_filters.push_back(usage);
  Predicate region;
  region.name = "region";
  region.eq = std::string("eu");
  spec.partition_key_filters.push_back(region);
  const PartitionSelection s = SelectPartitions(spec, snapshot);
  EXPECT_EQ(s.total, 5);
  EXPECT_EQ(s.pruned_by_time, 2);
  EXPECT_EQ(s.pruned_by_key, 1);
  EXPECT_EQ(s.pruned_by_statistics, 1);
  ASSERT_EQ(s.selected.size(), 1u);
  EXPECT_EQ(s.selected[0]->partition.start_time, 100);
  EXPECT_EQ(s.selected[0]->statistics.at("usage").max->number, 10);
}

TEST(TimestampLiteralTest, WritesMicrosecondsInDuckDbLiteralForm) {
  EXPECT_EQ(TimestampLiteral(0), "TIMESTAMP '1970-01-01 00:00:00.000000'");
  EXPECT_EQ(TimestampLiteral(1704067200123456), "TIMESTAMP '2024-01-01 00:00:00.123456'");
  EXPECT_EQ(TimestampLiteral(-1), "TIMESTAMP '1969-12-31 23:59:59.999999'");
}

}  // namespace
}  // namespace timestore::query

namespace timestore::query {
namespace {

// FixedBucketStart must place every instant in the bucket DuckDB's time_bucket gives it, or a
// query whose rows all fall in one bucket would answer a different bucket start.
TEST(FixedBucketStartTest, AgreesWithDuckDbTimeBucket) {
  auto db = duck::Database::Open(":memory:");
  ASSERT_TRUE(db.ok());
  auto conn = duck::Connection::Open(*db);
  ASSERT_TRUE(conn.ok());
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int64_t> any(-2'000'000'000'000'000, 4'000'000'000'000'000);
  for (IntervalUnit unit : {IntervalUnit::kSecond, IntervalUnit::kMinute, IntervalUnit::kHour,
                            IntervalUnit::kDay, IntervalUnit::kWeek}) {
    for (int64_t size : {1, 5, 7, 13}) {
      Downsample d;
      d.unit = unit;
      d.size = size;
      for (int i = 0; i < 50; ++i) {
        const int64_t t = any(rng);
        auto r = conn->Query(SingleBucketProbeSql(d, t, t));
        ASSERT_TRUE(r.ok()) << r.status().ToString();
        EXPECT_EQ(FixedBucketStart(d, t), r->GetInt64(0, 0))
            << IntervalUnitName(unit) << " x" << size << " at " << t;
      }
    }
  }
  Downsample month;
  month.unit = IntervalUnit::kMonth;
  EXPECT_FALSE(FixedBucketStart(month, 0).has_value());
}

}  // namespace
}  // namespace timestore::query
