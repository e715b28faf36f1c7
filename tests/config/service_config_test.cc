#include "config/service_config.h"

#include <cstdint>
#include <map>
#include <utility>

#include <gtest/gtest.h>

namespace timestore::config {
namespace {

EnvLookup FakeEnv(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

common::Result<ServiceConfig> Load(std::map<std::string, std::string> vars) {
  return LoadServiceConfig(FakeEnv(std::move(vars)), "/srv/app");
}

TEST(ServiceConfigTest, EmptyEnvironmentGivesTheOriginalDefaults) {
  auto c = Load({});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->http.host, "127.0.0.1");
  EXPECT_EQ(c->http.port, 4100);
  EXPECT_EQ(c->postgres.url, "postgres://apphub:apphub@127.0.0.1:5432/apphub");
  EXPECT_EQ(c->postgres.schema, "timestore");
  EXPECT_EQ(c->storage.driver, StorageDriver::kLocal);
  EXPECT_EQ(c->storage.root, "/srv/app/data/timestore");
  EXPECT_EQ(c->storage.s3_bucket, "timestore-data");
  EXPECT_EQ(c->log_level, common::LogLevel::kInfo);
  EXPECT_EQ(c->http.body_limit_bytes, 64u << 20);
}

TEST(ServiceConfigTest, DatabaseUrlFallsBackToDatabaseUrlVariable) {
  EXPECT_EQ(Load({{"DATABASE_URL", "postgres://a:b@h:1/d"}})->postgres.url, "postgres://a:b@h:1/d");
  EXPECT_EQ(Load({{"DATABASE_URL", "postgres://a:b@h:1/d"},
                  {"TIMESTORE_DATABASE_URL", "postgresql://x@y/z"}})
                ->postgres.url,
            "postgresql://x@y/z");
}

TEST(ServiceConfigTest, ValuesAreParsedAndRelativeRootIsAnchored) {
  auto c = Load({{"TIMESTORE_HOST", "0.0.0.0"},
                 {"TIMESTORE_PORT", "8080"},
                 {"TIMESTORE_PG_SCHEMA", "ts_tenant_1"},
                 {"TIMESTORE_STORAGE_DRIVER", "S3"},
                 {"TIMESTORE_STORAGE_ROOT", "var/ts"},
                 {"TIMESTORE_S3_BUCKET", "my-bucket"},
                 {"TIMESTORE_LOG_LEVEL", "debug"},
                 {"TIMESTORE_PG_POOL_MAX", "3"},
                 {"TIMESTORE_HTTP_HEADER_TIMEOUT_MS", "250"}});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->http.host, "0.0.0.0");
  EXPECT_EQ(c->http.port, 8080);
  EXPECT_EQ(c->postgres.schema, "ts_tenant_1");
  EXPECT_EQ(c->storage.driver, StorageDriver::kS3);
  EXPECT_EQ(c->storage.root, "/srv/app/var/ts");
  EXPECT_EQ(c->storage.s3_bucket, "my-bucket");
  EXPECT_EQ(c->log_level, common::LogLevel::kDebug);
  EXPECT_EQ(c->postgres.pool_max, 3);
  EXPECT_EQ(c->http.header_timeout.count(), 250);
}

TEST(ServiceConfigTest, IngestVariablesAreParsed) {
  auto c = Load({{"TIMESTORE_WRITE_FORMAT", "DuckDB"},
                 {"TIMESTORE_INGEST_GROUP_COMMIT_MS", "0"},
                 {"TIMESTORE_INGEST_FLUSH_CONCURRENCY", "3"},
                 {"TIMESTORE_INGEST_MAX_ROWS", "10"},
                 {"TIMESTORE_INGEST_MAX_SMALL_PARTITIONS", "0"},
                 {"TIMESTORE_FAULT_INJECTION", "after_commit"}});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->ingest.write_format, WriteFormat::kDuckdb);
  EXPECT_EQ(c->ingest.group_commit_window.count(), 0);
  EXPECT_EQ(c->ingest.flush_concurrency, 3);
  EXPECT_EQ(c->ingest.max_rows_per_request, 10);
  EXPECT_EQ(c->ingest.max_small_partitions, 0);
  EXPECT_EQ(c->ingest.fault_injection_point, "after_commit");
  EXPECT_EQ(Load({})->ingest.write_format, WriteFormat::kParquet);
}

TEST(ServiceConfigTest, S3VariablesAreParsed) {
  auto c = Load({{"TIMESTORE_S3_ENDPOINT", "http://127.0.0.1:9000"},
                 {"TIMESTORE_S3_REGION", "eu-west-1"},
                 {"TIMESTORE_S3_PREFIX", "tenant-a/"},
                 {"TIMESTORE_S3_ACCESS_KEY_ID", "AKIA"},
                 {"TIMESTORE_S3_SECRET_ACCESS_KEY", "secret"},
                 {"TIMESTORE_S3_FORCE_PATH_STYLE", "false"}});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->storage.s3_endpoint, "http://127.0.0.1:9000");
  EXPECT_EQ(c->storage.s3_region, "eu-west-1");
  EXPECT_EQ(c->storage.s3_prefix, "tenant-a/");
  EXPECT_EQ(c->storage.s3_access_key_id, "AKIA");
  EXPECT_EQ(c->storage.s3_secret_access_key, "secret");
  EXPECT_FALSE(c->storage.s3_force_path_style);
  EXPECT_EQ(Load({})->storage.s3_region, "us-east-1");
  EXPECT_EQ(Load({})->storage.cache_dir, "/srv/app/data/cache");
  EXPECT_EQ(Load({{"TIMESTORE_CACHE_DIR", "c"}, {"TIMESTORE_CACHE_MAX_BYTES", "1024"}})
                ->storage.cache_dir,
            "/srv/app/c");
  EXPECT_TRUE(Load({})->storage.s3_force_path_style);
}

TEST(ServiceConfigTest, AuditVariablesAreParsed) {
  EXPECT_EQ(Load({})->audit.ttl_days, 7);
  EXPECT_EQ(Load({})->audit.cleanup_interval, std::chrono::seconds(3600));
  auto c = Load(
      {{"TIMESTORE_AUDIT_TTL_DAYS", "30"}, {"TIMESTORE_AUDIT_CLEANUP_INTERVAL_SECONDS", "60"}});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->audit.ttl_days, 30);
  EXPECT_EQ(c->audit.cleanup_interval, std::chrono::seconds(60));
}

TEST(ServiceConfigTest, ReadAuditQueueVariablesAreParsed) {
  EXPECT_EQ(Load({})->audit.read_queue, 10'000);
  EXPECT_EQ(Load({})->audit.read_batch, 500);
  EXPECT_EQ(Load({})->audit.read_shutdown_grace, std::chrono::milliseconds(10'000));
  auto c = Load({{"TIMESTORE_AUDIT_READ_QUEUE", "0"},
                 {"TIMESTORE_AUDIT_READ_BATCH", "5000"},
                 {"TIMESTORE_AUDIT_READ_SHUTDOWN_GRACE_MS", "250"}});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->audit.read_queue, 0);
  EXPECT_EQ(c->audit.read_batch, 5000);
  EXPECT_EQ(c->audit.read_shutdown_grace, std::chrono::milliseconds(250));
}

TEST(ServiceConfigTest, CompactionMemoryLimitTakesBytesOrAUnit) {
  EXPECT_EQ(Load({})->lifecycle.compaction_memory_limit_bytes, int64_t{256} << 20);
  const std::pair<std::string, int64_t> cases[] = {
      {"134217728", int64_t{128} << 20}, {"512MiB", int64_t{512} << 20},
      {"512mib", int64_t{512} << 20},    {"100MB", 100'000'000},
      {"2 GiB", int64_t{2} << 30},       {"1GB", 1'000'000'000},
      {"65536KiB", int64_t{64} << 20},   {"67108864B", int64_t{64} << 20}};
  for (const auto& [text, bytes] : cases) {
    auto c = Load({{"TIMESTORE_COMPACTION_MEMORY_LIMIT", text}});
    ASSERT_TRUE(c.ok()) << text << ": " << c.status().ToString();
    EXPECT_EQ(c->lifecycle.compaction_memory_limit_bytes, bytes) << text;
  }
}

TEST(ServiceConfigTest, EmptyValueCountsAsUnset) {
  EXPECT_EQ(Load({{"TIMESTORE_PORT", ""}, {"TIMESTORE_LOG_LEVEL", "  "}})->http.port, 4100);
}

struct BadValue {
  std::string variable;
  std::string value;
  std::string expected_fragment;
};

void PrintTo(const BadValue& bad, std::ostream* os) {
  *os << bad.variable << "='" << bad.value << "'";
}

class ServiceConfigRejectTest : public ::testing::TestWithParam<BadValue> {};

TEST_P(ServiceConfigRejectTest, InvalidValueNamesTheVariableAndWhatIsAccepted) {
  const BadValue& bad = GetParam();
  auto c = Load({{bad.variable, bad.value}});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), common::StatusCode::kInvalidArgument);
  EXPECT_EQ(c.status().message().rfind(bad.variable + ": '", 0), 0u) << c.status().message();
  EXPECT_NE(c.status().message().find(bad.expected_fragment), std::string::npos)
      << c.status().message();
}

INSTANTIATE_TEST_SUITE_P(
    Variables, ServiceConfigRejectTest,
    ::testing::Values(BadValue{"TIMESTORE_PORT", "abc", "0 to 65535"},
                      BadValue{"TIMESTORE_PORT", "65536", "0 to 65535"},
                      BadValue{"TIMESTORE_PORT", "80x", "0 to 65535"},
                      BadValue{"TIMESTORE_STORAGE_DRIVER", "ftp", "local, s3"},
                      BadValue{"TIMESTORE_LOG_LEVEL", "loud", "trace, debug, info, warn, error"},
                      BadValue{"TIMESTORE_PG_SCHEMA", "Bad-Schema", "lowercase identifier"},
                      BadValue{"TIMESTORE_PG_SCHEMA", "pg_catalog", "lowercase identifier"},
                      BadValue{"TIMESTORE_DATABASE_URL", "mysql://x", "postgres://"},
                      BadValue{"TIMESTORE_PG_POOL_MAX", "0", "1 to 1000"},
                      BadValue{"TIMESTORE_HTTP_BODY_LIMIT_BYTES", "-5", "integer"},
                      BadValue{"TIMESTORE_S3_BUCKET", "A_B", "lowercase"},
                      BadValue{"TIMESTORE_HOST", "bad host", "host name"},
                      BadValue{"TIMESTORE_WRITE_FORMAT", "csv", "duckdb, parquet"},
                      BadValue{"TIMESTORE_INGEST_FLUSH_CONCURRENCY", "0", "1 to 64"},
                      BadValue{"TIMESTORE_INGEST_GROUP_COMMIT_MS", "-1", "integer"},
                      BadValue{"TIMESTORE_FAULT_INJECTION", "later", "after_put, after_commit"},
                      BadValue{"TIMESTORE_S3_ENDPOINT", "127.0.0.1:9000", "http:// or https://"},
                      BadValue{"TIMESTORE_S3_FORCE_PATH_STYLE", "maybe", "true or false"},
                      BadValue{"TIMESTORE_CACHE_MAX_BYTES", "lots", "integer"},
                      BadValue{"TIMESTORE_AUDIT_TTL_DAYS", "0", "1 to 3650"},
                      BadValue{"TIMESTORE_AUDIT_CLEANUP_INTERVAL_SECONDS", "0", "1 to"},
                      BadValue{"TIMESTORE_AUDIT_READ_QUEUE", "-1", "0 to 10000000"},
                      BadValue{"TIMESTORE_AUDIT_READ_BATCH", "5001", "1 to 5000"},
                      BadValue{"TIMESTORE_AUDIT_READ_SHUTDOWN_GRACE_MS", "soon", "integer"},
                      BadValue{"TIMESTORE_COMPACTION_MEMORY_LIMIT", "lots", "MiB"},
                      BadValue{"TIMESTORE_COMPACTION_MEMORY_LIMIT", "32MiB", "from 67108864"},
                      BadValue{"TIMESTORE_COMPACTION_MEMORY_LIMIT", "256 TB", "KiB"},
                      BadValue{"TIMESTORE_COMPACTION_MEMORY_LIMIT", "-1GiB", "size"},
                      BadValue{"TIMESTORE_COMPACTION_MEMORY_LIMIT", "99999999999GiB", "size"}),
    [](const ::testing::TestParamInfo<BadValue>& info) {
      return info.param.variable + "_" + std::to_string(info.index);
    });

TEST(ServiceConfigTest, RedactDatabaseUrlHidesThePassword) {
  EXPECT_EQ(RedactDatabaseUrl("postgres://user:secret@host:5432/db"),
            "postgres://user:***@host:5432/db");
  EXPECT_EQ(RedactDatabaseUrl("postgres://host/db"), "postgres://host/db");
}

}  // namespace
}  // namespace timestore::config
