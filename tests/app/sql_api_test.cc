// The SQL API through the real HTTP server, PostgreSQL and partition files: answers checked against
// values computed from the ingested rows, formats, runtime tables, consistency with the newest
// committed version, the sandbox (nothing outside the caller's views is read or written), limits,
// concurrency and saved queries.
//
// The second wall of the sandbox (the locked-down DuckDB instance refusing files outside the
// partition directories even for a statement the checker let through) has no seam here:
// SqlRuntime::Read always runs CheckReadOnlySql first and the sandbox is private, so these tests
// can only show that the first wall refuses and that nothing leaked.
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "app/service.h"
#include "app/service_fixture.h"
#include "common/json_writer.h"
#include "common/time.h"
#include "testing/eventually.h"
#include "testing/raw_http_client.h"
#include "testing/test_env.h"

namespace timestore::app {
namespace {

using namespace std::chrono_literals;
using testing::RawHttpClient;
using testing::RawResponse;

constexpr int kRows = 300;
constexpr int64_t kStart = 1704067200;  // 2024-01-01T00:00:00Z
constexpr int64_t kStep = 1200;         // 20 minutes: 72 rows a day, 5 daily windows

// Row i of the "metrics" dataset: host h1 for even i, h2 for odd; value i/2 (exact in binary);
// n = i % 7.
std::string Host(int i) { return i % 2 == 0 ? "h1" : "h2"; }
double Value(int i) { return i * 0.5; }
int64_t N(int i) { return i % 7; }
std::string Time(int i) { return common::FormatIso8601((kStart + i * kStep) * 1'000'000); }

std::string MetricsBody(int from, int count) {
  std::string rows;
  for (int i = from; i < from + count; ++i) {
    if (!rows.empty()) rows += ",";
    rows += R"({"timestamp":")" + Time(i) + R"(","host":")" + Host(i) + R"(","value":)" +
            std::to_string(Value(i)) + R"(,"n":)" + std::to_string(N(i)) + "}";
  }
  return R"({"datasetName":"Metrics","schema":{"fields":[{"name":"timestamp","type":"timestamp"},)"
         R"({"name":"host","type":"string"},{"name":"value","type":"double"},)"
         R"({"name":"n","type":"integer"}]},"rows":[)" +
         rows + "]}";
}

constexpr char kHostsBody[] =
    R"({"schema":{"fields":[{"name":"timestamp","type":"timestamp"},{"name":"host","type":"string"},)"
    R"({"name":"region","type":"string"}]},"rows":[)"
    R"({"timestamp":"2024-01-01T00:00:00Z","host":"h1","region":"eu"},)"
    R"({"timestamp":"2024-01-01T00:00:00Z","host":"h2","region":"us"}]})";

std::string JsonString(std::string_view s) {
  std::string out;
  common::AppendJsonString(out, s);
  return out;
}

// {"sql":<sql>[,"params":<params_json>]}
std::string SqlBody(std::string_view sql, std::string_view params_json = "") {
  std::string body = "{\"sql\":" + JsonString(sql);
  if (!params_json.empty()) body += ",\"params\":" + std::string(params_json);
  return body + "}";
}

// The "rows" array of a JSON answer, as text.
std::string RowsOf(const std::string& body) {
  const size_t from = body.find("\"rows\":");
  const size_t to = body.find(",\"truncated\":");
  if (from == std::string::npos || to == std::string::npos || to < from) return "<no rows>";
  return body.substr(from + 7, to - from - 7);
}

// The first objectKey of a manifest answer.
std::string FirstObjectKey(const std::string& manifest) {
  std::smatch m;
  if (!std::regex_search(manifest, m, std::regex(R"re("objectKey":"([^"]+)")re"))) return "";
  return m[1];
}

class SqlApiTest : public ::testing::Test {
 protected:
  void SetUp() override { Start({}); }

  void Start(const std::function<void(config::ServiceConfig&)>& tweak) {
    service_.reset();
    cfg_ = config::ServiceConfig{};
    cfg_.http.port = 0;
    cfg_.postgres.url = testing::PostgresUrl();
    cfg_.postgres.schema = testing::UniqueName("sql");
    cfg_.storage.root = storage_.path().string();
    cfg_.ingest.group_commit_window = 0ms;
    cfg_.sql.max_length = 1 << 20;
    if (tweak) tweak(cfg_);
    service_ = std::make_unique<Service>(cfg_);
    ASSERT_TRUE(service_->Start().ok());
    const common::Status ready = WaitUntilReady(*service_);
    ASSERT_TRUE(ready.ok()) << ready.ToString();
    ASSERT_EQ(Request("POST", "/datasets/metrics/ingest", MetricsBody(0, kRows)).status, 201);
    ASSERT_EQ(Request("POST", "/datasets/hosts/ingest", kHostsBody).status, 201);
  }

  RawResponse Request(const std::string& method, const std::string& target,
                      const std::optional<std::string>& body = std::nullopt) {
    RawHttpClient c(service_->port(), 20s);
    auto r = c.Roundtrip(testing::MakeRequest(
        method, target, body ? "Content-Type: application/json\r\n" : "", body));
    EXPECT_TRUE(r.has_value()) << method << " " << target;
    return r.value_or(RawResponse{});
  }

  RawResponse Sql(std::string_view sql, std::string_view params_json = "",
                  const std::string& format = "") {
    return Request("POST", "/sql/read" + (format.empty() ? "" : "?format=" + format),
                   SqlBody(sql, params_json));
  }

  // The rows of a statement that must succeed.
  std::string SqlRows(std::string_view sql, std::string_view params_json = "") {
    RawResponse r = Sql(sql, params_json);
    EXPECT_EQ(r.status, 200) << sql << " -> " << r.body;
    return RowsOf(r.body);
  }

  std::string PartitionPath() {
    RawResponse manifest = Request("GET", "/datasets/metrics/manifest");
    EXPECT_EQ(manifest.status, 200);
    const std::string key = FirstObjectKey(manifest.body);
    EXPECT_FALSE(key.empty()) << manifest.body;
    return (storage_.path() / key).string();
  }

  testing::TempDir storage_;
  config::ServiceConfig cfg_;
  std::unique_ptr<Service> service_;
};

TEST_F(SqlApiTest, AggregatesMatchValuesComputedFromTheIngestedRows) {
  double sum_value[2] = {0, 0};
  int64_t sum_n[2] = {0, 0};
  int64_t n_ge_3 = 0;
  for (int i = 0; i < kRows; ++i) {
    sum_value[i % 2] += Value(i);
    sum_n[i % 2] += N(i);
    n_ge_3 += N(i) >= 3 ? 1 : 0;
  }
  EXPECT_EQ(SqlRows("SELECT count(*) AS c FROM timestore.metrics"),
            "[{\"c\":" + std::to_string(kRows) + "}]");
  // avg(value) is 74.5 for h1 (0, 1, ... 149) and 75 for h2 (0.5 ... 149.5).
  EXPECT_EQ(sum_value[0] / 150, 74.5);
  EXPECT_EQ(SqlRows("SELECT host, count(*) AS c, sum(n)::BIGINT AS s, avg(value) AS a, "
                    "max(timestamp) AS last FROM timestore.metrics GROUP BY host ORDER BY host"),
            R"([{"host":"h1","c":150,"s":)" + std::to_string(sum_n[0]) + R"(,"a":74.5,"last":")" +
                Time(298) + R"("},{"host":"h2","c":150,"s":)" + std::to_string(sum_n[1]) +
                R"(,"a":75,"last":")" + Time(299) + R"("}])");
  EXPECT_EQ(SqlRows("SELECT timestamp, value FROM timestore.\"metrics\" ORDER BY value DESC "
                    "LIMIT 3 OFFSET 1"),
            R"([{"timestamp":")" + Time(298) + R"(","value":149},{"timestamp":")" + Time(297) +
                R"(","value":148.5},{"timestamp":")" + Time(296) + R"(","value":148}])");
  // Rows per daily window: 72, 72, 72, 72, 12.
  EXPECT_EQ(SqlRows("SELECT date_trunc('day', timestamp)::DATE AS day, count(*) AS c "
                    "FROM timestore.metrics GROUP BY 1 ORDER BY 1"),
            R"([{"day":"2024-01-01","c":72},{"day":"2024-01-02","c":72},)"
            R"({"day":"2024-01-03","c":72},{"day":"2024-01-04","c":72},)"
            R"({"day":"2024-01-05","c":12}])");
  // A join of two datasets and a CTE.
  EXPECT_EQ(SqlRows("SELECT h.region, count(*) AS c, sum(m.value) AS total FROM timestore.metrics "
                    "m JOIN timestore.hosts h USING (host) GROUP BY h.region ORDER BY h.region"),
            R"([{"region":"eu","c":150,"total":11175},{"region":"us","c":150,"total":11250}])");
  EXPECT_EQ(SqlRows("WITH big AS (SELECT * FROM timestore.metrics WHERE n >= 3), "
                    "per AS (SELECT host, count(*) AS c FROM big GROUP BY host) "
                    "SELECT sum(c)::BIGINT AS c FROM per"),
            "[{\"c\":" + std::to_string(n_ge_3) + "}]");
}

// The lastpoint shape: every key's rows at its last instant. The subquery reads the dataset's
// last-value table (statistics.lastValues says so); the reference statement, which the runtime
// does not rewrite (a WHERE), reads every row; both must agree at every version, including ties
// at the last instant, a NULL key, and a key whose last rows arrive in a later commit.
TEST_F(SqlApiTest, LastValueSubqueriesAnswerLikeTheWholeDatasetAtEveryVersion) {
  const std::string lastpoint =
      "SELECT c.* FROM timestore.metrics c JOIN (SELECT host, max(\"timestamp\") AS mts FROM "
      "timestore.metrics GROUP BY host) m ON c.host IS NOT DISTINCT FROM m.host AND "
      "c.\"timestamp\" = m.mts ORDER BY c.host, c.value";
  const std::string reference =
      "SELECT c.* FROM timestore.metrics c JOIN (SELECT host, max(\"timestamp\") AS mts FROM "
      "timestore.metrics WHERE true GROUP BY host) m ON c.host IS NOT DISTINCT FROM m.host AND "
      "c.\"timestamp\" = m.mts ORDER BY c.host, c.value";
  auto check = [&](const std::string& expected_rows) {
    RawResponse fast = Sql(lastpoint);
    ASSERT_EQ(fast.status, 200) << fast.body;
    EXPECT_NE(fast.body.find(R"("lastValues":["metrics/host"])"), std::string::npos) << fast.body;
    RawResponse slow = Sql(reference);
    ASSERT_EQ(slow.status, 200) << slow.body;
    EXPECT_EQ(slow.body.find("lastValues"), std::string::npos) << slow.body;
    EXPECT_EQ(RowsOf(fast.body), RowsOf(slow.body));
    EXPECT_EQ(RowsOf(fast.body), expected_rows);
  };
  const std::string h1 = R"({"timestamp":")" + Time(298) + R"(","host":"h1","value":149,"n":4})";
  const std::string h2 = R"({"timestamp":")" + Time(299) + R"(","host":"h2","value":149.5,"n":5})";
  check("[" + h1 + "," + h2 + "]");

  // A later commit: two rows of h1 at one newer instant (a tie), and a row without a host.
  const std::string t = Time(400);
  const std::string more =
      R"({"schema":{"fields":[{"name":"timestamp","type":"timestamp"},{"name":"host","type":"string"},)"
      R"({"name":"value","type":"double"},{"name":"n","type":"integer"}]},"rows":[)"
      R"({"timestamp":")" +
      t +
      R"(","host":"h1","value":7,"n":1},)"
      R"({"timestamp":")" +
      t +
      R"(","host":"h1","value":8,"n":2},)"
      R"({"timestamp":")" +
      t + R"(","host":null,"value":9,"n":3}]})";
  ASSERT_EQ(Request("POST", "/datasets/metrics/ingest", more).status, 201);
  check(std::string("[") + R"({"timestamp":")" + t + R"(","host":"h1","value":7,"n":1},)" +
        R"({"timestamp":")" + t + R"(","host":"h1","value":8,"n":2},)" + h2 + "," +
        R"({"timestamp":")" + t + R"(","host":null,"value":9,"n":3})" + "]");

  // Shapes that are not rewritten keep their meaning: max of another column, and a filter.
  RawResponse other =
      Sql("SELECT host, max(value) AS v FROM timestore.metrics GROUP BY host "
          "ORDER BY host");
  ASSERT_EQ(other.status, 200) << other.body;
  EXPECT_EQ(other.body.find("lastValues"), std::string::npos);
  EXPECT_EQ(RowsOf(other.body),
            R"([{"host":"h1","v":149},{"host":"h2","v":149.5},{"host":null,"v":9}])");
}

// Native copies: with every partition eligible, both read paths move from the Parquet files to
// the time-ordered copies and, for statements that select hosts, to copies sorted by host; the
// answers never change.
TEST_F(SqlApiTest, NativeCopiesInTimeAndSeriesOrderGiveTheSameAnswers) {
  Start([](config::ServiceConfig& c) { c.query.native_min_rows = 1; });
  const std::string by_host =
      "SELECT host, count(*) AS c, sum(value) AS s, min(\"timestamp\") AS first FROM "
      "timestore.metrics WHERE host IN ('h1') AND \"timestamp\" >= TIMESTAMP '2024-01-02' GROUP BY "
      "host";
  const std::string by_time =
      "SELECT date_trunc('day', \"timestamp\") AS d, count(*) AS c, max(value) AS m FROM "
      "timestore.metrics GROUP BY d ORDER BY d";
  const std::string host_rows = SqlRows(by_host);
  const std::string time_rows = SqlRows(by_time);
  auto decoded = [&] {
    const std::string metrics = Request("GET", "/metrics").body;
    const std::string name = "\ntimestore_native_copies_decoded_total ";
    const size_t at = metrics.find(name);
    return at == std::string::npos ? -1 : std::stoi(metrics.substr(at + name.size()));
  };
  // 5 daily partitions: 5 time-ordered copies and 5 sorted by host.
  ASSERT_TRUE(testing::Eventually([&] { return decoded() == 10; }, 20s)) << decoded();
  EXPECT_EQ(SqlRows(by_host), host_rows);
  EXPECT_EQ(SqlRows(by_time), time_rows);
  EXPECT_EQ(host_rows, R"([{"host":"h1","c":114,"s":10545,"first":"2024-01-02T00:00:00.000Z"}])");
  RawResponse api =
      Request("POST", "/datasets/metrics/query",
              R"({"timeRange":{"start":"2024-01-01T00:00:00Z","end":"2024-02-01T00:00:00Z"},)"
              R"("filters":{"columns":{"host":{"type":"string","eq":"h2"}}},"limit":1000})");
  ASSERT_EQ(api.status, 200) << api.body;
  EXPECT_NE(api.body.find(R"("partitionsNative":5)"), std::string::npos) << api.body;
  EXPECT_NE(api.body.find(R"("rowCount":150)"), std::string::npos) << api.body;
  std::error_code ec;
  int series_copies = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(cfg_.storage.root, ec)) {
    if (e.path().filename().string().find(".by-") != std::string::npos) ++series_copies;
  }
  EXPECT_EQ(series_copies, 5);
}

TEST_F(SqlApiTest, ParametersBindStringsNumbersBooleansAndNull) {
  int64_t h2_small = 0;
  for (int i = 1; i < kRows; i += 2) h2_small += Value(i) < 10.25 ? 1 : 0;
  EXPECT_EQ(SqlRows("SELECT count(*) AS c FROM timestore.metrics WHERE host = ? AND value < ?",
                    R"(["h2",10.25])"),
            "[{\"c\":" + std::to_string(h2_small) + "}]");
  EXPECT_EQ(SqlRows("SELECT count(*) AS c FROM timestore.metrics WHERE n = $1 AND host = $2 "
                    "AND ($3 OR $1 = 0) AND $4 IS NULL",
                    R"([3,"h1",true,null])"),
            "[{\"c\":" + std::to_string([] {
              int c = 0;
              for (int i = 0; i < kRows; i += 2) c += N(i) == 3 ? 1 : 0;
              return c;
            }()) +
                "}]");
  // A parameter used as a value keeps the JSON type it came with.
  RawResponse typed =
      Sql("SELECT ? AS s, ? AS i, ? AS d, ? AS b, ? AS z", R"(["x\"y",7,2.5,false,null])");
  ASSERT_EQ(typed.status, 200) << typed.body;
  EXPECT_EQ(RowsOf(typed.body), R"([{"s":"x\"y","i":7,"d":2.5,"b":false,"z":null}])");
  EXPECT_NE(typed.body.find(R"("columns":[{"name":"s","type":"VARCHAR"},)"
                            R"({"name":"i","type":"BIGINT"},{"name":"d","type":"DOUBLE"},)"
                            R"({"name":"b","type":"BOOLEAN"},{"name":"z","type":"INTEGER"}])"),
            std::string::npos)
      << typed.body;
  // Nested and interval columns are shown as DuckDB prints them, with parameters or without.
  EXPECT_EQ(SqlRows("SELECT [?, 2] AS l, ? AS s, INTERVAL 1 DAY AS i", R"([1,"x"])"),
            R"([{"l":"[1, 2]","s":"x","i":"1 day"}])");
  EXPECT_EQ(SqlRows("SELECT [1, 2] AS l, {'a': 1} AS st"), R"([{"l":"[1, 2]","st":"{'a': 1}"}])");
}

TEST_F(SqlApiTest, FormatsRenderASmallAnswerByteExact) {
  const std::string sql =
      "SELECT host, count(*) AS c, avg(value) AS a FROM timestore.metrics GROUP BY host "
      "ORDER BY host";
  RawResponse json = Sql(sql);
  ASSERT_EQ(json.status, 200) << json.body;
  EXPECT_EQ(json.Header("content-type").rfind("application/json", 0), 0u);
  const std::string id = json.Header("x-sql-execution-id");
  EXPECT_TRUE(std::regex_match(id, std::regex("sql-[0-9a-f]{16}"))) << id;
  const std::string normalized =
      std::regex_replace(json.body, std::regex(R"("elapsedMs":[0-9.]+)"), R"("elapsedMs":0)");
  EXPECT_EQ(normalized,
            R"({"executionId":")" + id +
                R"(","columns":[{"name":"host","type":"VARCHAR"},{"name":"c","type":"BIGINT"},)"
                R"({"name":"a","type":"DOUBLE"}],"rows":[{"host":"h1","c":150,"a":74.5},)"
                R"({"host":"h2","c":150,"a":75}],"truncated":false,"warnings":[],)"
                R"("statistics":{"rowCount":2,"elapsedMs":0}})");

  RawResponse csv = Sql(sql, "", "csv");
  ASSERT_EQ(csv.status, 200) << csv.body;
  EXPECT_EQ(csv.Header("content-type").rfind("text/csv", 0), 0u) << csv.Header("content-type");
  EXPECT_EQ(csv.body, "host,c,a\nh1,150,74.5\nh2,150,75");

  RawResponse table = Sql(sql, "", "table");
  ASSERT_EQ(table.status, 200) << table.body;
  EXPECT_EQ(table.body,
            "host | c   | a   \n"
            "-----+-----+-----\n"
            "h1   | 150 | 74.5\n"
            "h2   | 150 | 75  \n"
            "(2 rows)");
  RawResponse one = Sql("SELECT NULL::VARCHAR AS x, 'a,\"b' AS y", "", "table");
  EXPECT_EQ(one.body, "x    | y   \n-----+-----\nNULL | a,\"b\n(1 row)");
  EXPECT_EQ(Sql("SELECT NULL::VARCHAR AS x, 'a,\"b' AS y", "", "csv").body, "x,y\n,\"a,\"\"b\"");

  RawResponse unknown = Sql(sql, "", "ndjson");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_NE(unknown.body.find("format: must be one of json, csv, table"), std::string::npos)
      << unknown.body;
}

TEST_F(SqlApiTest, RuntimeTablesAndSchemaDescribeTheDatasets) {
  EXPECT_EQ(SqlRows("SELECT slug, name, status, timestamp_column, write_format, current_version, "
                    "schema_version FROM timestore_runtime.datasets ORDER BY slug"),
            R"([{"slug":"hosts","name":"hosts","status":"active","timestamp_column":"timestamp",)"
            R"("write_format":"parquet","current_version":1,"schema_version":1},)"
            R"({"slug":"metrics","name":"Metrics","status":"active",)"
            R"("timestamp_column":"timestamp","write_format":"parquet","current_version":1,)"
            R"("schema_version":1}])");
  EXPECT_EQ(SqlRows("SELECT dataset_slug, count(*) AS files, sum(row_count)::BIGINT AS rows_, "
                    "min(start_time) AS first, max(end_time) AS last "
                    "FROM timestore_runtime.partitions GROUP BY 1 ORDER BY 1"),
            R"([{"dataset_slug":"hosts","files":1,"rows_":2,"first":")" + Time(0) +
                R"(","last":")" + Time(0) +
                R"("},)"
                R"({"dataset_slug":"metrics","files":5,"rows_":300,)"
                R"("first":")" +
                Time(0) + R"(","last":")" + Time(kRows - 1) + R"("}])");
  EXPECT_EQ(SqlRows("SELECT column_name, column_type, sql_type, ordinal FROM "
                    "TIMESTORE_RUNTIME.Columns WHERE dataset_slug = 'metrics' ORDER BY ordinal"),
            R"([{"column_name":"timestamp","column_type":"timestamp","sql_type":"TIMESTAMP",)"
            R"("ordinal":1},{"column_name":"host","column_type":"string","sql_type":"VARCHAR",)"
            R"("ordinal":2},{"column_name":"value","column_type":"double","sql_type":"DOUBLE",)"
            R"("ordinal":3},{"column_name":"n","column_type":"integer","sql_type":"BIGINT",)"
            R"("ordinal":4}])");
  // The columns of an answer name DuckDB's types.
  RawResponse types = Sql("SELECT * FROM timestore.metrics LIMIT 1");
  EXPECT_NE(types.body.find(R"("columns":[{"name":"timestamp","type":"TIMESTAMP"},)"
                            R"({"name":"host","type":"VARCHAR"},{"name":"value","type":"DOUBLE"},)"
                            R"({"name":"n","type":"BIGINT"}])"),
            std::string::npos)
      << types.body;

  RawResponse schema = Request("GET", "/sql/schema");
  ASSERT_EQ(schema.status, 200) << schema.body;
  EXPECT_NE(
      schema.body.find(R"({"name":"timestore.\"metrics\"","dataset":"metrics","description":null,)"
                       R"("columns":[{"name":"timestamp","type":"TIMESTAMP","nullable":true,)"
                       R"("description":null},{"name":"host","type":"VARCHAR","nullable":true,)"
                       R"("description":null},{"name":"value","type":"DOUBLE","nullable":true,)"
                       R"("description":null},{"name":"n","type":"BIGINT","nullable":true,)"
                       R"("description":null}]})"),
      std::string::npos)
      << schema.body;
  EXPECT_NE(schema.body.find(R"("name":"timestore.\"hosts\"")"), std::string::npos);
  EXPECT_EQ(Request("GET", "/v1/sql/schema").status, 200);
}

TEST_F(SqlApiTest, ViewsReadTheNewestCommittedVersionAndNewColumnsAreNullForOldRows) {
  EXPECT_EQ(SqlRows("SELECT count(*) AS c FROM timestore.metrics"), R"([{"c":300}])");
  ASSERT_EQ(Request("POST", "/datasets/metrics/ingest", MetricsBody(kRows, 10)).status, 201);
  EXPECT_EQ(SqlRows("SELECT count(*) AS c, max(value) AS m FROM timestore.metrics"),
            R"([{"c":310,"m":154.5}])");

  const std::string wider = R"({"schema":{"fields":[{"name":"timestamp","type":"timestamp"},)"
                            R"({"name":"region","type":"string"}]},"rows":[)"
                            R"({"timestamp":"2024-01-06T00:00:00Z","host":"h3","region":"eu"},)"
                            R"({"timestamp":"2024-01-06T00:00:01Z","host":"h3","region":"us"}]})";
  RawResponse evolved = Request("POST", "/datasets/metrics/ingest", wider);
  ASSERT_EQ(evolved.status, 201) << evolved.body;
  EXPECT_EQ(SqlRows("SELECT count(*) AS c, count(*) FILTER (WHERE region IS NULL) AS old, "
                    "string_agg(region, ',' ORDER BY region) AS regions, "
                    "count(*) FILTER (WHERE value IS NULL) AS no_value FROM timestore.metrics"),
            R"([{"c":312,"old":310,"regions":"eu,us","no_value":2}])");
  EXPECT_EQ(SqlRows("SELECT column_name FROM timestore_runtime.columns "
                    "WHERE dataset_slug = 'metrics' AND ordinal = 5"),
            R"([{"column_name":"region"}])");
  EXPECT_NE(Request("GET", "/sql/schema").body.find(R"({"name":"region","type":"VARCHAR")"),
            std::string::npos);
}

TEST_F(SqlApiTest, SandboxRefusesEveryWayOutAndReadsOrWritesNothing) {
  testing::TempDir outside;
  const std::string secret = (outside.path() / "secret.csv").string();
  { std::ofstream(secret) << "name,value\nsecret_marker_7351,42\n"; }
  const std::string partition = PartitionPath();
  ASSERT_TRUE(std::filesystem::exists(partition)) << partition;
  const std::string written = (outside.path() / "x.csv").string();
  const std::string exported = (outside.path() / "export").string();
  const std::string attached = (outside.path() / "x.db").string();
  auto quoted = [](const std::string& s) { return "'" + s + "'"; };

  struct Case {
    std::string sql;
    std::string message;  // a part of the 400 answer's message
  };
  const std::vector<Case> cases = {
      {"SELECT * FROM read_csv('/etc/passwd')", "table function 'read_csv' is not allowed"},
      {"SELECT * FROM read_csv(" + quoted(secret) + ")", "table function 'read_csv'"},
      {"SELECT * FROM READ_CSV_AUTO([" + quoted(secret) + "])", "table function 'read_csv_auto'"},
      {"SELECT * FROM read_text(" + quoted(secret) + ")", "table function 'read_text'"},
      {"SELECT * FROM read_blob(" + quoted(secret) + ")", "table function 'read_blob'"},
      {"SELECT * FROM read_parquet(" + quoted(partition) + ")", "table function 'read_parquet'"},
      {"SELECT * FROM parquet_metadata(" + quoted(partition) + ")", "'parquet_metadata'"},
      {"SELECT * FROM timestore.metrics UNION ALL BY NAME SELECT * FROM read_parquet(" +
           quoted(partition) + ")",
       "table function 'read_parquet'"},
      {"SELECT * FROM glob('/*')", "table function 'glob' is not allowed"},
      {"SELECT * FROM " + quoted(secret), "unknown table '" + secret + "'"},
      {"SELECT * FROM " + quoted(partition), "unknown table '" + partition + "'"},
      {"COPY (SELECT 1) TO " + quoted(written), "only a single SELECT statement is allowed"},
      {"COPY (SELECT * FROM timestore.metrics) TO " + quoted(written) + " (FORMAT parquet)",
       "only a single SELECT statement is allowed"},
      {"EXPORT DATABASE " + quoted(exported), "only a single SELECT statement is allowed"},
      {"ATTACH " + quoted(attached) + " AS x", "only a single SELECT statement is allowed"},
      {"ATTACH " + quoted(partition) + " AS p (READ_ONLY)", "only a single SELECT"},
      {"INSTALL httpfs", "only a single SELECT statement is allowed"},
      {"LOAD httpfs", "only a single SELECT statement is allowed"},
      {"SET enable_external_access = true", "only a single SELECT statement is allowed"},
      {"RESET allowed_directories", "only a single SELECT statement is allowed"},
      {"PRAGMA database_list", "only a single SELECT statement is allowed"},
      {"CALL pragma_version()", "only a single SELECT statement is allowed"},
      {"CREATE TABLE t AS SELECT 1", "only a single SELECT statement is allowed"},
      {"PIVOT timestore.metrics ON host USING sum(n)", "only a single SELECT"},
      {"SELECT getenv('HOME')", "function 'getenv' is not allowed"},
      {"SELECT GeTeNv('HOME')", "function 'getenv' is not allowed"},
      {"SELECT main.getenv('HOME')", "function 'main.getenv' is not allowed"},
      {"SELECT system.main.getenv('HOME')", "cannot be qualified"},
      {"SELECT 1; SELECT * FROM read_csv(" + quoted(secret) + ")",
       "only a single SELECT statement is allowed (found 2)"},
      {"SELECT 1 /* ; */ -- ;\n; COPY (SELECT 2) TO " + quoted(written),
       "only a single SELECT statement is allowed"},
      {"SELECT * FROM information_schema.tables", "unknown table 'information_schema.tables'"},
      {"SELECT * FROM duckdb_settings()", "table function 'duckdb_settings' is not allowed"},
      {"SELECT * FROM query('SELECT 1')", "table function 'query' is not allowed"},
      {"SELECT * FROM query_table('timestore.metrics')", "table function 'query_table'"},
      {"SELECT current_setting('enable_external_access')", "function 'current_setting'"},
      {"SELECT * FROM json_execute_serialized_sql(json_serialize_sql('SELECT 1'))",
       "'json_execute_serialized_sql' is not allowed"},
      {"SELECT list_transform(['HOME'], x -> getenv(x))", "function 'getenv' is not allowed"},
      {"SELECT [getenv(x) FOR x IN ['HOME']]", "function 'getenv' is not allowed"},
      {"WITH read_csv AS (SELECT 1 AS x) SELECT * FROM read_csv(" + quoted(secret) + ")",
       "table function 'read_csv' is not allowed"},
      {"WITH getenv AS (SELECT 'HOME' AS x) SELECT getenv(x) FROM getenv",
       "function 'getenv' is not allowed"},
      // A CTE is in scope only inside its query: the outer reference is a file name.
      {"SELECT * FROM (WITH " + std::string("\"") + secret + "\" AS (SELECT 1) SELECT 1), " +
           quoted(secret),
       "unknown table '" + secret + "'"},
      // Fullwidth letters and a zero-width space do not make another name DuckDB would resolve.
      {"SELECT * FROM ｒead_csv(" + quoted(secret) + ")", "is not allowed"},
      {"SELECT * FROM read\u200b_csv(" + quoted(secret) + ")", "unknown table 'read'"},
      {"SELECT * FROM ts_file_1.records", "unknown table 'ts_file_1.records'"},
      {"SELECT * FROM memory.timestore.metrics", "a database name cannot be given"},
      {"SELECT * FROM timestore.\"../metrics\"", "dataset names are"},
      {"SELECT * FROM pg_catalog.pg_tables", "unknown table 'pg_catalog.pg_tables'"},
      {"SELECT pg_catalog.current_database()", "cannot be qualified"},
      {"SELECT * FROM sniff_csv(" + quoted(secret) + ")", "'sniff_csv' is not allowed"},
      {"DESCRIBE timestore.metrics", "not allowed"},
  };
  for (const Case& c : cases) {
    RawResponse r = Sql(c.sql);
    EXPECT_EQ(r.status, 400) << c.sql << " -> " << r.body;
    EXPECT_NE(r.body.find(R"("error":"Bad Request")"), std::string::npos) << r.body;
    EXPECT_NE(r.body.find(JsonString(c.message).substr(1, JsonString(c.message).size() - 2)),
              std::string::npos)
        << c.sql << " -> " << r.body;
    EXPECT_EQ(r.body.find("secret_marker_7351"), std::string::npos) << c.sql << " -> " << r.body;
    EXPECT_EQ(r.body.find("root:"), std::string::npos) << c.sql << " -> " << r.body;
  }
  EXPECT_FALSE(std::filesystem::exists(written));
  EXPECT_FALSE(std::filesystem::exists(exported));
  EXPECT_FALSE(std::filesystem::exists(attached));
  // The service still answers, from the same files.
  EXPECT_EQ(SqlRows("SELECT count(*) AS c FROM timestore.metrics"), R"([{"c":300}])");
}

TEST_F(SqlApiTest, InstanceMetadataMacrosAreRefusedUnqualifiedToo) {
  // pg_catalog's macros resolve without a schema and read duckdb_views(), duckdb_columns(), ...:
  // pg_get_viewdef over the view's oid would show its definition (the absolute paths of the
  // partition files under the storage root).
  const std::vector<std::string> statements = {
      "SELECT o, pg_get_viewdef(o) AS def FROM range(0, 5000) t(o), "
      "(SELECT count(*) FROM timestore.metrics) WHERE pg_get_viewdef(o) IS NOT NULL",
      "SELECT col_description(o, 1) FROM range(0, 5000) t(o)",
      "SELECT has_table_privilege(1, 'select')",
      "SELECT get_block_size('memory')",
  };
  for (const std::string& sql : statements) {
    RawResponse r = Sql(sql);
    EXPECT_EQ(r.status, 400) << sql << " -> " << r.body;
    EXPECT_NE(r.body.find("is not allowed"), std::string::npos) << r.body;
    EXPECT_EQ(r.body.find(storage_.path().string()), std::string::npos) << r.body;
  }
  // Harmless pg_catalog names stay usable.
  EXPECT_EQ(SqlRows("SELECT pg_typeof(1) AS t"), R"([{"t":"integer"}])");
}

TEST_F(SqlApiTest, MissingDatasetAnswersLikeAMissingTable) {
  RawResponse missing = Sql("SELECT * FROM timestore.nope");
  EXPECT_EQ(missing.status, 400);
  EXPECT_NE(missing.body.find("Table with name nope does not exist"), std::string::npos)
      << missing.body;
  RawResponse joined = Sql("SELECT * FROM timestore.metrics JOIN timestore.nope USING (host)");
  EXPECT_EQ(joined.status, 400);
  EXPECT_NE(joined.body.find("Table with name nope does not exist"), std::string::npos)
      << joined.body;
  // DuckDB's own answer for a table missing in an existing schema has the same shape.
  RawResponse runtime = Sql("SELECT * FROM timestore_runtime.tables");
  EXPECT_EQ(runtime.status, 400);
  EXPECT_NE(runtime.body.find("unknown table 'timestore_runtime.tables'"), std::string::npos);
}

TEST_F(SqlApiTest, HostileButHarmlessStatementsAnswerCorrectly) {
  // A long IN list is one flat node: it runs.
  std::string in_list;
  for (int i = 0; i < 20'000; ++i) in_list += (i ? "," : "") + std::to_string(i * 2);
  EXPECT_EQ(SqlRows("SELECT count(*) AS c FROM timestore.metrics WHERE n IN (" + in_list + ")"),
            [] {
              int c = 0;
              for (int i = 0; i < kRows; ++i) c += N(i) % 2 == 0 ? 1 : 0;
              return "[{\"c\":" + std::to_string(c) + "}]";
            }());
  // Deep nesting is refused, not a crash.
  std::string deep = "1";
  for (int i = 0; i < 3000; ++i) deep = "(" + deep + " + 1)";
  RawResponse nested = Sql("SELECT " + deep + " AS x");
  EXPECT_EQ(nested.status, 400) << nested.body.substr(0, 300);
  EXPECT_NE(nested.body.find("nested too deeply"), std::string::npos) << nested.body.substr(0, 300);
  // A CTE named like a file or a forbidden function is just a CTE.
  EXPECT_EQ(SqlRows("WITH \"/etc/passwd\" AS (SELECT 1 AS x) SELECT x FROM '/etc/passwd'"),
            R"([{"x":1}])");
  EXPECT_EQ(SqlRows("WITH read_csv AS (SELECT 2 AS x) SELECT x FROM read_csv"), R"([{"x":2}])");
  EXPECT_EQ(SqlRows("SELECT sum(x)::BIGINT AS s FROM range(5) t(x)"), R"([{"s":10}])");
  EXPECT_EQ(SqlRows("SELECT 'ü' || chr(128512) AS s"), "[{\"s\":\"ü\U0001F600\"}]");
  EXPECT_EQ(Request("GET", "/health").status, 200);
}

TEST_F(SqlApiTest, LimitsAnswer413TruncateAndTimeOutWithoutBreakingTheServer) {
  Start([](config::ServiceConfig& c) {
    c.sql.max_length = 200;
    c.sql.max_rows = 5;
    c.sql.timeout = 300ms;
  });
  RawResponse longer = Sql("SELECT '" + std::string(200, 'x') + "' AS s");
  EXPECT_EQ(longer.status, 413) << longer.body;
  EXPECT_NE(longer.body.find("more than the limit of 200 (TIMESTORE_SQL_MAX_LENGTH)"),
            std::string::npos)
      << longer.body;
  // Characters, not bytes.
  EXPECT_EQ(Sql("SELECT '" + std::string(60, 'x') + "' || '" +
                [] {
                  std::string s;
                  for (int i = 0; i < 60; ++i) s += "é";
                  return s;
                }() +
                "' AS s")
                .status,
            200);

  RawResponse capped = Sql("SELECT x FROM range(100) t(x) ORDER BY x");
  ASSERT_EQ(capped.status, 200) << capped.body;
  EXPECT_EQ(RowsOf(capped.body), R"([{"x":0},{"x":1},{"x":2},{"x":3},{"x":4}])");
  EXPECT_NE(capped.body.find(R"x("truncated":true,"warnings":["result truncated to 5 rows )x"
                             R"x((TIMESTORE_SQL_MAX_ROWS)"],"statistics":{"rowCount":5,)x"),
            std::string::npos)
      << capped.body;
  EXPECT_EQ(capped.Header("x-sql-warnings"),
            R"x(["result truncated to 5 rows (TIMESTORE_SQL_MAX_ROWS)"])x");
  RawResponse exact = Sql("SELECT x FROM range(5) t(x)");
  EXPECT_NE(exact.body.find(R"("truncated":false,"warnings":[])"), std::string::npos);
  EXPECT_EQ(Sql("SELECT x FROM range(100) t(x)", "", "csv").body, "x\n0\n1\n2\n3\n4");

  for (const std::string& slow : {
           std::string("SELECT count(*) AS c FROM range(1000000000) a, range(1000000) b"),
           std::string("SELECT a.x FROM range(100000) a(x), range(100000) b(y) "
                       "WHERE a.x * b.y = -1"),
       }) {
    const auto started = std::chrono::steady_clock::now();
    RawResponse timed_out = Sql(slow);
    const auto took = std::chrono::steady_clock::now() - started;
    EXPECT_EQ(timed_out.status, 504) << timed_out.body;
    EXPECT_NE(
        timed_out.body.find(
            "exceeded the SQL time limit of 300 ms (TIMESTORE_SQL_TIMEOUT_MS) and was stopped"),
        std::string::npos)
        << timed_out.body;
    EXPECT_LT(took, 5s);
    // The sandbox recovered: the next statements work, on every sandbox.
    for (int i = 0; i < 3; ++i) {
      EXPECT_EQ(SqlRows("SELECT count(*) AS c FROM timestore.metrics"), R"([{"c":300}])");
    }
  }
}

TEST_F(SqlApiTest, AStatementAboveTheSandboxMemoryLimitFailsAloneAndCleanly) {
  Start([](config::ServiceConfig& c) {
    c.sql.memory_limit = "32MB";
    c.sql.sandboxes = 1;
  });
  // A hash table of ~100 MB of distinct strings does not fit in 32 MB: DuckDB refuses with an
  // out-of-memory error (the sandbox has nowhere to spill).
  RawResponse big =
      Sql("SELECT count(*) AS c FROM (SELECT DISTINCT repeat(x::VARCHAR, 40) AS s "
          "FROM range(3000000) t(x))");
  EXPECT_EQ(big.status, 400) << big.body.substr(0, 300);
  EXPECT_NE(big.body.find("Out of Memory"), std::string::npos) << big.body.substr(0, 300);
  // The same sandbox answers the next statement.
  EXPECT_EQ(SqlRows("SELECT count(*) AS c FROM timestore.metrics"), R"([{"c":300}])");
}

TEST_F(SqlApiTest, MalformedRequestsAnswer400NamingTheField) {
  struct Case {
    std::string body;
    std::string message;
  };
  const std::vector<Case> cases = {
      {R"({})", "sql: must be a non-empty string"},
      {R"({"sql":""})", "sql: must be a non-empty string"},
      {R"({"sql":42})", "sql: must be a non-empty string"},
      {R"({"sql":"SELECT 1","params":{"a":1}})", "params: must be an array"},
      {R"({"sql":"SELECT ?","params":"x"})", "params: must be an array"},
      {R"({"sql":"SELECT ?","params":[{"a":1}]})",
       "params[0]: must be a string, number, boolean or null"},
      {R"({"sql":"SELECT ?, ?","params":[1,[2]]})",
       "params[1]: must be a string, number, boolean or null"},
      {R"([])", "body: must be a JSON object"},
      {R"({"sql":"SELECT 1",)", "Body is not valid JSON"},
      {R"({"sql":"SELECT ? AS a"})", "params: the statement has 1 parameters, 0 given"},
      {R"({"sql":"SELECT 1 AS a","params":[1]})",
       "params: the statement has 0 parameters, 1 given"},
      {R"({"sql":"SELECT $1, $2","params":[1]})",
       "params: the statement has 2 parameters, 1 given"},
      {R"({"sql":"SELEC 1"})", "SQL syntax error"},
      {R"({"sql":"SELECT nope FROM timestore.metrics"})", "nope"},
  };
  for (const Case& c : cases) {
    RawResponse r = Request("POST", "/sql/read", c.body);
    EXPECT_EQ(r.status, 400) << c.body << " -> " << r.body;
    EXPECT_NE(r.body.find(c.message), std::string::npos) << c.body << " -> " << r.body;
  }
}

TEST_F(SqlApiTest, MoreConcurrentReadsThanSandboxesAllSucceed) {
  Start([](config::ServiceConfig& c) { c.sql.sandboxes = 2; });
  int64_t expected[2][7] = {};
  for (int i = 0; i < kRows; ++i) ++expected[i % 2][N(i)];
  constexpr int kClients = 8;
  constexpr int kRequests = 6;
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  clients.reserve(kClients);
  for (int t = 0; t < kClients; ++t) {
    clients.emplace_back([&, t] {
      for (int k = 0; k < kRequests; ++k) {
        const int host = (t + k) % 2;
        const int n = (t * kRequests + k) % 7;
        RawResponse r =
            Sql("SELECT count(*) AS c FROM timestore.metrics m JOIN timestore.hosts h USING (host) "
                "WHERE m.host = ? AND n = ?",
                "[\"h" + std::to_string(host + 1) + "\"," + std::to_string(n) + "]");
        const std::string want = "[{\"c\":" + std::to_string(expected[host][n]) + "}]";
        if (r.status == 200 && RowsOf(r.body) == want) ++ok;
        EXPECT_EQ(r.status, 200) << r.body;
        EXPECT_EQ(RowsOf(r.body), want);
      }
    });
  }
  for (auto& c : clients) c.join();
  EXPECT_EQ(ok.load(), kClients * kRequests);
}

TEST_F(SqlApiTest, SavedQueriesRoundTripThroughTheService) {
  const std::string body = R"({"statement":"SELECT count(*) FROM timestore.metrics","label":"n"})";
  RawResponse put = Request("PUT", "/sql/saved/count-metrics", body);
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_NE(put.body.find(R"("statement":"SELECT count(*) FROM timestore.metrics")"),
            std::string::npos)
      << put.body;
  RawResponse got = Request("GET", "/sql/saved/count-metrics");
  EXPECT_EQ(got.status, 200);
  EXPECT_NE(got.body.find(R"("label":"n")"), std::string::npos) << got.body;
  RawResponse list = Request("GET", "/v1/sql/saved");
  EXPECT_EQ(list.status, 200);
  EXPECT_NE(list.body.find(R"("savedQueries":[{)"), std::string::npos) << list.body;
  EXPECT_NE(list.body.find("count-metrics"), std::string::npos) << list.body;
  EXPECT_EQ(Request("DELETE", "/sql/saved/count-metrics").status, 204);
  EXPECT_EQ(Request("GET", "/sql/saved/count-metrics").status, 404);
  EXPECT_EQ(Request("DELETE", "/sql/saved/count-metrics").status, 404);
}

}  // namespace
}  // namespace timestore::app
