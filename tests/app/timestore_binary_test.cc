// Tests of the `timestore` binary as users run it: exit codes, configuration errors, migrate,
// signals.
#include <regex>
#include <thread>

#include <gtest/gtest.h>
#include <signal.h>

#include "catalog/catalog.h"
#include "catalog/migrations.h"
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
  testing::Subprocess serve({TIMESTORE_BINARY, "serve"}, BaseEnv(testing::UniqueName("bin")));
  // The log line carries the bound port (TIMESTORE_PORT=0).
  uint16_t port = 0;
  const std::regex listening(R"re("msg":"timestore listening".*"port":(\d+))re");
  for (int i = 0; i < 200 && port == 0; ++i) {
    std::smatch m;
    const std::string out = serve.Output();
    if (std::regex_search(out, m, listening)) port = static_cast<uint16_t>(std::stoi(m[1]));
    std::this_thread::sleep_for(25ms);
  }
  ASSERT_NE(port, 0) << serve.Output();
  testing::RawHttpClient client(port);
  auto health = client.Roundtrip("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(health.has_value());
  EXPECT_EQ(health->status, 200);
  serve.Signal(SIGTERM);
  EXPECT_EQ(serve.Wait(15s), 0) << serve.Output();
  EXPECT_NE(serve.Output().find(R"("msg":"shutting down","signal":"SIGTERM")"), std::string::npos);
  EXPECT_FALSE(testing::RawHttpClient(port).connected());
}

}  // namespace
}  // namespace timestore
