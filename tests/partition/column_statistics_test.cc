#include "partition/column_statistics.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

namespace timestore::partition {
namespace {

TEST(ColumnStatisticsTest, EncodesEveryTypeInSchemaOrder) {
  ColumnStatisticsList list;
  list.emplace_back(
      "timestamp", ColumnStatistics{JsonScalar::Timestamp(0), JsonScalar::Timestamp(1'500'000), 0});
  list.emplace_back("host",
                    ColumnStatistics{JsonScalar::String("a\"b"), JsonScalar::String("z"), 2});
  list.emplace_back("v", ColumnStatistics{JsonScalar::Double(-2.25), JsonScalar::Double(1e21), 0});
  list.emplace_back("n", ColumnStatistics{JsonScalar::Integer(-5), JsonScalar::Integer(7), 1});
  list.emplace_back("ok",
                    ColumnStatistics{JsonScalar::Boolean(false), JsonScalar::Boolean(true), 0});
  EXPECT_EQ(EncodeColumnStatistics(list),
            R"({"timestamp":{"min":"1970-01-01T00:00:00.000Z","max":"1970-01-01T00:00:01.500Z",)"
            R"("nullCount":0},"host":{"min":"a\"b","max":"z","nullCount":2},)"
            R"("v":{"min":-2.25,"max":1e+21,"nullCount":0},"n":{"min":-5,"max":7,"nullCount":1},)"
            R"("ok":{"min":false,"max":true,"nullCount":0}})");
}

TEST(ColumnStatisticsTest, AllNullColumnHasOnlyItsNullCount) {
  ColumnStatisticsList list;
  list.emplace_back("empty", ColumnStatistics{std::nullopt, std::nullopt, 4});
  const std::string json = EncodeColumnStatistics(list);
  EXPECT_EQ(json, R"({"empty":{"nullCount":4}})");
  const ColumnStatisticsList decoded = DecodeColumnStatistics(json);
  ASSERT_EQ(decoded.size(), 1u);
  EXPECT_FALSE(decoded[0].second.min.has_value());
  EXPECT_FALSE(decoded[0].second.max.has_value());
  EXPECT_EQ(decoded[0].second.null_count, 4);
}

TEST(ColumnStatisticsTest, DecodeEncodeRoundTripsTheStoredJson) {
  const std::string json =
      R"({"timestamp":{"min":"2024-01-01T00:00:00.000Z","max":"2024-01-01T00:00:10.000Z",)"
      R"("nullCount":0},"host":{"min":"Z","max":"é","nullCount":1},)"
      R"("v":{"min":-2.25,"max":1.5,"nullCount":0},"odd":{"nullCount":1},)"
      R"("n":{"min":-5,"max":7,"nullCount":1},"flag":{"min":false,"max":true,"nullCount":1}})";
  const ColumnStatisticsList decoded = DecodeColumnStatistics(json);
  ASSERT_EQ(decoded.size(), 6u);
  EXPECT_EQ(decoded[0].first, "timestamp");
  EXPECT_EQ(decoded[0].second.min->micros, 1'704'067'200'000'000);
  EXPECT_EQ(decoded[1].second.max->text, "é");
  EXPECT_EQ(decoded[2].second.min->kind, JsonScalar::Kind::kNumber);
  EXPECT_EQ(decoded[2].second.min->number, -2.25);
  EXPECT_EQ(decoded[5].second.max->boolean, true);
  EXPECT_EQ(EncodeColumnStatistics(decoded), json);
}

TEST(ColumnStatisticsTest, NanWritesNullAndDecodesAsNoValue) {
  // A writer never records a non-finite double; should one reach the encoder, the document stays
  // valid JSON and the decoder reads no bound from it.
  ColumnStatisticsList list;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  list.emplace_back("v", ColumnStatistics{JsonScalar::Double(nan), JsonScalar::Double(nan), 0});
  const std::string json = EncodeColumnStatistics(list);
  EXPECT_EQ(json, R"({"v":{"min":null,"max":null,"nullCount":0}})");
  const ColumnStatisticsList decoded = DecodeColumnStatistics(json);
  ASSERT_EQ(decoded.size(), 1u);
  EXPECT_FALSE(decoded[0].second.min.has_value());
}

TEST(ColumnStatisticsTest, MalformedDocumentsDecodeToNothing) {
  EXPECT_TRUE(DecodeColumnStatistics("").empty());
  EXPECT_TRUE(DecodeColumnStatistics("[]").empty());
  EXPECT_TRUE(DecodeColumnStatistics("{\"a\":").empty());
  const ColumnStatisticsList skipped = DecodeColumnStatistics(R"({"a":3,"b":{"nullCount":2}})");
  ASSERT_EQ(skipped.size(), 1u);
  EXPECT_EQ(skipped[0].first, "b");
}

}  // namespace
}  // namespace timestore::partition
