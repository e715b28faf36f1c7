#include "app/service.h"

#include <gtest/gtest.h>

#include "testing/eventually.h"
#include "testing/raw_http_client.h"
#include "testing/subprocess.h"
#include "testing/test_env.h"
#include "testing/throwaway_service.h"

namespace timestore::app {
namespace {

using namespace std::chrono_literals;

config::ServiceConfig TestConfig(const std::string& database_url, const std::string& storage_root) {
  config::ServiceConfig c;
  c.http.port = 0;
  c.http.shutdown_grace = 2s;
  c.postgres.url = database_url;
  c.postgres.schema = testing::UniqueName("svc");
  c.postgres.connect_timeout = 2s;
  c.postgres.acquire_timeout = 2s;
  c.storage.root = storage_root;
  return c;
}

std::optional<testing::RawResponse> Get(uint16_t port, const std::string& path) {
  testing::RawHttpClient client(port);
  return client.Roundtrip("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
}

// Polls GET `path` until it answers `status` or `timeout` passes; returns the last status seen.
int WaitForStatus(uint16_t port, const std::string& path, int status,
                  std::chrono::milliseconds timeout) {
  int last = 0;
  testing::Eventually(
      [&] {
        auto r = Get(port, path);
        last = r ? r->status : 0;
        return last == status;
      },
      timeout, 100ms);
  return last;
}

TEST(ServiceTest, ServesHealthAndBecomesReadyAfterMigratingAFreshSchema) {
  testing::TempDir storage;
  config::ServiceConfig cfg = TestConfig(testing::PostgresUrl(), storage.path().string());
  Service service(cfg);
  ASSERT_TRUE(service.Start().ok());
  ASSERT_NE(service.port(), 0);

  auto health = Get(service.port(), "/health");
  ASSERT_TRUE(health.has_value());
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(health->body, R"({"status":"ok","version":"0.1.0"})");
  EXPECT_FALSE(health->Header("x-request-id").empty());

  EXPECT_EQ(WaitForStatus(service.port(), "/ready", 200, 10s), 200);
  auto ready = Get(service.port(), "/ready");
  EXPECT_EQ(ready->body, R"({"status":"ready"})");

  // The default storage target was registered from the configuration.
  catalog::Catalog catalog(CatalogOptionsFor(cfg.postgres));
  auto target = catalog.storage_targets().FindDefault();
  ASSERT_TRUE(target.ok() && target->has_value());
  EXPECT_EQ((*target)->kind, catalog::StorageKind::kLocal);
  EXPECT_EQ((*target)->name, "local:" + storage.path().string());

  auto missing = Get(service.port(), "/v1/nope");
  ASSERT_TRUE(missing.has_value());
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(missing->body,
            R"({"statusCode":404,"error":"Not Found","message":"Route GET:/v1/nope not found"})");
  EXPECT_EQ(Get(service.port(), "/v1/health")->status, 404);  // operational routes are root-only
  auto metrics = Get(service.port(), "/metrics");
  ASSERT_TRUE(metrics.has_value());
  EXPECT_NE(metrics->body.find(
                "timestore_http_requests_total{method=\"GET\",route=\"/health\",status=\"200\"} 1"),
            std::string::npos)
      << metrics->body;
  service.Stop();
  EXPECT_FALSE(testing::RawHttpClient(service.port()).connected());
}

TEST(ServiceTest, ReadyFollowsTheDatabaseThroughAnOutageWithoutARestart) {
  testing::ThrowawayService pg("pg_tmp.sh", "TIMESTORE_PG_URL");
  ASSERT_FALSE(pg.url().empty());
  testing::TempDir storage;
  Service service(TestConfig(pg.url(), storage.path().string()));
  ASSERT_TRUE(service.Start().ok());
  ASSERT_EQ(WaitForStatus(service.port(), "/ready", 200, 10s), 200);

  ASSERT_TRUE(pg.Pause());
  const auto outage_start = std::chrono::steady_clock::now();
  ASSERT_EQ(WaitForStatus(service.port(), "/ready", 503, 5s), 503);
  EXPECT_LT(std::chrono::steady_clock::now() - outage_start, 5s);
  auto down = Get(service.port(), "/ready");
  EXPECT_NE(down->body.find(R"("status":"unavailable","reason":"PostgreSQL at 127.0.0.1:)"),
            std::string::npos)
      << down->body;
  EXPECT_EQ(Get(service.port(), "/health")->status, 200);  // liveness is unaffected

  ASSERT_TRUE(pg.Resume());
  EXPECT_EQ(WaitForStatus(service.port(), "/ready", 200, 10s), 200);
}

TEST(ServiceTest, StartsWithoutTheDatabaseAndBecomesReadyWhenItAppears) {
  testing::ThrowawayService pg("pg_tmp.sh", "TIMESTORE_PG_URL");
  ASSERT_FALSE(pg.url().empty());
  ASSERT_TRUE(pg.Pause());

  testing::TempDir storage;
  Service service(TestConfig(pg.url(), storage.path().string()));
  ASSERT_TRUE(service.Start().ok());
  EXPECT_EQ(Get(service.port(), "/health")->status, 200);
  auto ready = Get(service.port(), "/ready");
  ASSERT_TRUE(ready.has_value());
  EXPECT_EQ(ready->status, 503);

  ASSERT_TRUE(pg.Resume());
  EXPECT_EQ(WaitForStatus(service.port(), "/ready", 200, 15s), 200);
}

TEST(ServiceTest, PortInUseFailsStartWithAStatus) {
  testing::TempDir storage;
  config::ServiceConfig cfg = TestConfig(testing::PostgresUrl(), storage.path().string());
  Service first(cfg);
  ASSERT_TRUE(first.Start().ok());
  cfg.http.port = first.port();
  Service second(cfg);
  common::Status st = second.Start();
  EXPECT_EQ(st.code(), common::StatusCode::kUnavailable);
  EXPECT_NE(st.message().find(std::to_string(first.port())), std::string::npos) << st.message();
}

}  // namespace
}  // namespace timestore::app
