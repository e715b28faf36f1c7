// The query API through the real HTTP server, PostgreSQL and partition files: raw and downsampled
// answers checked against hand-computed values, every aggregation and fill mode, filters,
// pruning (a pruned partition's file is deleted and the query still answers), asOfVersion, schema
// evolution, formats, the 4xx answers, and queries racing ingest.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>
#include <simdjson.h>

#include "app/service.h"
#include "app/service_fixture.h"
#include "testing/raw_http_client.h"
#include "testing/test_env.h"

namespace timestore::app {
namespace {

using namespace std::chrono_literals;
using testing::RawHttpClient;
using testing::RawResponse;

constexpr int64_t kT0 = 1704067200;  // 2024-01-01T00:00:00Z

struct Row {
  int64_t second;  // offset from kT0
  std::string host;
  double usage;
  int64_t cores = 4;
  bool healthy = true;
};

std::string Iso(int64_t second) { return common::FormatIso8601((kT0 + second) * 1'000'000); }

std::string IngestBody(const std::vector<Row>& rows, const std::string& extra = "") {
  std::string body =
      R"({"schema":{"fields":[{"name":"timestamp","type":"timestamp"},)"
      R"({"name":"host","type":"string"},{"name":"usage","type":"double"},)"
      R"({"name":"cores","type":"integer"},{"name":"healthy","type":"boolean"}]},"rows":[)";
  for (size_t i = 0; i < rows.size(); ++i) {
    const Row& r = rows[i];
    char usage[32];
    std::snprintf(usage, sizeof usage, "%.17g", r.usage);
    body += (i ? "," : "") + std::string(R"({"timestamp":")") + Iso(r.second) + R"(","host":")" +
            r.host + R"(","usage":)" + usage + R"(,"cores":)" + std::to_string(r.cores) +
            R"(,"healthy":)" + (r.healthy ? "true" : "false") + "}";
  }
  return body + "]" + extra + "}";
}

std::string Range(int64_t from, int64_t to) {
  return R"("timeRange":{"start":")" + Iso(from) + R"(","end":")" + Iso(to) + R"("})";
}

class QueryApiTest : public ::testing::Test {
 protected:
  void SetUp() override { Start({}); }

  void Start(const std::function<void(config::ServiceConfig&)>& tweak) {
    service_.reset();
    cfg_ = config::ServiceConfig{};
    cfg_.http.port = 0;
    cfg_.postgres.url = testing::PostgresUrl();
    cfg_.postgres.schema = schema_.empty() ? (schema_ = testing::UniqueName("qry")) : schema_;
    cfg_.storage.root = storage_.path().string();
    cfg_.storage.cache_dir = (cache_.path() / "cache").string();
    if (tweak) tweak(cfg_);
    service_ = std::make_unique<Service>(cfg_);
    ASSERT_TRUE(service_->Start().ok());
    const common::Status ready = WaitUntilReady(*service_);
    ASSERT_TRUE(ready.ok()) << ready.ToString();
  }

  RawResponse Call(const std::string& method, const std::string& target,
                   const std::string& body = "") {
    RawHttpClient c(service_->port());
    auto r = c.Roundtrip(
        testing::MakeRequest(method, target, "Content-Type: application/json\r\n", body));
    EXPECT_TRUE(r.has_value());
    return r.value_or(RawResponse{});
  }

  void Ingest(const std::string& slug, const std::vector<Row>& rows,
              const std::string& extra = "") {
    RawResponse r = Call("POST", "/datasets/" + slug + "/ingest", IngestBody(rows, extra));
    ASSERT_EQ(r.status, 201) << r.body;
  }

  // POSTs a query and parses the JSON answer (kept alive in parser_).
  simdjson::dom::element Query(const std::string& slug, const std::string& body,
                               int expected_status = 200) {
    last_ = Call("POST", "/datasets/" + slug + "/query", body);
    EXPECT_EQ(last_.status, expected_status) << body << "\n" << last_.body;
    simdjson::dom::element doc;
    EXPECT_EQ(parser_.parse(last_.body).get(doc), simdjson::SUCCESS) << last_.body;
    return doc;
  }

  static std::vector<double> Numbers(simdjson::dom::element doc, const char* column) {
    std::vector<double> out;
    const simdjson::dom::array rows = doc["rows"].get_array().value();
    for (simdjson::dom::element row : rows) {
      simdjson::dom::element v = row[column].value();
      out.push_back(v.is_null() ? NAN : v.get_double().value());
    }
    return out;
  }
  static std::vector<std::string> Strings(simdjson::dom::element doc, const char* column) {
    std::vector<std::string> out;
    const simdjson::dom::array rows = doc["rows"].get_array().value();
    for (simdjson::dom::element row : rows) {
      simdjson::dom::element v = row[column].value();
      out.emplace_back(v.is_null() ? "null" : std::string(v.get_string().value()));
    }
    return out;
  }
  static int64_t Stat(simdjson::dom::element doc, const char* name) {
    return doc["statistics"][name].get_int64().value();
  }

  // Removes the file of the live partition of `slug` whose observed start is `start_second`.
  void DeletePartitionFileStartingAt(const std::string& slug, int64_t start_second) {
    catalog::Catalog catalog(CatalogOptionsFor(cfg_.postgres));
    auto d = catalog.datasets().GetBySlug(slug);
    ASSERT_TRUE(d.ok());
    auto parts = catalog.manifests().ListLivePartitions(d->id, std::nullopt, std::nullopt);
    ASSERT_TRUE(parts.ok());
    int removed = 0;
    for (const auto& p : *parts) {
      if (p.start_time == (kT0 + start_second) * 1'000'000) {
        std::filesystem::remove(storage_.path() / p.object_key.value());
        ++removed;
      }
    }
    ASSERT_EQ(removed, 1);
  }

  testing::TempDir storage_;
  testing::TempDir cache_;
  std::string schema_;
  config::ServiceConfig cfg_;
  std::unique_ptr<Service> service_;
  RawResponse last_;
  simdjson::dom::parser parser_;
};

// Minute 0 holds usage 20..25 every 10 s (the original's percentile example); minute 2 holds 7.
std::vector<Row> TwoMinutes() {
  std::vector<Row> rows;
  rows.reserve(7);
  for (int i = 0; i < 6; ++i) rows.push_back({i * int64_t{10}, "h1", 20.0 + i, 2 + i});
  rows.push_back({120, "h1", 7, 1});
  return rows;
}

TEST_F(QueryApiTest, RawModeAnswersTheHalfOpenRangeInTimeOrderWithIsoTimestamps) {
  Ingest("cpu", TwoMinutes());
  auto doc = Query("cpu", "{" + Range(10, 120) + R"(,"columns":["timestamp","usage"]})");
  EXPECT_EQ(std::string(doc["mode"].get_string().value()), "raw");
  EXPECT_EQ(simdjson::minify(doc["columns"]), R"(["timestamp","usage"])");
  EXPECT_EQ(Strings(doc, "timestamp"),
            (std::vector<std::string>{Iso(10), Iso(20), Iso(30), Iso(40), Iso(50)}));
  EXPECT_EQ(Numbers(doc, "usage"), (std::vector<double>{21, 22, 23, 24, 25}));
  EXPECT_EQ(doc["version"].get_int64().value(), 1);
  EXPECT_FALSE(doc["truncated"].get_bool().value());
  // Without a projection every column comes back, in schema order.
  doc = Query("cpu", "{" + Range(120, 121) + "}");
  EXPECT_EQ(
      simdjson::minify(doc["rows"]),
      R"([{"timestamp":")" + Iso(120) + R"(","host":"h1","usage":7,"cores":1,"healthy":true}])");
}

TEST_F(QueryApiTest, EveryAggregationMatchesHandComputedValues) {
  Ingest("cpu", TwoMinutes());
  auto doc = Query("cpu", "{" + Range(0, 180) +
                              R"(,"downsample":{"intervalUnit":"minute",)"
                              R"("aggregations":[)"
                              R"({"fn":"avg","column":"usage"},{"fn":"min","column":"usage"},)"
                              R"({"fn":"max","column":"usage"},{"fn":"sum","column":"cores"},)"
                              R"({"fn":"median","column":"usage"},{"fn":"count"},)"
                              R"({"fn":"count","column":"usage","alias":"n"},)"
                              R"({"fn":"count_distinct","column":"host"},)"
                              R"({"fn":"percentile","column":"usage","percentile":0.5},)"
                              R"({"fn":"first","column":"usage"},{"fn":"last","column":"usage"},)"
                              R"({"fn":"stddev","column":"usage"}]}})");
  EXPECT_EQ(std::string(doc["mode"].get_string().value()), "downsampled");
  EXPECT_EQ(simdjson::minify(doc["columns"]),
            R"(["timestamp","avg_usage","min_usage","max_usage","sum_cores","median_usage",)"
            R"("count","n","count_distinct_host","p50_usage","first_usage","last_usage",)"
            R"("stddev_usage"])");
  EXPECT_EQ(Strings(doc, "timestamp"), (std::vector<std::string>{Iso(0), Iso(120)}));
  EXPECT_EQ(Numbers(doc, "avg_usage"), (std::vector<double>{22.5, 7}));
  EXPECT_EQ(Numbers(doc, "min_usage"), (std::vector<double>{20, 7}));
  EXPECT_EQ(Numbers(doc, "max_usage"), (std::vector<double>{25, 7}));
  EXPECT_EQ(Numbers(doc, "sum_cores"), (std::vector<double>{2 + 3 + 4 + 5 + 6 + 7, 1}));
  EXPECT_EQ(Numbers(doc, "median_usage"), (std::vector<double>{22.5, 7}));
  EXPECT_EQ(Numbers(doc, "count"), (std::vector<double>{6, 1}));
  EXPECT_EQ(Numbers(doc, "n"), (std::vector<double>{6, 1}));
  EXPECT_EQ(Numbers(doc, "count_distinct_host"), (std::vector<double>{1, 1}));
  // Discrete percentile, as the original: the p50 of 20..25 is 22.
  EXPECT_EQ(Numbers(doc, "p50_usage"), (std::vector<double>{22, 7}));
  EXPECT_EQ(Numbers(doc, "first_usage"), (std::vector<double>{20, 7}));
  EXPECT_EQ(Numbers(doc, "last_usage"), (std::vector<double>{25, 7}));
  const std::vector<double> sd = Numbers(doc, "stddev_usage");
  EXPECT_NEAR(sd[0], std::sqrt(17.5 / 5), 1e-12);  // sample stddev of 20..25
  EXPECT_TRUE(std::isnan(sd[1]));                  // one value: null
}

TEST_F(QueryApiTest, GroupByGivesOneSeriesPerValueOrderedByTimeThenGroup) {
  Ingest("cpu", {{0, "b", 1}, {5, "a", 2}, {10, "a", 4}, {65, "b", 8}});
  auto doc =
      Query("cpu", "{" + Range(0, 120) +
                       R"(,"downsample":{"intervalUnit":"minute",)"
                       R"("groupBy":["host"],"aggregations":[{"fn":"avg","column":"usage"}]}})");
  EXPECT_EQ(simdjson::minify(doc["columns"]), R"(["timestamp","host","avg_usage"])");
  EXPECT_EQ(Strings(doc, "timestamp"), (std::vector<std::string>{Iso(0), Iso(0), Iso(60)}));
  EXPECT_EQ(Strings(doc, "host"), (std::vector<std::string>{"a", "b", "b"}));
  EXPECT_EQ(Numbers(doc, "avg_usage"), (std::vector<double>{3, 1, 8}));
}

TEST_F(QueryApiTest, OneBucketSpanningAllDataGivesTheLatestValuesPerSeries) {
  // TSBS lastpoint through the API: one bucket (100 years) per host, last value of each.
  Ingest("cpu", {{0, "a", 1}, {50, "b", 2}, {100, "a", 3}, {86400 + 10, "b", 4}});
  auto doc =
      Query("cpu", "{" + Range(0, int64_t{3} * 86400) +
                       R"(,"downsample":{"intervalUnit":"month","intervalSize":1200,)"
                       R"("groupBy":["host"],"aggregations":[{"fn":"last","column":"usage"},)"
                       R"({"fn":"last","column":"timestamp","alias":"at"}]}})");
  EXPECT_EQ(Strings(doc, "timestamp"),
            (std::vector<std::string>{"2000-01-01T00:00:00.000Z", "2000-01-01T00:00:00.000Z"}));
  EXPECT_EQ(Strings(doc, "host"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(Numbers(doc, "last_usage"), (std::vector<double>{3, 4}));
  EXPECT_EQ(Strings(doc, "at"), (std::vector<std::string>{Iso(100), Iso(86400 + 10)}));
  // Day buckets over a range of three days whose data spans two: two buckets, as per row.
  doc =
      Query("cpu", "{" + Range(0, int64_t{3} * 86400) +
                       R"(,"downsample":{"intervalUnit":"day","aggregations":[{"fn":"count"}]}})");
  EXPECT_EQ(Strings(doc, "timestamp"), (std::vector<std::string>{Iso(0), Iso(86400)}));
  EXPECT_EQ(Numbers(doc, "count"), (std::vector<double>{3, 1}));
  // Week buckets start on Mondays (2024-01-01 is one).
  doc =
      Query("cpu", "{" + Range(0, 86400) +
                       R"(,"downsample":{"intervalUnit":"week","aggregations":[{"fn":"count"}]}})");
  EXPECT_EQ(Strings(doc, "timestamp"), (std::vector<std::string>{Iso(0)}));  // a Monday
  EXPECT_EQ(Numbers(doc, "count"), (std::vector<double>{3}));
}

TEST_F(QueryApiTest, FillModesFillGapsAndRangeEdgesPerSeries) {
  // Minutes 1 and 3 have data (10 and 30); the range covers minutes 0..4.
  Ingest("cpu", {{60, "h1", 10}, {180, "h1", 30}});
  auto fill = [&](const std::string& mode) {
    return Numbers(
        Query("cpu", "{" + Range(0, 300) + R"(,"downsample":{"intervalUnit":"minute","fill":)" +
                         mode + R"(,"aggregations":[{"fn":"max","column":"usage"}]}})"),
        "max_usage");
  };
  auto same = [](const std::vector<double>& a, const std::vector<double>& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (!(a[i] == b[i] || (std::isnan(a[i]) && std::isnan(b[i])))) return false;
    }
    return true;
  };
  EXPECT_TRUE(same(fill(R"("none")"), {10, 30}));
  EXPECT_TRUE(same(fill(R"("null")"), {NAN, 10, NAN, 30, NAN}));
  EXPECT_TRUE(same(fill(R"("previous")"), {NAN, 10, 10, 30, 30}));
  EXPECT_TRUE(same(fill(R"("linear")"), {NAN, 10, 20, 30, NAN}));
  EXPECT_TRUE(same(fill(R"({"value":-1})"), {-1, 10, -1, 30, -1}));
  EXPECT_EQ(Strings(Query("cpu", "{" + Range(0, 300) +
                                     R"(,"downsample":{"intervalUnit":"minute","fill":"null",)"
                                     R"("aggregations":[{"fn":"count"}]}})"),
                    "timestamp"),
            (std::vector<std::string>{Iso(0), Iso(60), Iso(120), Iso(180), Iso(240)}));
  // A range that starts inside a bucket still includes that bucket; no data at all: no rows.
  EXPECT_EQ(Strings(Query("cpu", "{" + Range(90, 150) +
                                     R"(,"downsample":{"intervalUnit":"minute","fill":"null",)"
                                     R"("aggregations":[{"fn":"count"}]}})"),
                    "timestamp"),
            (std::vector<std::string>{}));
  EXPECT_EQ(Strings(Query("cpu", "{" + Range(30, 150) +
                                     R"(,"downsample":{"intervalUnit":"minute","fill":"null",)"
                                     R"("aggregations":[{"fn":"count"}]}})"),
                    "timestamp"),
            (std::vector<std::string>{Iso(0), Iso(60), Iso(120)}));
}

TEST_F(QueryApiTest, FillPreviousKeepsSeriesApart) {
  Ingest("cpu", {{0, "a", 1}, {120, "a", 3}, {60, "b", 5}});
  auto doc =
      Query("cpu", "{" + Range(0, 180) +
                       R"(,"downsample":{"intervalUnit":"minute","fill":"previous",)"
                       R"("groupBy":["host"],"aggregations":[{"fn":"max","column":"usage"}]}})");
  EXPECT_EQ(Strings(doc, "host"), (std::vector<std::string>{"a", "b", "a", "b", "a", "b"}));
  const auto v = Numbers(doc, "max_usage");
  ASSERT_EQ(v.size(), 6u);
  EXPECT_EQ(v[0], 1);
  EXPECT_TRUE(std::isnan(v[1]));  // b has nothing before minute 1
  EXPECT_EQ(v[2], 1);
  EXPECT_EQ(v[3], 5);
  EXPECT_EQ(v[4], 3);
  EXPECT_EQ(v[5], 5);
}

TEST_F(QueryApiTest, OrderDescWithLimitAndTruncationAtTheDefaultLimit) {
  std::vector<Row> rows;
  rows.reserve(20);
  for (int i = 0; i < 20; ++i) rows.push_back({i * int64_t{60}, "h1", static_cast<double>(i)});
  Ingest("cpu", rows);
  auto doc = Query(
      "cpu",
      "{" + Range(0, 3600) +
          R"(,"order":"desc","limit":3,)"
          R"("downsample":{"intervalUnit":"minute","aggregations":[{"fn":"max","column":"usage"}]}})");
  EXPECT_EQ(Numbers(doc, "max_usage"), (std::vector<double>{19, 18, 17}));
  EXPECT_FALSE(doc["truncated"].get_bool().value());  // the caller's limit is the answer's size
  doc = Query("cpu", "{" + Range(0, 3600) + R"(,"order":"desc","limit":20})");
  EXPECT_EQ(Numbers(doc, "usage").front(), 19);
  EXPECT_FALSE(doc["truncated"].get_bool().value());

  Start([](config::ServiceConfig& c) { c.query.default_limit = 5; });
  doc = Query("cpu", "{" + Range(0, 3600) + "}");
  EXPECT_EQ(Numbers(doc, "usage"), (std::vector<double>{0, 1, 2, 3, 4}));
  EXPECT_TRUE(doc["truncated"].get_bool().value());
  EXPECT_NE(simdjson::minify(doc["warnings"]).find("default limit of 5"), std::string::npos);
}

TEST_F(QueryApiTest, FiltersOfEveryTypeSelectExactlyTheMatchingRows) {
  Ingest("cpu", {{0, "a", 10, 1, true},
                 {10, "b", 20, 2, false},
                 {20, "c", 30, 3, true},
                 {30, "a", 40, 4, false}});
  auto usages = [&](const std::string& filters) {
    return Numbers(Query("cpu", "{" + Range(0, 60) + R"(,"filters":{"columns":)" + filters + "}}"),
                   "usage");
  };
  EXPECT_EQ(usages(R"({"host":["a","c"]})"), (std::vector<double>{10, 30, 40}));
  EXPECT_EQ(usages(R"({"host":{"type":"string","eq":"b"}})"), (std::vector<double>{20}));
  EXPECT_EQ(usages(R"({"usage":{"type":"number","gt":10,"lte":30}})"),
            (std::vector<double>{20, 30}));
  EXPECT_EQ(usages(R"({"cores":{"in":[1,4]}})"), (std::vector<double>{10, 40}));
  EXPECT_EQ(usages(R"({"healthy":{"type":"boolean","eq":false}})"), (std::vector<double>{20, 40}));
  EXPECT_EQ(usages(R"({"timestamp":{"type":"timestamp","gte":")" + Iso(10) + R"(","lt":")" +
                   Iso(30) + R"("}})"),
            (std::vector<double>{20, 30}));
  EXPECT_EQ(usages(R"({"host":["a"],"usage":{"gt":15}})"), (std::vector<double>{40}));
  // A value with quotes is a value, not SQL.
  EXPECT_EQ(usages(R"({"host":{"eq":"a' OR '1'='1"}})"), (std::vector<double>{}));
}

TEST_F(QueryApiTest, PartitionsOutsideTheRangeAreNeverOpened) {
  Ingest("cpu", {{0, "h1", 1}});
  Ingest("cpu", {{86400, "h1", 2}});  // the next day: another window, another file
  auto doc = Query("cpu", "{" + Range(86400, int64_t{2} * 86400) + "}");
  EXPECT_EQ(Stat(doc, "partitionsScanned"), 1);
  EXPECT_EQ(Stat(doc, "partitionsPrunedByTime"), 1);
  // Proof: without the first day's file the second day still answers.
  DeletePartitionFileStartingAt("cpu", 0);
  doc = Query("cpu", "{" + Range(86400, int64_t{2} * 86400) + "}");
  EXPECT_EQ(Numbers(doc, "usage"), (std::vector<double>{2}));
}

TEST_F(QueryApiTest, ColumnStatisticsPrunePartitionsThatCannotMatch) {
  Ingest("cpu", {{0, "a", 5}, {10, "b", 9}});
  Ingest("cpu", {{20, "c", 50}, {30, "d", 60}});
  auto doc = Query("cpu", "{" + Range(0, 60) + R"(,"filters":{"columns":{"usage":{"gt":40}}}})");
  EXPECT_EQ(Stat(doc, "partitionsScanned"), 1);
  EXPECT_EQ(Stat(doc, "partitionsPrunedByStatistics"), 1);
  doc = Query("cpu", "{" + Range(0, 60) + R"(,"filters":{"columns":{"host":["z","a"]}}})");
  EXPECT_EQ(Stat(doc, "partitionsScanned"), 1);
  EXPECT_EQ(Numbers(doc, "usage"), (std::vector<double>{5}));
  DeletePartitionFileStartingAt("cpu", 0);
  doc = Query("cpu", "{" + Range(0, 60) + R"(,"filters":{"columns":{"usage":{"gte":50}}}})");
  EXPECT_EQ(Numbers(doc, "usage"), (std::vector<double>{50, 60}));
}

TEST_F(QueryApiTest, PartitionKeyFiltersSelectPartitionsByKey) {
  Ingest("cpu", {{0, "h1", 1}}, R"(,"partition":{"key":{"region":"eu"}})");
  Ingest("cpu", {{10, "h2", 2}}, R"(,"partition":{"key":{"region":"us"}})");
  auto doc =
      Query("cpu", "{" + Range(0, 60) +
                       R"(,"filters":{"partitionKey":{"region":{"type":"string","in":["eu"]}}}})");
  EXPECT_EQ(Numbers(doc, "usage"), (std::vector<double>{1}));
  EXPECT_EQ(Stat(doc, "partitionsPrunedByKey"), 1);
  doc = Query("cpu", "{" + Range(0, 60) + R"(,"filters":{"partitionKey":{"zone":["a"]}}})");
  EXPECT_EQ(Numbers(doc, "usage"), (std::vector<double>{}));
}

TEST_F(QueryApiTest, AsOfVersionReadsAnEarlierManifest) {
  Ingest("cpu", {{0, "h1", 1}});
  Ingest("cpu", {{10, "h1", 2}});
  auto doc = Query("cpu", "{" + Range(0, 60) + R"(,"asOfVersion":1})");
  EXPECT_EQ(Numbers(doc, "usage"), (std::vector<double>{1}));
  EXPECT_EQ(doc["version"].get_int64().value(), 1);
  doc = Query("cpu", "{" + Range(0, 60) + "}");
  EXPECT_EQ(Numbers(doc, "usage"), (std::vector<double>{1, 2}));
  EXPECT_EQ(doc["version"].get_int64().value(), 2);
  doc = Query("cpu", "{" + Range(0, 60) + R"(,"asOfVersion":0})");
  EXPECT_EQ(Numbers(doc, "usage"), (std::vector<double>{}));
  Query("cpu", "{" + Range(0, 60) + R"(,"asOfVersion":3})", 400);
  EXPECT_NE(last_.body.find("asOfVersion"), std::string::npos) << last_.body;
}

TEST_F(QueryApiTest, SchemaEvolutionReadsMissingColumnsAsNull) {
  Ingest("cpu", {{0, "h1", 1}});
  const std::string v2 =
      R"({"schema":{"fields":[{"name":"timestamp","type":"timestamp"},{"name":"host","type":"string"},)"
      R"({"name":"usage","type":"double"},{"name":"cores","type":"integer"},)"
      R"({"name":"healthy","type":"boolean"},{"name":"temp","type":"double"}]},)"
      R"("rows":[{"timestamp":")" +
      Iso(10) + R"(","host":"h1","usage":2,"cores":1,"healthy":true,"temp":36.6}]})";
  ASSERT_EQ(Call("POST", "/datasets/cpu/ingest", v2).status, 201);
  auto doc = Query("cpu", "{" + Range(0, 60) + R"(,"columns":["usage","temp"]})");
  auto temp = Numbers(doc, "temp");
  ASSERT_EQ(temp.size(), 2u);
  EXPECT_TRUE(std::isnan(temp[0]));
  EXPECT_EQ(temp[1], 36.6);
  // A filter on the new column skips the partition that lacks it.
  doc = Query("cpu", "{" + Range(0, 60) + R"(,"filters":{"columns":{"temp":{"gt":0}}}})");
  EXPECT_EQ(Numbers(doc, "usage"), (std::vector<double>{2}));
  EXPECT_EQ(Stat(doc, "partitionsPrunedByStatistics"), 1);
}

TEST_F(QueryApiTest, EmptyRangeAnswersNoRowsWithTheColumns) {
  Ingest("cpu", {{0, "h1", 1}});
  auto doc = Query("cpu", "{" + Range(1000, 2000) + R"(,"columns":["host","usage"]})");
  EXPECT_EQ(simdjson::minify(doc["columns"]), R"(["host","usage"])");
  EXPECT_EQ(simdjson::minify(doc["rows"]), "[]");
  doc = Query("cpu", "{" + Range(1000, 2000) +
                         R"(,"downsample":{"aggregations":[{"fn":"max","column":"usage"}]}})");
  EXPECT_EQ(simdjson::minify(doc["columns"]), R"(["timestamp","max_usage"])");
  EXPECT_EQ(std::string(doc["mode"].get_string().value()), "downsampled");
}

TEST_F(QueryApiTest, CsvAndNdjsonStreamTheSameRows) {
  Ingest("cpu", {{0, "a", 1.5}, {10, "b,x", 2}});
  RawResponse csv = Call("POST", "/datasets/cpu/query?format=csv",
                         "{" + Range(0, 60) + R"(,"columns":["timestamp","host","usage"]})");
  ASSERT_EQ(csv.status, 200) << csv.body;
  EXPECT_EQ(csv.Header("content-type"), "text/csv; charset=utf-8");
  EXPECT_EQ(csv.body, "timestamp,host,usage\n" + Iso(0) + ",a,1.5\n" + Iso(10) + ",\"b,x\",2\n");
  EXPECT_EQ(csv.Header("x-timestore-version"), "1");
  RawResponse nd = Call("POST", "/v1/datasets/cpu/query?format=ndjson",
                        "{" + Range(0, 60) + R"(,"columns":["host","usage"]})");
  ASSERT_EQ(nd.status, 200) << nd.body;
  EXPECT_EQ(nd.body, "{\"host\":\"a\",\"usage\":1.5}\n{\"host\":\"b,x\",\"usage\":2}\n");
  EXPECT_EQ(Call("POST", "/datasets/cpu/query?format=xml", "{" + Range(0, 60) + "}").status, 400);
}

TEST_F(QueryApiTest, CallerMistakesAre4xxNamingTheField) {
  Ingest("cpu", {{0, "h1", 1}});
  struct Case {
    std::string body;
    int status;
    std::string needle;
  } cases[] = {
      {"{" + Range(0, 60) + "}", 404, "dataset"},
      {R"({"timeRange":{"start":"yesterday","end":")" + Iso(1) + R"("}})", 400, "timeRange.start"},
      {"{" + Range(60, 60) + "}", 400, "timeRange.end"},
      {"{" + Range(0, 60) + R"(,"columns":["nope"]})", 400, "columns[0]"},
      {"{" + Range(0, 60) + R"(,"downsample":{"aggregations":[{"fn":"mode","column":"usage"}]}})",
       400, "downsample.aggregations[0].fn"},
      {"{" + Range(0, 60) +
           R"(,"downsample":{"aggregations":[{"fn":"percentile","column":"usage","percentile":1.5}]}})",
       400, "percentile"},
      {"{" + Range(0, 60) +
           R"(,"downsample":{"intervalUnit":"fortnight","aggregations":[{"fn":"count"}]}})",
       400, "downsample.intervalUnit"},
      {"{" + Range(0, 60) + R"(,"downsample":{"intervalSize":0,"aggregations":[{"fn":"count"}]}})",
       400, "downsample.intervalSize"},
      {"{" + Range(0, 60) + R"(,"filters":{"columns":{"host":{"gt":"a"}}}})", 400,
       "filters.columns.host.gt"},
      {"[1,2]", 400, "body"},
      {"{not json", 400, "JSON"},
  };
  for (const Case& c : cases) {
    const std::string slug = c.status == 404 ? "nope" : "cpu";
    RawResponse r = Call("POST", "/datasets/" + slug + "/query", c.body);
    EXPECT_EQ(r.status, c.status) << c.body << "\n" << r.body;
    EXPECT_NE(r.body.find(c.needle), std::string::npos) << c.body << "\n" << r.body;
    EXPECT_NE(r.body.find(R"("statusCode":)" + std::to_string(c.status)), std::string::npos)
        << r.body;
  }
}

TEST_F(QueryApiTest, AQueryPastItsTimeLimitIsStoppedAndAnswered504) {
  Start([](config::ServiceConfig& c) { c.query.timeout = 50ms; });
  Ingest("cpu", {{0, "h1", 1}, {999'000, "h1", 2}});
  // A million one-second buckets, interpolated: far more than 50 ms of work.
  const auto start = std::chrono::steady_clock::now();
  RawResponse r =
      Call("POST", "/datasets/cpu/query",
           "{" + Range(0, 999'990) +
               R"(,"limit":1000000,"downsample":{"intervalUnit":"second","fill":"linear",)"
               R"("aggregations":[{"fn":"max","column":"usage"}]}})");
  EXPECT_EQ(r.status, 504) << r.body.substr(0, 300);
  EXPECT_NE(r.body.find("TIMESTORE_QUERY_TIMEOUT_MS"), std::string::npos) << r.body.substr(0, 300);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  // The connection it ran on serves the next query.
  auto doc = Query("cpu", "{" + Range(0, 10) + "}");
  EXPECT_EQ(Numbers(doc, "usage"), (std::vector<double>{1}));
}

TEST_F(QueryApiTest, DuckDbPartitionFilesAnswerLikeParquet) {
  Start([](config::ServiceConfig& c) { c.ingest.write_format = config::WriteFormat::kDuckdb; });
  Ingest("duck", TwoMinutes());
  Ingest("duck", {{121, "h2", 9}});
  auto doc =
      Query("duck", "{" + Range(0, 180) +
                        R"(,"downsample":{"intervalUnit":"minute",)"
                        R"("aggregations":[{"fn":"max","column":"usage"},{"fn":"count"}]}})");
  EXPECT_EQ(Numbers(doc, "max_usage"), (std::vector<double>{25, 9}));
  EXPECT_EQ(Numbers(doc, "count"), (std::vector<double>{6, 2}));
  EXPECT_EQ(Stat(doc, "partitionsScanned"), 2);
  // Attachments are reused: the same query again gives the same answer.
  doc = Query("duck", "{" + Range(0, 180) + R"(,"filters":{"columns":{"host":["h2"]}}})");
  EXPECT_EQ(Numbers(doc, "usage"), (std::vector<double>{9}));
}

TEST_F(QueryApiTest, QueriesDuringIngestEachSeeOneCommittedVersion) {
  constexpr int kBatches = 25;
  constexpr int kRowsPerBatch = 40;
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int b = 0; b < kBatches; ++b) {
      std::vector<Row> rows;
      rows.reserve(kRowsPerBatch);
      for (int i = 0; i < kRowsPerBatch; ++i) {
        rows.push_back({b * kRowsPerBatch + i, "h1", static_cast<double>(i)});
      }
      Ingest("race", rows);
    }
    done = true;
  });
  int checked = 0;
  int bad = 0;
  while (!done || checked < 5) {
    RawResponse r =
        Call("POST", "/datasets/race/query",
             "{" + Range(0, 86400) +
                 R"(,"downsample":{"intervalUnit":"day","aggregations":[{"fn":"count"}]}})");
    if (r.status == 404) continue;  // not created yet
    simdjson::dom::parser p;
    simdjson::dom::element doc;
    ASSERT_EQ(p.parse(r.body).get(doc), simdjson::SUCCESS) << r.body;
    const int64_t version = doc["version"].get_int64().value();
    const simdjson::dom::array rows = doc["rows"].get_array().value();
    const int64_t count = rows.size() == 0 ? 0 : rows.at(0)["count"].get_int64().value();
    if (count != version * kRowsPerBatch) ++bad;
    ++checked;
  }
  writer.join();
  EXPECT_EQ(bad, 0);
  EXPECT_GT(checked, 0);
}

}  // namespace
}  // namespace timestore::app
