// GET /metrics through a real Service (HTTP server, PostgreSQL, partition files): after ingests and
// queries that succeed and fail, the request counters moved with the right labels, route labels
// are patterns (an unknown path does not become a label value), the catalog pool and process
// gauges are plausible, and `promtool check metrics` accepts the exposition.
#include <chrono>
#include <fstream>
#include <optional>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "app/service.h"
#include "app/service_fixture.h"
#include "testing/eventually.h"
#include "testing/raw_http_client.h"
#include "testing/subprocess.h"
#include "testing/test_env.h"

namespace timestore::app {
namespace {

using namespace std::chrono_literals;
using testing::RawHttpClient;
using testing::RawResponse;

const std::string kIngestBody =
    R"({"schema":{"fields":[{"name":"timestamp","type":"timestamp"},)"
    R"({"name":"host","type":"string"},{"name":"usage","type":"double"}]},"rows":[)"
    R"({"timestamp":"2024-01-01T00:00:00Z","host":"a","usage":1.5},)"
    R"({"timestamp":"2024-01-01T00:01:00Z","host":"b","usage":2.5}]})";
constexpr std::string_view kRange =
    R"("timeRange":{"start":"2024-01-01T00:00:00Z","end":"2024-01-02T00:00:00Z"})";

// The value of the sample line `series value` (series = name plus labels, exactly as rendered).
std::optional<double> Sample(const std::string& exposition, const std::string& series) {
  const std::string prefix = series + " ";
  size_t at = 0;
  while ((at = exposition.find(prefix, at)) != std::string::npos) {
    if (at == 0 || exposition[at - 1] == '\n') {
      const size_t end = exposition.find('\n', at);
      return std::stod(exposition.substr(at + prefix.size(), end - at - prefix.size()));
    }
    at += prefix.size();
  }
  return std::nullopt;
}

class MetricsTest : public ServiceTest {
 protected:
  MetricsTest() : ServiceTest("met") {}
  void SetUp() override { StartService(); }

  // Ingests and queries that succeed and fail, and two unknown paths; returns the scrape after.
  std::string DriveTrafficAndScrape() {
    EXPECT_EQ(Call("POST", "/datasets/cpu/ingest", kIngestBody).status, 201);
    EXPECT_EQ(Call("POST", "/datasets/cpu/ingest", R"({"rows":"not an array"})").status, 400);
    EXPECT_EQ(Call("POST", "/datasets/nosuch-a1/ingest", "{not json").status, 400);
    EXPECT_EQ(Call("POST", "/datasets/cpu/query", "{" + std::string(kRange) + "}").status, 200);
    EXPECT_EQ(Call("POST", "/datasets/cpu/query",
                   "{" + std::string(kRange) + R"(,"downsample":{"intervalUnit":"fortnight"}})")
                  .status,
              400);
    EXPECT_EQ(Call("GET", "/no/such/path-1").status, 404);
    EXPECT_EQ(Call("GET", "/another/unknown-2").status, 404);
    RawResponse scrape = Call("GET", "/metrics");
    EXPECT_EQ(scrape.status, 200);
    EXPECT_EQ(scrape.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
    return scrape.body;
  }
};

TEST_F(MetricsTest, RequestCountersMoveWithBoundedLabels) {
  const std::string m = DriveTrafficAndScrape();

  EXPECT_EQ(Sample(m, R"(timestore_ingest_requests_total{dataset="cpu",result="success"})"), 1);
  EXPECT_EQ(Sample(m, R"(timestore_ingest_requests_total{dataset="cpu",result="failure"})"), 1);
  // A slug that names no dataset does not become a label value.
  EXPECT_EQ(Sample(m, R"(timestore_ingest_requests_total{dataset="_unknown",result="failure"})"),
            1);
  EXPECT_EQ(m.find("nosuch-a1"), std::string::npos);
  EXPECT_EQ(Sample(m, "timestore_ingest_duration_seconds_count"), 3);
  EXPECT_EQ(Sample(m, R"(timestore_ingest_rows_total)"), 2);

  EXPECT_EQ(
      Sample(m, R"(timestore_query_requests_total{dataset="cpu",mode="raw",result="success"})"), 1);
  EXPECT_EQ(Sample(m, R"(timestore_query_requests_total{dataset="cpu",mode="downsampled",)"
                      R"(result="failure"})"),
            1);
  EXPECT_EQ(Sample(m, "timestore_query_duration_seconds_count"), 1);
  EXPECT_TRUE(Sample(m, R"(timestore_query_partitions_total{decision="scanned"})").has_value());

  // Route labels are patterns; unknown paths share one label value.
  EXPECT_EQ(Sample(m, R"(timestore_http_requests_total{method="POST",)"
                      R"(route="/datasets/:datasetSlug/ingest",status="201"})"),
            1);
  EXPECT_EQ(Sample(m, R"(timestore_http_requests_total{method="POST",)"
                      R"(route="/datasets/:datasetSlug/ingest",status="400"})"),
            2);
  EXPECT_EQ(Sample(m, R"(timestore_http_requests_total{method="GET",route="unmatched",)"
                      R"(status="404"})"),
            2);
  EXPECT_EQ(m.find("/datasets/cpu"), std::string::npos);
  EXPECT_EQ(m.find("/no/such"), std::string::npos);
  EXPECT_EQ(m.find("unknown-2"), std::string::npos);
  // The default buckets are prom-client's.
  EXPECT_TRUE(Sample(m, R"(timestore_http_request_duration_seconds_bucket{method="GET",)"
                        R"(route="unmatched",le="0.005"})")
                  .has_value());
  EXPECT_TRUE(Sample(m, R"(timestore_http_request_duration_seconds_bucket{method="GET",)"
                        R"(route="unmatched",le="10"})")
                  .has_value());

  // Catalog pool gauges, read at scrape time.
  const auto idle = Sample(m, R"(timestore_catalog_pool_connections{state="idle"})");
  const auto in_use = Sample(m, R"(timestore_catalog_pool_connections{state="in_use"})");
  const auto max = Sample(m, "timestore_catalog_pool_max");
  ASSERT_TRUE(idle && in_use && max) << m;
  EXPECT_EQ(*max, 10);
  // The requests above returned their connections: soon every connection is idle again (the
  // background audit writer may hold one while it stores the queries' events).
  EXPECT_TRUE(testing::Eventually(
      [&] {
        const std::string again = Call("GET", "/metrics").body;
        return Sample(again, R"(timestore_catalog_pool_connections{state="idle"})").value_or(0) >=
               1;
      },
      std::chrono::seconds(5)));
  EXPECT_GE(*in_use, 0);
  EXPECT_LE(*idle + *in_use, *max);

  // Process gauges.
  const auto rss = Sample(m, "timestore_process_resident_memory_bytes");
  const auto fds = Sample(m, "timestore_process_open_fds");
  const auto started = Sample(m, "timestore_process_start_time_seconds");
  ASSERT_TRUE(rss && fds && started) << m;
  EXPECT_GT(*rss, 1 << 20);
  EXPECT_GT(*fds, 3);
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_LE(*started, now);
  EXPECT_GT(*started, now - 24 * 3600);
}

TEST_F(MetricsTest, PromtoolAcceptsTheExposition) {
  const std::string m = DriveTrafficAndScrape();
  if (testing::RunCommand({"/bin/sh", "-c", "command -v promtool"}).first != 0) {
    GTEST_SKIP() << "promtool not installed (Debian package `prometheus`, see "
                    "scripts/bootstrap.sh): the exposition was not checked";
  }
  const std::string path = (storage_.path() / "metrics.txt").string();
  std::ofstream(path) << m;
  const auto [code, output] =
      testing::RunCommand({"/bin/sh", "-c", "promtool check metrics < '" + path + "'"});
  EXPECT_EQ(code, 0) << output;
  EXPECT_EQ(output, "") << output;  // promtool prints lint problems even when it exits 0
}

}  // namespace
}  // namespace timestore::app
