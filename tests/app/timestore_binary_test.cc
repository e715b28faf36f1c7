// Tests of the `timestore` binary as users run it: exit codes, configuration errors, migrate,
// signals.

#include <gtest/gtest.h>

#include "catalog/catalog.h"
#include "catalog/migrations.h"
#include "harness/server_process.h"
#include "testing/raw_http_client.h"
#include "testing/subprocess.h"
#include "testing/test_env.h"

namespace timestore {
namespace {

using namespace std::chrono_literals;

std::map<std::string, std::string> BaseEnv(const std::string& schema) {
  return {{"TIMESTORE_DATABASE_URL", testing::PostgresUrl()},
          {"DATABASE_URL", "<unset>"},
          {"TIMESTORE_PG_SCHEMA", schema},
          {"TIMESTORE_PORT", "0"},
          {"TIMESTORE_STORAGE_ROOT", "/tmp/timestore-binary-test"},
          {"TIMESTORE_LOG_LEVEL", "info"}};
}

TEST(TimestoreBinaryTest, VersionAndHelp) {
  auto [code, out] = testing::RunCommand({TIMESTORE_BINARY, "version"});
  EXPECT_EQ(code, 0);
  EXPECT_EQ(out, "timestore 0.1.0\n");
  auto [help_code, help] = testing::RunCommand({TIMESTORE_BINARY, "--help"});
  EXPECT_EQ(help_code, 0);
  EXPECT_NE(help.find("serve"), std::string::npos);
  EXPECT_NE(help.find("migrate"), std::string::npos);
}

TEST(TimestoreBinaryTest, InvalidVariableExitsWithStatus2NamingIt) {
  struct Case {
    std::string variable, value, accepted;
  };
  for (const Case& c : {Case{"TIMESTORE_PORT", "abc", "0 to 65535"},
                        Case{"TIMESTORE_STORAGE_DRIVER", "ftp", "local, s3"},
                        Case{"TIMESTORE_LOG_LEVEL", "loud", "trace, debug, info"}}) {
    for (const char* sub : {"serve", "migrate"}) {
      auto env = BaseEnv("unused");
      env[c.variable] = c.value;
      auto [code, out] = testing::RunCommand({TIMESTORE_BINARY, sub}, env, 10s);
      EXPECT_EQ(code, 2) << c.variable << " " << sub << ": " << out;
      EXPECT_NE(out.find(c.variable + ": '" + c.value + "'"), std::string::npos) << out;
      EXPECT_NE(out.find(c.accepted), std::string::npos) << out;
    }
  }
}

TEST(TimestoreBinaryTest, ThreeConcurrentMigratesAgainstAnEmptySchemaAllSucceed) {
  const std::string schema = testing::UniqueName("bin");
  std::vector<std::unique_ptr<testing::Subprocess>> procs;
  procs.reserve(3);
  for (int i = 0; i < 3; ++i) {
    procs.push_back(std::make_unique<testing::Subprocess>(
        std::vector<std::string>{TIMESTORE_BINARY, "migrate"}, BaseEnv(schema)));
  }
  for (auto& p : procs) {
    EXPECT_EQ(p->Wait(60s), 0) << p->Output();
  }
  catalog::CatalogOptions o;
  o.url = testing::PostgresUrl();
  o.schema = schema;
  catalog::Catalog catalog(o);
  EXPECT_TRUE(catalog.CheckReady().ok());
  auto lease = catalog.pool().Acquire();
  ASSERT_TRUE(lease.ok());
  auto res = (*lease)->Exec(
      "SELECT (SELECT count(*) FROM schema_migrations), (SELECT count(*) FROM storage_targets)");
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->GetInt64(0, 0), catalog::LatestMigrationVersion());  // each applied once
  EXPECT_EQ(res->GetInt64(0, 1), 1);
}

TEST(TimestoreBinaryTest, MigrateFailsWithStatus1WhenTheDatabaseIsUnreachable) {
  auto env = BaseEnv("unused");
  env["TIMESTORE_DATABASE_URL"] = "postgres://x:y@127.0.0.1:1/z";
  auto [code, out] = testing::RunCommand({TIMESTORE_BINARY, "migrate"}, env, 20s);
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("unreachable"), std::string::npos) << out;
  EXPECT_EQ(out.find(":y@"), std::string::npos) << "password leaked: " << out;
}

TEST(TimestoreBinaryTest, ServeStopsGracefullyOnSigterm) {
  testing::TempDir dir;
  harness::ServerProcessOptions options;
  options.binary = TIMESTORE_BINARY;
  options.database_url = testing::PostgresUrl();
  options.pg_schema = testing::UniqueName("bin");
  options.storage_root = (dir.path() / "data").string();
  options.log_level = "info";
  options.log_path = (dir.path() / "serve.log").string();
  auto serve = harness::ServerProcess::Start(options, /*cleanup=*/nullptr);
  ASSERT_TRUE(serve.ok()) << serve.status().ToString();
  const uint16_t port = serve->port();
  testing::RawHttpClient client(port);
  auto health = client.Roundtrip("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(health.has_value());
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(serve->Stop(15s), 0) << serve->Log();  // SIGTERM
  EXPECT_NE(serve->Log().find(R"("msg":"shutting down","signal":"SIGTERM")"), std::string::npos);
  EXPECT_FALSE(testing::RawHttpClient(port).connected());
}

}  // namespace
}  // namespace timestore
