#include "query/query_spec.h"

#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace timestore::query {
namespace {

using catalog::ColumnDef;
using catalog::ColumnType;
using common::StatusCode;

const std::vector<ColumnDef> kSchema = {
    {"timestamp", ColumnType::kTimestamp}, {"host", ColumnType::kString},
    {"region", ColumnType::kString},       {"usage_user", ColumnType::kDouble},
    {"usage_system", ColumnType::kDouble}, {"cores", ColumnType::kInteger},
    {"healthy", ColumnType::kBoolean},     {"seen_at", ColumnType::kTimestamp}};

constexpr common::UnixMicros kJan1 = 1704067200LL * 1'000'000;  // 2024-01-01T00:00:00Z
constexpr common::UnixMicros kHour = 3600LL * 1'000'000;
constexpr const char* kRange =
    R"("timeRange":{"start":"2024-01-01T00:00:00Z","end":"2024-01-01T12:00:00Z"})";

// A body with the 12-hour time range and `members` (JSON object members, may be empty).
std::string Body(const std::string& members = "") {
  return "{" + std::string(kRange) + (members.empty() ? "" : "," + members) + "}";
}

// A body whose downsample object holds `members`.
std::string Downsampled(const std::string& members) {
  return Body(R"("downsample":{)" + members + "}");
}

class QuerySpecTest : public ::testing::Test {
 protected:
  common::Result<QuerySpec> Parse(const std::string& json, const QueryLimits& limits = {}) {
    json_ = json;
    auto doc = parser_.parse(json_);
    EXPECT_EQ(doc.error(), simdjson::SUCCESS) << json;
    return ParseQueryRequest(doc.value_unsafe(), kSchema, "timestamp", limits);
  }
  QuerySpec ParseOk(const std::string& json, const QueryLimits& limits = {}) {
    auto r = Parse(json, limits);
    EXPECT_TRUE(r.ok()) << json << "\n" << r.status().ToString();
    return r.ok() ? std::move(r).value() : QuerySpec{};
  }
  // Expects a 400 whose message starts with `prefix` (the JSON path, and often more).
  void ExpectRejected(const std::string& json, const std::string& prefix,
                      const QueryLimits& limits = {}) {
    SCOPED_TRACE(json);
    auto r = Parse(json, limits);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(r.status().message().substr(0, prefix.size()), prefix) << r.status().message();
  }
  // Downsampled to one aggregation object `agg`; returns it.
  Aggregation ParseAggregation(const std::string& agg) {
    QuerySpec spec = ParseOk(Downsampled(R"("aggregations":[)" + agg + "]"));
    if (!spec.downsample || spec.downsample->aggregations.size() != 1) {
      ADD_FAILURE() << agg;
      return {};
    }
    return spec.downsample->aggregations[0];
  }
  Predicate ParseColumnPredicate(const std::string& column, const std::string& predicate) {
    QuerySpec spec =
        ParseOk(Body(R"("filters":{"columns":{")" + column + R"(":)" + predicate + "}}"));
    if (spec.column_filters.size() != 1) {
      ADD_FAILURE() << predicate;
      return {};
    }
    return spec.column_filters[0];
  }

  simdjson::dom::parser parser_;
  std::string json_;
};

TEST_F(QuerySpecTest, MinimalRequestUsesDefaults) {
  QuerySpec spec = ParseOk(Body());
  EXPECT_EQ(spec.start, kJan1);
  EXPECT_EQ(spec.end, kJan1 + 12 * kHour);
  EXPECT_EQ(spec.timestamp_column, "timestamp");
  EXPECT_TRUE(spec.columns.empty());
  EXPECT_TRUE(spec.partition_key_filters.empty());
  EXPECT_TRUE(spec.column_filters.empty());
  EXPECT_FALSE(spec.downsample);
  EXPECT_EQ(spec.order, SortOrder::kAsc);
  EXPECT_EQ(spec.limit, QueryLimits{}.default_limit);
  EXPECT_FALSE(spec.limit_given);
  EXPECT_FALSE(spec.as_of_version);
}

TEST_F(QuerySpecTest, NullOptionalMembersCountAsAbsent) {
  QuerySpec spec = ParseOk(
      Body(R"("timestampColumn":null,"columns":null,"filters":null,"downsample":null,"order":null,)"
           R"("limit":null,"asOfVersion":null)"));
  EXPECT_EQ(spec.timestamp_column, "timestamp");
  EXPECT_FALSE(spec.downsample);
  EXPECT_FALSE(spec.limit_given);
}

TEST_F(QuerySpecTest, FullExampleLandsEveryField) {
  QuerySpec spec = ParseOk(R"({
    "timeRange": {"start": "2024-01-01T00:00:00Z", "end": "2024-01-01T12:00:00Z"},
    "timestampColumn": "seen_at",
    "columns": ["timestamp", "host", "usage_user"],
    "filters": {
      "partitionKey": {"region": {"type": "string", "in": ["eu-west-1"]}, "zone": ["a", "b"]},
      "columns": {"host": ["host_1", "host_7"], "usage_user": {"type": "number", "gt": 90}}
    },
    "downsample": {
      "intervalUnit": "hour", "intervalSize": 2,
      "aggregations": [{"fn": "max", "column": "usage_user", "alias": "max_usage_user"},
                       {"fn": "percentile", "column": "usage_user", "percentile": 0.95}],
      "groupBy": ["host"],
      "fill": "null"
    },
    "order": "desc",
    "limit": 1000,
    "asOfVersion": 42
  })");
  EXPECT_EQ(spec.start, kJan1);
  EXPECT_EQ(spec.end, kJan1 + 12 * kHour);
  EXPECT_EQ(spec.timestamp_column, "seen_at");
  EXPECT_EQ(spec.columns, (std::vector<std::string>{"timestamp", "host", "usage_user"}));

  ASSERT_EQ(spec.partition_key_filters.size(), 2u);
  const Predicate& region = spec.partition_key_filters[0];
  EXPECT_EQ(region.name, "region");
  EXPECT_EQ(region.type, ValueType::kString);
  ASSERT_TRUE(region.in);
  EXPECT_EQ(*region.in, std::vector<Value>{Value(std::string("eu-west-1"))});
  EXPECT_EQ(spec.partition_key_filters[1].name, "zone");
  ASSERT_TRUE(spec.partition_key_filters[1].in);
  EXPECT_EQ(spec.partition_key_filters[1].in->size(), 2u);

  ASSERT_EQ(spec.column_filters.size(), 2u);
  const Predicate& host = spec.column_filters[0];
  EXPECT_EQ(host.name, "host");
  EXPECT_EQ(host.type, ValueType::kString);
  ASSERT_TRUE(host.in);
  EXPECT_EQ(*host.in, (std::vector<Value>{std::string("host_1"), std::string("host_7")}));
  const Predicate& usage = spec.column_filters[1];
  EXPECT_EQ(usage.name, "usage_user");
  EXPECT_EQ(usage.type, ValueType::kNumber);
  EXPECT_EQ(usage.gt, Value(90.0));
  EXPECT_FALSE(usage.eq || usage.in || usage.gte || usage.lt || usage.lte);

  ASSERT_TRUE(spec.downsample);
  const Downsample& d = *spec.downsample;
  EXPECT_EQ(d.unit, IntervalUnit::kHour);
  EXPECT_EQ(d.size, 2);
  ASSERT_EQ(d.aggregations.size(), 2u);
  EXPECT_EQ(d.aggregations[0].fn, AggregateFn::kMax);
  EXPECT_EQ(d.aggregations[0].column, "usage_user");
  EXPECT_EQ(d.aggregations[0].alias, "max_usage_user");
  EXPECT_EQ(d.aggregations[1].fn, AggregateFn::kPercentile);
  EXPECT_EQ(d.aggregations[1].percentile, 0.95);
  EXPECT_EQ(d.aggregations[1].alias, "p95_usage_user");
  EXPECT_EQ(d.group_by, std::vector<std::string>{"host"});
  EXPECT_EQ(d.fill, FillMode::kNull);

  EXPECT_EQ(spec.order, SortOrder::kDesc);
  EXPECT_EQ(spec.limit, 1000);
  EXPECT_TRUE(spec.limit_given);
  EXPECT_EQ(spec.as_of_version, 42);
}

TEST_F(QuerySpecTest, DownsampleDefaultsToOneMinuteWithoutFill) {
  QuerySpec spec = ParseOk(Downsampled(R"("aggregations":[{"fn":"count"}])"));
  ASSERT_TRUE(spec.downsample);
  EXPECT_EQ(spec.downsample->unit, IntervalUnit::kMinute);
  EXPECT_EQ(spec.downsample->size, 1);
  EXPECT_TRUE(spec.downsample->group_by.empty());
  EXPECT_EQ(spec.downsample->fill, FillMode::kNone);
}

TEST_F(QuerySpecTest, StringPredicateTakesEqAndIn) {
  Predicate p = ParseColumnPredicate("host", R"({"eq":"h1","in":["h2","h3"]})");
  EXPECT_EQ(p.type, ValueType::kString);
  EXPECT_EQ(p.eq, Value(std::string("h1")));
  ASSERT_TRUE(p.in);
  EXPECT_EQ(*p.in, (std::vector<Value>{std::string("h2"), std::string("h3")}));
}

TEST_F(QuerySpecTest, BareArrayIsInWithTheColumnsType) {
  Predicate p = ParseColumnPredicate("cores", "[2, 4.5]");
  EXPECT_EQ(p.type, ValueType::kNumber);
  ASSERT_TRUE(p.in);
  EXPECT_EQ(*p.in, (std::vector<Value>{2.0, 4.5}));
  EXPECT_FALSE(p.eq);
}

TEST_F(QuerySpecTest, NumberPredicateTakesEveryOperator) {
  Predicate p = ParseColumnPredicate("usage_user",
                                     R"({"eq":1,"in":[2,3],"gt":4,"gte":5.5,"lt":-6,"lte":1e3})");
  EXPECT_EQ(p.type, ValueType::kNumber);
  EXPECT_EQ(p.eq, Value(1.0));
  EXPECT_EQ(*p.in, (std::vector<Value>{2.0, 3.0}));
  EXPECT_EQ(p.gt, Value(4.0));
  EXPECT_EQ(p.gte, Value(5.5));
  EXPECT_EQ(p.lt, Value(-6.0));
  EXPECT_EQ(p.lte, Value(1000.0));
}

TEST_F(QuerySpecTest, TimestampPredicateParsesIsoStringsToMicros) {
  Predicate p = ParseColumnPredicate(
      "seen_at",
      R"({"type":"timestamp","gte":"2024-01-01T00:00:00Z","lt":"2024-01-01T02:00:00+01:00"})");
  EXPECT_EQ(p.type, ValueType::kTimestamp);
  EXPECT_EQ(p.gte, Value(kJan1));
  EXPECT_EQ(p.lt, Value(kJan1 + kHour));
}

TEST_F(QuerySpecTest, BooleanPredicateTakesEqAndIn) {
  Predicate p = ParseColumnPredicate("healthy", R"({"eq":true,"in":[false]})");
  EXPECT_EQ(p.type, ValueType::kBoolean);
  EXPECT_EQ(p.eq, Value(true));
  EXPECT_EQ(*p.in, std::vector<Value>{Value(false)});
}

TEST_F(QuerySpecTest, PartitionKeyPredicateTakesItsDeclaredType) {
  QuerySpec spec =
      ParseOk(Body(R"("filters":{"partitionKey":{"shard":{"type":"number","gte":3},"dc":["x"]}})"));
  ASSERT_EQ(spec.partition_key_filters.size(), 2u);
  EXPECT_EQ(spec.partition_key_filters[0].name, "shard");
  EXPECT_EQ(spec.partition_key_filters[0].type, ValueType::kNumber);
  EXPECT_EQ(spec.partition_key_filters[0].gte, Value(3.0));
  EXPECT_EQ(spec.partition_key_filters[1].type, ValueType::kString);
  EXPECT_EQ(*spec.partition_key_filters[1].in, std::vector<Value>{std::string("x")});
}

TEST_F(QuerySpecTest, AggregationsGetTheOriginalsDefaultAliases) {
  const std::vector<std::pair<std::string, std::pair<AggregateFn, std::string>>> cases = {
      {R"({"fn":"avg","column":"usage_user"})", {AggregateFn::kAvg, "avg_usage_user"}},
      {R"({"fn":"min","column":"cores"})", {AggregateFn::kMin, "min_cores"}},
      {R"({"fn":"max","column":"usage_user"})", {AggregateFn::kMax, "max_usage_user"}},
      {R"({"fn":"sum","column":"cores"})", {AggregateFn::kSum, "sum_cores"}},
      {R"({"fn":"median","column":"usage_system"})", {AggregateFn::kMedian, "median_usage_system"}},
      {R"({"fn":"stddev","column":"usage_user"})", {AggregateFn::kStddev, "stddev_usage_user"}},
      {R"({"fn":"count"})", {AggregateFn::kCount, "count"}},
      {R"({"fn":"count","column":"host"})", {AggregateFn::kCount, "count_host"}},
      {R"({"fn":"count_distinct","column":"host"})",
       {AggregateFn::kCountDistinct, "count_distinct_host"}},
      {R"({"fn":"percentile","column":"usage_user","percentile":0.95})",
       {AggregateFn::kPercentile, "p95_usage_user"}},
      {R"({"fn":"percentile","column":"cores","percentile":0.5})",
       {AggregateFn::kPercentile, "p50_cores"}},
      {R"({"fn":"percentile","column":"cores","percentile":0.999})",
       {AggregateFn::kPercentile, "p100_cores"}},
      {R"({"fn":"percentile","column":"cores","percentile":0})",
       {AggregateFn::kPercentile, "p0_cores"}},
      {R"({"fn":"first","column":"host"})", {AggregateFn::kFirst, "first_host"}},
      {R"({"fn":"last","column":"healthy"})", {AggregateFn::kLast, "last_healthy"}},
      {R"({"fn":"max","column":"usage_user","alias":"peak"})", {AggregateFn::kMax, "peak"}},
      {R"({"fn":"max","column":"usage_user","alias":null})", {AggregateFn::kMax, "max_usage_user"}},
  };
  for (const auto& [json, expected] : cases) {
    SCOPED_TRACE(json);
    Aggregation a = ParseAggregation(json);
    EXPECT_EQ(a.fn, expected.first);
    EXPECT_EQ(a.alias, expected.second);
    EXPECT_EQ(AggregateFnName(a.fn), json.substr(7, AggregateFnName(a.fn).size()));
  }
  EXPECT_FALSE(ParseAggregation(R"({"fn":"count"})").column);
}

TEST_F(QuerySpecTest, FillModesParse) {
  const std::vector<std::pair<std::string, FillMode>> cases = {
      {R"("none")", FillMode::kNone},         {R"("null")", FillMode::kNull},
      {R"("previous")", FillMode::kPrevious}, {R"("linear")", FillMode::kLinear},
      {R"({"value":0})", FillMode::kValue},
  };
  for (const auto& [fill, mode] : cases) {
    SCOPED_TRACE(fill);
    QuerySpec spec = ParseOk(Downsampled(R"("aggregations":[{"fn":"count"}],"fill":)" + fill));
    ASSERT_TRUE(spec.downsample);
    EXPECT_EQ(spec.downsample->fill, mode);
    EXPECT_EQ(spec.downsample->fill_value, 0);
  }
  QuerySpec spec = ParseOk(Downsampled(R"("aggregations":[{"fn":"count"}],"fill":{"value":-2.5})"));
  EXPECT_EQ(spec.downsample->fill_value, -2.5);
}

TEST_F(QuerySpecTest, FillWithinTheBucketLimitIsAccepted) {
  // 12 hours by the minute: ceil(720) + 1 = 721 buckets.
  QueryLimits limits;
  limits.max_fill_buckets = 721;
  ParseOk(Downsampled(R"("aggregations":[{"fn":"count"}],"fill":"linear")"), limits);
  limits.max_fill_buckets = 720;
  ExpectRejected(Downsampled(R"("aggregations":[{"fn":"count"}],"fill":"linear")"),
                 "downsample.fill: ", limits);
  // Without filling there is no bucket limit.
  ParseOk(Downsampled(R"("aggregations":[{"fn":"count"}],"fill":"none")"), limits);
}

TEST_F(QuerySpecTest, MonthlyFillCountsCalendarMonths) {
  QueryLimits limits;
  limits.max_fill_buckets = 13;  // Jan 2024 .. Dec 2024 is 12 months, + 1
  const std::string year =
      R"({"timeRange":{"start":"2024-01-15T00:00:00Z","end":"2025-01-01T00:00:00Z"},)"
      R"("downsample":{"intervalUnit":"month","aggregations":[{"fn":"count"}],)"
      R"("fill":"previous"}})";
  ParseOk(year, limits);
  limits.max_fill_buckets = 12;
  ExpectRejected(year, "downsample.fill: ", limits);
}

TEST_F(QuerySpecTest, OrderLimitAndAsOfVersionParse) {
  QuerySpec spec = ParseOk(Body(R"("order":"desc","limit":1000000,"asOfVersion":0)"));
  EXPECT_EQ(spec.order, SortOrder::kDesc);
  EXPECT_EQ(spec.limit, 1'000'000);
  EXPECT_TRUE(spec.limit_given);
  EXPECT_EQ(spec.as_of_version, 0);
  EXPECT_EQ(ParseOk(Body(R"("order":"asc","limit":1.0)")).limit, 1);
}

TEST_F(QuerySpecTest, AnswerColumnsFollowTheMode) {
  EXPECT_EQ(AnswerColumns(ParseOk(Body()), kSchema),
            (std::vector<std::string>{"timestamp", "host", "region", "usage_user", "usage_system",
                                      "cores", "healthy", "seen_at"}));
  EXPECT_EQ(AnswerColumns(ParseOk(Body(R"("columns":["usage_user","timestamp"])")), kSchema),
            (std::vector<std::string>{"usage_user", "timestamp"}));
  QuerySpec spec = ParseOk(Downsampled(
      R"("groupBy":["region","host"],"aggregations":[{"fn":"count"},{"fn":"avg","column":"cores"}])"));
  EXPECT_EQ(AnswerColumns(spec, kSchema),
            (std::vector<std::string>{"timestamp", "region", "host", "count", "avg_cores"}));
}

TEST_F(QuerySpecTest, IntervalUnitsHaveNamesAndLengths) {
  EXPECT_EQ(IntervalUnitName(IntervalUnit::kSecond), "second");
  EXPECT_EQ(IntervalUnitName(IntervalUnit::kWeek), "week");
  EXPECT_EQ(IntervalUnitName(IntervalUnit::kMonth), "month");
  EXPECT_EQ(IntervalUnitMicros(IntervalUnit::kSecond), 1'000'000);
  EXPECT_EQ(IntervalUnitMicros(IntervalUnit::kMinute), 60'000'000);
  EXPECT_EQ(IntervalUnitMicros(IntervalUnit::kHour), 3'600'000'000);
  EXPECT_EQ(IntervalUnitMicros(IntervalUnit::kDay), 86'400'000'000);
  EXPECT_EQ(IntervalUnitMicros(IntervalUnit::kWeek), 604'800'000'000);
  EXPECT_FALSE(IntervalUnitMicros(IntervalUnit::kMonth));
  for (const char* unit : {"second", "minute", "hour", "day", "week", "month"}) {
    QuerySpec spec = ParseOk(Downsampled(R"("intervalUnit":")" + std::string(unit) +
                                         R"(","aggregations":[{"fn":"count"}])"));
    ASSERT_TRUE(spec.downsample);
    EXPECT_EQ(IntervalUnitName(spec.downsample->unit), unit);
  }
}

TEST_F(QuerySpecTest, BodyShapeErrorsNameTheField) {
  ExpectRejected("[]", "body: must be a JSON object");
  ExpectRejected("\"x\"", "body: must be a JSON object");
  ExpectRejected("{}", "timeRange: required");
  ExpectRejected(Body(R"("timerange":{})"), "timerange: unknown field");
  ExpectRejected(Body(R"("limit":5,"limit":6)"), "limit: duplicate field");
}

TEST_F(QuerySpecTest, BadTimeRangeIsRejected) {
  ExpectRejected(R"({"timeRange":null})", "timeRange: expected an object, got null");
  ExpectRejected(R"({"timeRange":{"end":"2024-01-01T00:00:00Z"}})", "timeRange.start: required");
  ExpectRejected(R"({"timeRange":{"start":"2024-01-01T00:00:00Z"}})", "timeRange.end: required");
  ExpectRejected(R"({"timeRange":{"start":"yesterday","end":"2024-01-01T00:00:00Z"}})",
                 "timeRange.start: 'yesterday' is not an ISO-8601 time");
  ExpectRejected(R"({"timeRange":{"start":"2024-01-01T00:00:00","end":"2024-01-02T00:00:00Z"}})",
                 "timeRange.start: ");
  ExpectRejected(R"({"timeRange":{"start":1704067200000,"end":"2024-01-02T00:00:00Z"}})",
                 "timeRange.start: expected an ISO-8601 time string, got number 1704067200000");
  ExpectRejected(R"({"timeRange":{"start":"2024-01-02T00:00:00Z","end":"2024-01-01T00:00:00Z"}})",
                 "timeRange.end: must be after timeRange.start");
  ExpectRejected(R"({"timeRange":{"start":"2024-01-01T00:00:00Z","end":"2024-01-01T00:00:00Z"}})",
                 "timeRange.end: must be after timeRange.start");
  ExpectRejected(
      R"({"timeRange":{"start":"2024-01-01T00:00:00Z","end":"2024-01-02T00:00:00Z","step":1}})",
      "timeRange.step: unknown field");
}

TEST_F(QuerySpecTest, TimestampColumnMustBeATimestampColumn) {
  ExpectRejected(Body(R"("timestampColumn":"host")"),
                 "timestampColumn: 'host' is a string column, not a timestamp column");
  ExpectRejected(Body(R"("timestampColumn":"nope")"), "timestampColumn: unknown column 'nope'");
  ExpectRejected(Body(R"("timestampColumn":7)"), "timestampColumn: expected a string");
}

TEST_F(QuerySpecTest, UnknownColumnsAreRejectedWhereverNamed) {
  ExpectRejected(Body(R"("columns":["host","nope"])"), "columns[1]: unknown column 'nope'");
  ExpectRejected(Body(R"("columns":["host","host"])"), "columns[1]: duplicate column 'host'");
  ExpectRejected(Body(R"("columns":[])"), "columns: must not be empty");
  ExpectRejected(Body(R"("columns":"host")"), "columns: expected an array");
  ExpectRejected(Body(R"("filters":{"columns":{"nope":["x"]}})"),
                 "filters.columns.nope: unknown column");
  ExpectRejected(Downsampled(R"("groupBy":["nope"],"aggregations":[{"fn":"count"}])"),
                 "downsample.groupBy[0]: unknown column 'nope'");
  ExpectRejected(Downsampled(R"("groupBy":["host","host"],"aggregations":[{"fn":"count"}])"),
                 "downsample.groupBy[1]: duplicate column 'host'");
  ExpectRejected(Downsampled(R"("groupBy":["timestamp"],"aggregations":[{"fn":"count"}])"),
                 "downsample.groupBy[0]: cannot group by the timestamp column");
  ExpectRejected(Downsampled(R"("aggregations":[{"fn":"count"},{"fn":"max","column":"nope"}])"),
                 "downsample.aggregations[1].column: unknown column 'nope'");
}

TEST_F(QuerySpecTest, BadPredicatesAreRejected) {
  auto filter = [](const std::string& column, const std::string& predicate) {
    return Body(R"("filters":{"columns":{")" + column + R"(":)" + predicate + "}}");
  };
  ExpectRejected(filter("host", R"({"gt":"a"})"),
                 "filters.columns.host.gt: not allowed for a string column");
  ExpectRejected(filter("healthy", R"({"lte":true})"),
                 "filters.columns.healthy.lte: not allowed for a boolean column");
  ExpectRejected(filter("host", R"({"type":"number","eq":1})"), "filters.columns.host.type: ");
  ExpectRejected(filter("host", R"({"type":"decimal","eq":"x"})"),
                 "filters.columns.host.type: unknown type 'decimal'");
  ExpectRejected(filter("host", R"({"eq":1})"),
                 "filters.columns.host.eq: expected a string, got number 1");
  ExpectRejected(filter("usage_user", R"({"gt":"90"})"),
                 "filters.columns.usage_user.gt: expected a number, got string \"90\"");
  ExpectRejected(filter("usage_user", R"(["1", 2])"),
                 "filters.columns.usage_user[0]: expected a number");
  ExpectRejected(filter("healthy", R"({"eq":"true"})"),
                 "filters.columns.healthy.eq: expected a boolean");
  ExpectRejected(filter("seen_at", R"({"gt":"soon"})"),
                 "filters.columns.seen_at.gt: 'soon' is not");
  ExpectRejected(filter("host", R"({"in":[]})"), "filters.columns.host.in: must not be empty");
  ExpectRejected(filter("host", "[]"), "filters.columns.host: must not be empty");
  ExpectRejected(filter("host", "{}"), "filters.columns.host: expected at least one operator");
  ExpectRejected(filter("host", R"({"type":"string"})"),
                 "filters.columns.host: expected at least one operator");
  ExpectRejected(filter("host", R"({"ne":"a"})"), "filters.columns.host.ne: unknown operator");
  ExpectRejected(filter("host", R"("h1")"),
                 "filters.columns.host: expected an array of values or an object");
  ExpectRejected(filter("host", R"({"in":"h1"})"), "filters.columns.host.in: expected an array");
  ExpectRejected(Body(R"("filters":{"partitionKey":{"bad-name":["x"]}})"),
                 "filters.partitionKey.bad-name: invalid key name");
  ExpectRejected(Body(R"("filters":{"partitionKey":{"region":{"gt":"a"}}})"),
                 "filters.partitionKey.region.gt: not allowed for a string partition key");
  ExpectRejected(Body(R"("filters":{"rows":{}})"), "filters.rows: unknown field");
  ExpectRejected(Body(R"("filters":[])"), "filters: expected an object");

  std::string many = "[";
  for (int i = 0; i <= 10'000; ++i) many += (i ? ",\"h" : "\"h") + std::to_string(i) + "\"";
  ExpectRejected(filter("host", many + "]"), "filters.columns.host: at most 10000 values");
}

TEST_F(QuerySpecTest, BadAggregationsAreRejected) {
  auto agg = [](const std::string& a) { return Downsampled(R"("aggregations":[)" + a + "]"); };
  ExpectRejected(Downsampled(R"("intervalUnit":"minute")"), "downsample.aggregations: required");
  ExpectRejected(agg(""), "downsample.aggregations: at least one aggregation is required");
  ExpectRejected(agg(R"({"fn":"count"},{"fn":"mode","column":"cores"})"),
                 "downsample.aggregations[1].fn: unknown aggregation 'mode' (expected avg,");
  ExpectRejected(agg(R"({"column":"cores"})"), "downsample.aggregations[0].fn: required");
  ExpectRejected(agg(R"({"fn":"avg","column":"host"})"),
                 "downsample.aggregations[0].column: avg needs a numeric column; 'host' is string");
  ExpectRejected(agg(R"({"fn":"sum","column":"timestamp"})"),
                 "downsample.aggregations[0].column: ");
  ExpectRejected(agg(R"({"fn":"max"})"), "downsample.aggregations[0].column: required for max");
  ExpectRejected(agg(R"({"fn":"percentile","column":"cores","percentile":-0.1})"),
                 "downsample.aggregations[0].percentile: must be between 0 and 1");
  ExpectRejected(agg(R"({"fn":"percentile","column":"cores","percentile":1.5})"),
                 "downsample.aggregations[0].percentile: must be between 0 and 1");
  ExpectRejected(agg(R"({"fn":"percentile","column":"cores"})"),
                 "downsample.aggregations[0].percentile: required");
  ExpectRejected(agg(R"({"fn":"percentile","column":"host","percentile":0.5})"),
                 "downsample.aggregations[0].column: percentile needs a numeric column");
  ExpectRejected(agg(R"({"fn":"max","column":"cores","percentile":0.5})"),
                 "downsample.aggregations[0].percentile: only allowed with fn 'percentile'");
  ExpectRejected(agg(R"({"fn":"max","column":"cores","as":"x"})"),
                 "downsample.aggregations[0].as: unknown field");
  ExpectRejected(agg(R"({"fn":"max","column":"cores","alias":""})"),
                 "downsample.aggregations[0].alias: must be 1-128 bytes");
  ExpectRejected(agg(R"({"fn":"max","column":"cores","alias":")" + std::string(129, 'a') + "\"}"),
                 "downsample.aggregations[0].alias: must be 1-128 bytes");
  ExpectRejected(agg(R"("count")"), "downsample.aggregations[0]: expected an object");
}

TEST_F(QuerySpecTest, CollidingAliasesAreRejected) {
  auto agg = [](const std::string& a) { return Downsampled(R"("aggregations":[)" + a + "]"); };
  ExpectRejected(agg(R"({"fn":"max","column":"cores"},{"fn":"max","column":"cores"})"),
                 "downsample.aggregations[1].alias: duplicate alias 'max_cores'");
  ExpectRejected(agg(R"({"fn":"count"},{"fn":"sum","column":"cores","alias":"COUNT"})"),
                 "downsample.aggregations[1].alias: duplicate alias 'COUNT'");
  ExpectRejected(
      agg(R"({"fn":"count","alias":"timestamp"})"),
      "downsample.aggregations[0].alias: 'timestamp' collides with the timestamp column");
  ExpectRejected(
      Downsampled(R"("groupBy":["host"],"aggregations":[{"fn":"count","alias":"host"}])"),
      "downsample.aggregations[0].alias: 'host' collides with the groupBy column 'host'");
}

TEST_F(QuerySpecTest, BadIntervalsAndFillsAreRejected) {
  auto ds = [](const std::string& m) {
    return Downsampled(m + R"(,"aggregations":[{"fn":"count"}])");
  };
  ExpectRejected(ds(R"("intervalSize":0)"),
                 "downsample.intervalSize: must be an integer between 1 and 1000000");
  ExpectRejected(ds(R"("intervalSize":1000001)"), "downsample.intervalSize: must be an integer");
  ExpectRejected(ds(R"("intervalSize":1.5)"),
                 "downsample.intervalSize: expected an integer, got number 1.5");
  ExpectRejected(ds(R"("intervalSize":"1")"),
                 "downsample.intervalSize: expected an integer, got string \"1\"");
  ExpectRejected(ds(R"("intervalUnit":"fortnight")"),
                 "downsample.intervalUnit: unknown unit 'fortnight'");
  ExpectRejected(ds(R"("intervalUnit":"Minute")"), "downsample.intervalUnit: unknown unit");
  ExpectRejected(ds(R"("fill":"zero")"),
                 "downsample.fill: expected none, null, previous, linear or {\"value\": <number>}");
  ExpectRejected(ds(R"("fill":0)"), "downsample.fill: expected none");
  ExpectRejected(ds(R"("fill":{})"), "downsample.fill.value: required");
  ExpectRejected(ds(R"("fill":{"value":"0"})"), "downsample.fill.value: expected a number");
  ExpectRejected(ds(R"("fill":{"value":0,"mode":"x"})"), "downsample.fill.mode: unknown field");
  ExpectRejected(ds(R"("rollup":true)"), "downsample.rollup: unknown field");
  // A second for a year of 12 hours is fine; a year by the second is not.
  ExpectRejected(
      R"({"timeRange":{"start":"2024-01-01T00:00:00Z","end":"2025-01-01T00:00:00Z"},)"
      R"("downsample":{"intervalUnit":"second","fill":{"value":0},"aggregations":[{"fn":"count"}]}})",
      "downsample.fill: filling this range needs 31622401 buckets per series");
}

TEST_F(QuerySpecTest, BadOrderLimitAndVersionAreRejected) {
  ExpectRejected(Body(R"("order":"DESC")"), "order: expected 'asc' or 'desc', got string \"DESC\"");
  ExpectRejected(Body(R"("limit":0)"), "limit: must be an integer between 1 and 1000000");
  ExpectRejected(Body(R"("limit":1000001)"), "limit: must be an integer between 1 and 1000000");
  ExpectRejected(Body(R"("limit":18446744073709551615)"), "limit: must be an integer between");
  ExpectRejected(Body(R"("limit":1e300)"), "limit: must be an integer between");
  ExpectRejected(Body(R"("limit":1.5)"), "limit: expected an integer, got number 1.5");
  ExpectRejected(Body(R"("limit":"10")"), "limit: expected an integer");
  ExpectRejected(Body(R"("asOfVersion":-1)"), "asOfVersion: must be an integer >= 0");
  ExpectRejected(Body(R"("asOfVersion":"3")"), "asOfVersion: expected an integer");
  QueryLimits limits;
  limits.max_limit = 50;
  ExpectRejected(Body(R"("limit":51)"), "limit: must be an integer between 1 and 50", limits);
}

// Every member replaced by every kind of JSON value: each answer is a value or a 400, never a
// crash; messages always name a field.
TEST_F(QuerySpecTest, JunkAnywhereIsAnsweredWithAFieldPreciseError) {
  const std::vector<std::string> junk = {"null",
                                         "true",
                                         "0",
                                         "-1",
                                         "1.5",
                                         "-0.0",
                                         "1e308",
                                         "-1e308",
                                         "18446744073709551615",
                                         "-9223372036854775808",
                                         "\"\"",
                                         "\"NaN\"",
                                         "\"Infinity\"",
                                         "\"x\"",
                                         "[]",
                                         "{}",
                                         "[[[[[]]]]]",
                                         R"({"a":{"b":{"c":[1,{"d":null}]}}})",
                                         "[null]",
                                         "[{}]",
                                         R"({"eq":null})",
                                         R"({"fn":"count"})",
                                         R"({"value":null})",
                                         R"(["timestamp"])"};
  const std::vector<std::string> templates = {
      R"({"timeRange":$})",
      R"({"timeRange":{"start":$,"end":"2024-01-02T00:00:00Z"}})",
      R"({"timeRange":{"start":"2024-01-01T00:00:00Z","end":$}})",
      "{\"timeRange\":$,\"timeRange\":$}",
      Body(R"("timestampColumn":$)"),
      Body(R"("columns":$)"),
      Body(R"("columns":[$])"),
      Body(R"("filters":$)"),
      Body(R"("filters":{"columns":$})"),
      Body(R"("filters":{"partitionKey":$})"),
      Body(R"("filters":{"columns":{"usage_user":$}})"),
      Body(R"("filters":{"columns":{"seen_at":{"gt":$}}})"),
      Body(R"("filters":{"columns":{"host":{"in":$}}})"),
      Body(R"("filters":{"columns":{"healthy":{"type":$,"eq":true}}})"),
      Body(R"("filters":{"partitionKey":{"k":$}})"),
      Body(R"("filters":{"partitionKey":{"k":{"type":"timestamp","lt":$}}})"),
      Body(R"("downsample":$)"),
      Downsampled(R"("aggregations":$)"),
      Downsampled(R"("aggregations":[$])"),
      Downsampled(R"("aggregations":[{"fn":$,"column":"cores"}])"),
      Downsampled(R"("aggregations":[{"fn":"percentile","column":$,"percentile":0.5}])"),
      Downsampled(R"("aggregations":[{"fn":"percentile","column":"cores","percentile":$}])"),
      Downsampled(R"("aggregations":[{"fn":"count","alias":$}])"),
      Downsampled(R"("aggregations":[{"fn":"count"}],"groupBy":$)"),
      Downsampled(R"("aggregations":[{"fn":"count"}],"intervalSize":$,"fill":"linear")"),
      Downsampled(R"("aggregations":[{"fn":"count"}],"intervalUnit":$,"fill":"linear")"),
      Downsampled(R"("aggregations":[{"fn":"count"}],"fill":$)"),
      Downsampled(R"("aggregations":[{"fn":"count"}],"fill":{"value":$})"),
      Body(R"("order":$)"),
      Body(R"("limit":$)"),
      Body(R"("asOfVersion":$)"),
      Body(R"("":$)"),
  };
  int rejected = 0;
  for (const auto& t : templates) {
    for (const auto& j : junk) {
      std::string json = t;
      for (size_t at = json.find('$'); at != std::string::npos;
           at = json.find('$', at + j.size())) {
        json.replace(at, 1, j);
      }
      SCOPED_TRACE(json);
      auto doc = parser_.parse(json);
      ASSERT_EQ(doc.error(), simdjson::SUCCESS);
      auto r = ParseQueryRequest(doc.value_unsafe(), kSchema, "timestamp", QueryLimits{});
      if (r.ok()) continue;
      ++rejected;
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
      const std::string& m = r.status().message();
      EXPECT_NE(m.find(": "), std::string::npos) << m;
      EXPECT_LT(m.size(), 400u) << m;
    }
  }
  EXPECT_GT(rejected, 600);
}

TEST_F(QuerySpecTest, EmptySchemaAcceptsTheDefaultTimestampColumn) {
  auto doc = parser_.parse(std::string(Body()));
  ASSERT_EQ(doc.error(), simdjson::SUCCESS);
  auto r = ParseQueryRequest(doc.value_unsafe(), {}, "ts", QueryLimits{});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->timestamp_column, "ts");
  EXPECT_TRUE(AnswerColumns(*r, {}).empty());
}

TEST_F(QuerySpecTest, DefaultTimestampColumnOfAnotherTypeIsRejected) {
  auto doc = parser_.parse(std::string(Body()));
  ASSERT_EQ(doc.error(), simdjson::SUCCESS);
  auto r = ParseQueryRequest(doc.value_unsafe(), kSchema, "host", QueryLimits{});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message().rfind("timestampColumn: ", 0), 0u) << r.status().message();
}

}  // namespace
}  // namespace timestore::query
