#include "duck/database.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "duck/connection.h"
#include "duck/test_database.h"
#include "testing/eventually.h"
#include "testing/test_env.h"

namespace timestore::duck {
namespace {

using common::StatusCode;
using ::testing::HasSubstr;

int64_t CountRows(Connection& conn, const std::string& table) {
  QueryResult r = ValueOrDie(conn.Query("SELECT count(*) FROM " + table), "count");
  return r.GetInt64(0, 0);
}

std::string Setting(Connection& conn, const std::string& name) {
  QueryResult r = ValueOrDie(conn.Query("SELECT current_setting('" + name + "')::VARCHAR"), name);
  return std::string(r.GetString(0, 0));
}

TEST(DatabaseTest, FileDatabaseKeepsRowsAcrossReopen) {
  testing::TempDir dir;
  const std::string path = (dir.path() / "a.duckdb").string();
  {
    TestDatabase t(path);
    ASSERT_TRUE(t.conn.Execute("CREATE TABLE t(a BIGINT); INSERT INTO t VALUES (1), (2)").ok());
  }
  EXPECT_TRUE(std::filesystem::exists(path));
  TestDatabase again(path);
  EXPECT_EQ(CountRows(again.conn, "t"), 2);
  EXPECT_EQ(again.db.path(), path);
}

TEST(DatabaseTest, ReadOnlyOpenRefusesInsert) {
  testing::TempDir dir;
  const std::string path = (dir.path() / "ro.duckdb").string();
  {
    TestDatabase t(path);
    ASSERT_TRUE(t.conn.Execute("CREATE TABLE t(a BIGINT); INSERT INTO t VALUES (1)").ok());
  }
  DatabaseOptions options;
  options.read_only = true;
  TestDatabase ro(path, options);
  EXPECT_TRUE(ro.db.read_only());
  EXPECT_EQ(CountRows(ro.conn, "t"), 1);
  common::Status status = ro.conn.Execute("INSERT INTO t VALUES (2)");
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("read-only mode"));
  EXPECT_EQ(CountRows(ro.conn, "t"), 1);
}

TEST(DatabaseTest, ReadOnlyOpenOfMissingFileFails) {
  testing::TempDir dir;
  DatabaseOptions options;
  options.read_only = true;
  auto db = Database::Open((dir.path() / "missing.duckdb").string(), options);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), StatusCode::kInternal);
  EXPECT_THAT(db.status().message(), HasSubstr("database does not exist"));
  EXPECT_THAT(db.status().message(), HasSubstr("missing.duckdb"));
}

TEST(DatabaseTest, OpenInMissingDirectoryFailsWithDuckDbMessage) {
  testing::TempDir dir;
  auto db = Database::Open((dir.path() / "no" / "such" / "x.duckdb").string());
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), StatusCode::kInternal);
  EXPECT_THAT(db.status().message(), HasSubstr("No such file or directory"));
}

TEST(DatabaseTest, UnknownOptionFailsWithDuckDbMessage) {
  DatabaseOptions options;
  options.extra = {{"no_such_option", "1"}};
  auto db = Database::Open(":memory:", options);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(db.status().message(), HasSubstr("not recognized: no_such_option"));
}

TEST(DatabaseTest, BadOptionValueIsInvalidArgument) {
  DatabaseOptions options;
  options.extra = {{"threads", "many"}};
  auto db = Database::Open(":memory:", options);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(db.status().message(), HasSubstr("threads"));
}

TEST(DatabaseTest, BadTimeZoneIsInvalidArgument) {
  DatabaseOptions options;
  options.time_zone = "Mars/Olympus_Mons";
  auto db = Database::Open(":memory:", options);
  ASSERT_FALSE(db.ok());
  EXPECT_THAT(db.status().message(), HasSubstr("Mars/Olympus_Mons"));
}

TEST(DatabaseTest, ExtraOptionsCannotReenableExtensionAutoloading) {
  for (const char* name : {"autoload_known_extensions", "AUTOINSTALL_KNOWN_EXTENSIONS"}) {
    DatabaseOptions options;
    options.extra = {{name, "true"}};
    auto db = Database::Open(":memory:", options);
    ASSERT_FALSE(db.ok()) << name;
    EXPECT_EQ(db.status().code(), StatusCode::kInvalidArgument) << name;
  }
}

TEST(DatabaseTest, OptionsAreApplied) {
  DatabaseOptions options;
  options.threads = 1;
  options.memory_limit = "256MB";
  options.extra = {{"default_order", "DESC"}};
  TestDatabase t(":memory:", options);
  EXPECT_EQ(Setting(t.conn, "threads"), "1");
  EXPECT_THAT(Setting(t.conn, "memory_limit"), HasSubstr("MiB"));
  EXPECT_EQ(Setting(t.conn, "default_order"), "DESC");
  EXPECT_EQ(Setting(t.conn, "autoinstall_known_extensions"), "false");
  EXPECT_EQ(Setting(t.conn, "autoload_known_extensions"), "false");
}

TEST(DatabaseTest, TimeZoneDefaultsToUtc) {
  TestDatabase t;
  EXPECT_EQ(Setting(t.conn, "TimeZone"), "UTC");
  QueryResult r = ValueOrDie(t.conn.Query("SELECT TIMESTAMPTZ '2024-03-01 12:00:00+02'::VARCHAR"),
                             "render timestamptz");
  EXPECT_EQ(r.GetString(0, 0), "2024-03-01 10:00:00+00");
}

// No httpfs, and DuckDB may not fetch it: the query fails at once instead of reaching the network.
TEST(DatabaseTest, S3PathFailsFastWithoutNetwork) {
  TestDatabase t;
  const auto start = std::chrono::steady_clock::now();
  auto r = t.conn.Query("SELECT * FROM 's3://bucket/x.parquet'");
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("Missing Extension Error"));
  EXPECT_THAT(r.status().message(), HasSubstr("httpfs"));
  EXPECT_LT(elapsed, std::chrono::seconds(2));
}

TEST(DatabaseTest, ConnectionsOfOneDatabaseShareItsData) {
  testing::TempDir dir;
  TestDatabase t((dir.path() / "shared.duckdb").string());
  Connection second = ValueOrDie(Connection::Open(t.db), "second connection");
  ASSERT_TRUE(t.conn.Execute("CREATE TABLE t(a BIGINT); INSERT INTO t VALUES (7)").ok());
  EXPECT_EQ(CountRows(second, "t"), 1);
  ASSERT_TRUE(second.Execute("INSERT INTO t VALUES (8)").ok());
  EXPECT_EQ(CountRows(t.conn, "t"), 2);
}

TEST(DatabaseTest, ConnectionKeepsTheInstanceAliveAfterTheDatabaseIsDestroyed) {
  std::optional<Connection> conn;
  {
    Database db = ValueOrDie(Database::Open(":memory:"), "open");
    conn.emplace(ValueOrDie(Connection::Open(db), "connect"));
    ASSERT_TRUE(conn->Execute("CREATE TABLE t(a BIGINT); INSERT INTO t VALUES (1)").ok());
  }
  EXPECT_EQ(CountRows(*conn, "t"), 1);
}

TEST(DatabaseTest, AttachedFileIsQueryableReadOnly) {
  testing::TempDir dir;
  const std::string other = (dir.path() / "other.duckdb").string();
  {
    TestDatabase t(other);
    ASSERT_TRUE(t.conn.Execute("CREATE TABLE m(v DOUBLE); INSERT INTO m VALUES (1.5), (2.5)").ok());
  }
  TestDatabase t;
  ASSERT_TRUE(t.conn.Execute("ATTACH '" + other + "' AS o (READ_ONLY)").ok());
  QueryResult r = ValueOrDie(t.conn.Query("SELECT sum(v) FROM o.m"), "sum");
  EXPECT_DOUBLE_EQ(r.GetDouble(0, 0), 4.0);
  common::Status insert = t.conn.Execute("INSERT INTO o.m VALUES (3)");
  EXPECT_EQ(insert.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(insert.message(), HasSubstr("read-only mode"));
}

TEST(DatabaseTest, MovedFromDatabaseIsSafeToDestroyAndReassign) {
  Database a = ValueOrDie(Database::Open(":memory:"), "open a");
  Database b = std::move(a);
  Database c = ValueOrDie(Database::Open(":memory:"), "open c");
  c = std::move(b);  // closes c's own instance
  a = std::move(c);  // a moved-from Database can be assigned to
  Connection conn = ValueOrDie(Connection::Open(a), "connect");
  EXPECT_TRUE(conn.Execute("SELECT 1").ok());
}

// DuckDB locks the file per process: another process holding it makes Open fail, retryably.
TEST(DatabaseTest, FileHeldByAnotherProcessIsUnavailable) {
  testing::TempDir dir;
  const std::string path = (dir.path() / "locked.duckdb").string();
  const std::string command = std::string(TIMESTORE_DUCK_LOCK_HOLDER) + " '" + path + "'";
  FILE* holder = popen(command.c_str(), "w");  // its stdin: closing it lets the holder exit
  ASSERT_NE(holder, nullptr);
  testing::Eventually([&] { return std::filesystem::exists(path + ".ready"); },
                      std::chrono::seconds(20));
  ASSERT_TRUE(std::filesystem::exists(path + ".ready")) << "lock holder did not start";

  auto db = Database::Open(path);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(db.status().message(), HasSubstr("Could not set lock on file"));
  DatabaseOptions read_only;
  read_only.read_only = true;
  EXPECT_EQ(Database::Open(path, read_only).status().code(), StatusCode::kUnavailable)
      << "readers cannot share a file with a writer in another process";

  EXPECT_EQ(pclose(holder), 0);
  EXPECT_TRUE(Database::Open(path).ok()) << "the lock goes with the process";
}

}  // namespace
}  // namespace timestore::duck
