#include "ingest/ingest_request.h"

#include <gtest/gtest.h>

namespace timestore::ingest {
namespace {

using catalog::ColumnDef;
using catalog::ColumnType;
using common::StatusCode;
using partition::RowBatch;

const std::vector<ColumnDef> kSchema = {{"timestamp", ColumnType::kTimestamp},
                                        {"host", ColumnType::kString},
                                        {"usage_user", ColumnType::kDouble},
                                        {"count", ColumnType::kInteger},
                                        {"ok", ColumnType::kBoolean}};

class IngestRequestTest : public ::testing::Test {
 protected:
  common::Result<IngestRequest> Parse(const std::string& json) {
    json_ = json;
    auto doc = parser_.parse(json_);
    EXPECT_EQ(doc.error(), simdjson::SUCCESS) << json;
    return ParseIngestRequest(doc.value_unsafe());
  }
  common::Result<RowBatch> Decode(const std::string& rows_json, DecodeOptions options = {}) {
    auto req = Parse(R"({"rows":)" + rows_json + "}");
    EXPECT_TRUE(req.ok()) << req.status().ToString();
    return DecodeRows(*req, kSchema, options);
  }
  void ExpectRejected(const std::string& rows_json, const std::string& message,
                      StatusCode code = StatusCode::kInvalidArgument) {
    auto r = Decode(rows_json);
    ASSERT_FALSE(r.ok()) << rows_json;
    EXPECT_EQ(r.status().code(), code);
    EXPECT_EQ(r.status().message(), message);
  }
  simdjson::dom::parser parser_;
  std::string json_;
};

TEST_F(IngestRequestTest, DecodesEveryTypeAndNullsMissingColumns) {
  auto batch = Decode(R"([
    {"timestamp":"2024-01-01T00:00:10Z","host":"h1","usage_user":12.5,"count":3,"ok":true},
    {"timestamp":1704067211000,"host":null,"usage_user":7},
    {"ok":false,"timestamp":"2024-01-01T01:00:12+01:00","count":4.0}
  ])");
  ASSERT_TRUE(batch.ok()) << batch.status().ToString();
  ASSERT_EQ(batch->row_count(), 3u);
  const auto& ts = batch->columns[0];
  EXPECT_EQ(ts.Int64At(0), 1704067210LL * 1'000'000);
  EXPECT_EQ(ts.Int64At(1), 1704067211LL * 1'000'000);
  EXPECT_EQ(ts.Int64At(2), 1704067212LL * 1'000'000);
  EXPECT_EQ(batch->columns[1].StringAt(0), "h1");
  EXPECT_TRUE(batch->columns[1].IsNull(1));
  EXPECT_TRUE(batch->columns[1].IsNull(2));
  EXPECT_EQ(batch->columns[2].DoubleAt(1), 7.0);
  EXPECT_TRUE(batch->columns[2].IsNull(2));
  EXPECT_EQ(batch->columns[3].Int64At(2), 4);
  EXPECT_TRUE(batch->columns[3].IsNull(1));
  EXPECT_TRUE(batch->columns[4].BoolAt(0));
  EXPECT_FALSE(batch->columns[4].BoolAt(2));
}

TEST_F(IngestRequestTest, WrongTypesNameTheRowAndColumn) {
  ExpectRejected(
      R"([{"timestamp":"2024-01-01T00:00:00Z"},{"timestamp":"2024-01-01T00:00:00Z","usage_user":"abc"}])",
      R"(rows[1].usage_user: expected double, got string "abc")");
  ExpectRejected(R"([{"timestamp":"2024-01-01T00:00:00Z","count":1.5}])",
                 "rows[0].count: expected integer, got number 1.5");
  ExpectRejected(R"([{"timestamp":"2024-01-01T00:00:00Z","count":18446744073709551615}])",
                 "rows[0].count: expected integer within int64, got number 18446744073709551615");
  ExpectRejected(R"([{"timestamp":"2024-01-01T00:00:00Z","ok":1}])",
                 "rows[0].ok: expected boolean, got number 1");
  ExpectRejected(R"([{"timestamp":"2024-01-01T00:00:00Z","host":42}])",
                 "rows[0].host: expected string, got number 42");
  ExpectRejected(R"([{"timestamp":"2024-01-01T00:00:00Z","host":{"a":1}}])",
                 "rows[0].host: expected string, got object");
  ExpectRejected(R"([{"timestamp":"yesterday"}])",
                 "rows[0].timestamp: 'yesterday' is not an ISO-8601 time with a zone (e.g. "
                 "2024-01-01T00:00:00Z)");
  ExpectRejected(R"([{"timestamp":"2024-01-01T00:00:00"}])",
                 "rows[0].timestamp: '2024-01-01T00:00:00' is not an ISO-8601 time with a zone "
                 "(e.g. 2024-01-01T00:00:00Z)");
  ExpectRejected(R"([{"timestamp":true}])",
                 "rows[0].timestamp: expected timestamp (ISO-8601 string or epoch milliseconds), "
                 "got boolean true");
}

TEST_F(IngestRequestTest, MissingTimestampUnknownColumnAndNonObjectRowsAreRejected) {
  ExpectRejected(R"([{"host":"h"}])", "rows[0].timestamp: required");
  ExpectRejected(R"([{"timestamp":null}])", "rows[0].timestamp: required");
  ExpectRejected(R"([{"timestamp":"2024-01-01T00:00:00Z","cpu":1}])",
                 "rows[0].cpu: unknown column (not in the dataset schema; declare it in "
                 "schema.fields to add it)");
  ExpectRejected(R"([[1,2]])", "rows[0]: expected an object, got array");
  ExpectRejected(R"([{"timestamp":"2024-01-01T00:00:00Z","host":"a","host":"b"}])",
                 "rows[0].host: duplicate key");
}

TEST_F(IngestRequestTest, RowLimitIsPayloadTooLarge) {
  DecodeOptions o;
  o.max_rows = 1;
  auto r = Decode(R"([{"timestamp":0},{"timestamp":1}])", o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kPayloadTooLarge);
  EXPECT_EQ(r.status().message(), "rows: 2 rows exceed the limit of 1 per request");
}

TEST_F(IngestRequestTest, TimeRangeIsHalfOpen) {
  auto req = Parse(
      R"({"partition":{"timeRange":{"start":"2024-01-01T00:00:00Z","end":"2024-01-02T00:00:00Z"}},
                       "rows":[{"timestamp":"2024-01-01T00:00:00Z"},{"timestamp":"2024-01-02T00:00:00Z"}]})");
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  DecodeOptions o;
  o.time_range = req->time_range;
  auto r = DecodeRows(*req, kSchema, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "rows[1].timestamp: 2024-01-02T00:00:00.000Z is outside partition.timeRange "
            "[2024-01-01T00:00:00.000Z, 2024-01-02T00:00:00.000Z)");
}

TEST_F(IngestRequestTest, EnvelopeIsValidatedFieldByField) {
  auto expect = [&](const std::string& json, const std::string& message) {
    auto r = Parse(json);
    ASSERT_FALSE(r.ok()) << json;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(r.status().message(), message) << json;
  };
  expect("[1]", "body: expected a JSON object, got array");
  expect("{}", "rows: required");
  expect(R"({"rows":{}})", "rows: expected an array, got object");
  expect(R"({"rows":[],"schema":{"fields":[{"name":"a","type":"float"}]}})",
         "schema.fields[0].type: unknown type 'float' (expected timestamp, string, double, integer "
         "or boolean)");
  expect(
      R"({"rows":[],"schema":{"fields":[{"name":"a","type":"string"},{"name":"A","type":"string"}]}})",
      "schema.fields[1].name: duplicate column 'A' (names are case-insensitive)");
  expect(R"({"rows":[],"schema":{"fields":[{"type":"string"}]}})",
         "schema.fields[0].name: required");
  expect(R"({"rows":[],"schema":{}})", "schema.fields: required");
  expect(R"({"rows":[],"schema":{"fields":[]}})", "schema.fields: at least one field is required");
  expect(R"({"rows":[],"idempotencyKey":""})", "idempotencyKey: must be 1-256 characters");
  expect(R"({"rows":[],"partition":{"key":{"region":[1]}}})",
         "partition.key.region: expected a string, number or boolean, got array");
  expect(
      R"({"rows":[],"partition":{"timeRange":{"start":"2024-01-02T00:00:00Z","end":"2024-01-01T00:00:00Z"}}})",
      "partition.timeRange: end must be after start");
  expect(
      R"({"rows":[],"schema":{"fields":[{"name":"a","type":"string"}],"evolution":{"backfill":true}}})",
      "schema.evolution.backfill: not supported: partition files are immutable; rows written "
      "before a column existed read it as NULL");
}

TEST_F(IngestRequestTest, PartitionKeyIsCanonicalAndSafeForObjectKeys) {
  auto req = Parse(R"({"rows":[],"partition":{"key":{"zone":"eu west/1","dc":7,"hot":true}}})");
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  EXPECT_EQ(req->partition_key.Json(), R"({"dc":7,"hot":true,"zone":"eu west/1"})");
  ASSERT_EQ(req->partition_key.entries().size(), 3u);
  EXPECT_EQ(req->partition_key.PathSegments(), "dc=7/hot=true/zone=eu%20west%2F1/");
}

TEST_F(IngestRequestTest, DefaultsFillMissingColumnsAndAreTypeChecked) {
  auto req = Parse(R"({"schema":{"fields":[{"name":"timestamp","type":"timestamp"}],
                                 "evolution":{"defaults":{"host":"unknown"}}},
                       "rows":[{"timestamp":0},{"timestamp":1,"host":"h"}]})");
  ASSERT_TRUE(req.ok());
  auto batch = DecodeRows(*req, kSchema, {});
  ASSERT_TRUE(batch.ok()) << batch.status().ToString();
  EXPECT_EQ(batch->columns[1].StringAt(0), "unknown");
  EXPECT_EQ(batch->columns[1].StringAt(1), "h");

  auto bad = Parse(R"({"schema":{"fields":[{"name":"timestamp","type":"timestamp"}],
                                 "evolution":{"defaults":{"count":"x"}}},"rows":[]})");
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(DecodeRows(*bad, kSchema, {}).status().message(),
            R"(schema.evolution.defaults.count: expected integer, got string "x")");
}

}  // namespace
}  // namespace timestore::ingest
