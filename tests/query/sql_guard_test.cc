#include "query/sql_guard.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "duck/connection.h"
#include "duck/database.h"

namespace timestore::query {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class SqlGuardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = duck::Database::Open(":memory:", {});
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_.emplace(std::move(db).value());
    auto connection = duck::Connection::Open(*db_);
    ASSERT_TRUE(connection.ok()) << connection.status().ToString();
    parser_.emplace(std::move(connection).value());
  }

  common::Result<GuardedStatement> Check(std::string_view sql) {
    return CheckReadOnlySql(*parser_, sql);
  }

  // Asserts that `sql` is refused with kInvalidArgument and a message containing `fragment`.
  void ExpectRejected(std::string_view sql, std::string_view fragment) {
    SCOPED_TRACE(std::string(sql.substr(0, 200)));
    auto result = Check(sql);
    ASSERT_FALSE(result.ok()) << "accepted";
    EXPECT_EQ(result.status().code(), common::StatusCode::kInvalidArgument)
        << result.status().ToString();
    EXPECT_THAT(result.status().message(), HasSubstr(std::string(fragment)));
  }

  std::optional<duck::Database> db_;
  std::optional<duck::Connection> parser_;
};

std::string Repeat(std::string_view text, int times) {
  std::string out;
  for (int i = 0; i < times; ++i) out.append(text);
  return out;
}

// ---- last-value candidates --------------------------------------------------------------------

TEST_F(SqlGuardTest, LastValueShapeIsFoundWithItsTableLocation) {
  const std::string sql =
      "SELECT c.* FROM timestore.cpu c JOIN (SELECT hostname, max(ts) AS m FROM timestore.cpu "
      "GROUP BY hostname) l ON c.hostname = l.hostname AND c.ts = l.m";
  auto result = Check(sql);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_EQ(result->last_value_candidates.size(), 1U);
  const LastValueCandidate& c = result->last_value_candidates[0];
  EXPECT_EQ(c.slug, "cpu");
  EXPECT_EQ(c.key_column, "hostname");
  EXPECT_EQ(c.max_column, "ts");
  EXPECT_EQ(c.table_location, sql.find("timestore.cpu GROUP"));

  // Aliases, quoting, qualified columns and the select list in any order are the same shape.
  for (const char* same :
       {"SELECT max(\"ts\"), h.\"Host\" FROM \"TIMESTORE\".\"cpu\" AS h GROUP BY h.\"Host\"",
        "SELECT host AS k, max(x.ts) AS t, host FROM timestore.cpu x GROUP BY host"}) {
    auto r = Check(same);
    ASSERT_TRUE(r.ok()) << same << ": " << r.status().ToString();
    EXPECT_EQ(r->last_value_candidates.size(), 1U) << same;
  }
}

TEST_F(SqlGuardTest, AnythingBeyondTheLastValueShapeIsNotACandidate) {
  for (const char* other : {
           "SELECT host, max(ts) FROM timestore.cpu WHERE true GROUP BY host",
           "SELECT host, max(ts) FROM timestore.cpu GROUP BY host HAVING count(*) > 1",
           "SELECT host, max(ts) FROM timestore.cpu GROUP BY host ORDER BY host",
           "SELECT host, max(ts) FROM timestore.cpu GROUP BY host LIMIT 3",
           "SELECT DISTINCT host, max(ts) FROM timestore.cpu GROUP BY host",
           "SELECT host, max(ts) FROM timestore.cpu GROUP BY host, region",
           "SELECT host, region, max(ts) FROM timestore.cpu GROUP BY host",
           "SELECT host, max(DISTINCT ts) FROM timestore.cpu GROUP BY host",
           "SELECT host, max(ts) FILTER (WHERE v > 1) FROM timestore.cpu GROUP BY host",
           "SELECT host, max(ts), max(v) FROM timestore.cpu GROUP BY host",
           "SELECT host, min(ts) FROM timestore.cpu GROUP BY host",
           "SELECT host FROM timestore.cpu GROUP BY host",
           "SELECT host, max(ts) + INTERVAL 1 SECOND FROM timestore.cpu GROUP BY host",
           "SELECT host, max(ts) FROM timestore.cpu c JOIN timestore.hosts h USING (host) GROUP BY "
           "host",
           "SELECT host, max(ts) FROM timestore.cpu GROUP BY ALL",
           "SELECT host, max(ts) FROM timestore.cpu TABLESAMPLE 10% GROUP BY host",
           "WITH x AS (SELECT 1) SELECT host, max(ts) FROM timestore.cpu GROUP BY host",
       }) {
    auto r = Check(other);
    ASSERT_TRUE(r.ok()) << other << ": " << r.status().ToString();
    EXPECT_THAT(r->last_value_candidates, IsEmpty()) << other;
  }
}

// ---- accepted -------------------------------------------------------------------------------

TEST_F(SqlGuardTest, PlainSelectOverDatasetReturnsSlug) {
  auto result = Check("SELECT ts, host, v FROM timestore.cpu WHERE v > 1 ORDER BY ts LIMIT 10");
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_THAT(result->dataset_views, ElementsAre("cpu"));
  EXPECT_THAT(result->runtime_tables, IsEmpty());
}

TEST_F(SqlGuardTest, QuotedSlugIsReturnedAsWritten) {
  auto result = Check(R"(SELECT * FROM timestore."cpu-2" AS c)");
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_THAT(result->dataset_views, ElementsAre("cpu-2"));
}

TEST_F(SqlGuardTest, SchemaNameMatchesCaseInsensitively) {
  auto result = Check(R"(SELECT * FROM TIMESTORE.cpu, "TimeStore".mem)");
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_THAT(result->dataset_views, ElementsAre("cpu", "mem"));
}

TEST_F(SqlGuardTest, JoinOfTwoDatasetsReturnsBothSlugsOnceSorted) {
  auto result = Check(
      "SELECT * FROM timestore.mem m JOIN timestore.cpu c ON m.ts = c.ts "
      "LEFT JOIN timestore.cpu c2 USING (ts) ASOF JOIN timestore.mem m2 USING (ts)");
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_THAT(result->dataset_views, ElementsAre("cpu", "mem"));
}

TEST_F(SqlGuardTest, RuntimeTablesAreReturnedLowercaseSorted) {
  auto result = Check(
      "SELECT * FROM timestore_runtime.partitions p JOIN timestore_runtime.DATASETS d "
      "ON p.dataset = d.slug, TIMESTORE_RUNTIME.columns");
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_THAT(result->dataset_views, IsEmpty());
  EXPECT_THAT(result->runtime_tables, ElementsAre("columns", "datasets", "partitions"));
}

TEST_F(SqlGuardTest, CteNamedLikeDatasetIsAccepted) {
  auto result = Check("WITH cpu AS (SELECT * FROM timestore.cpu WHERE v > 1) SELECT * FROM cpu");
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_THAT(result->dataset_views, ElementsAre("cpu"));
}

TEST_F(SqlGuardTest, CteSeesEarlierCtesAndOuterCtes) {
  auto result = Check(
      "WITH a AS (SELECT * FROM timestore.cpu), b AS MATERIALIZED (SELECT * FROM a) "
      "SELECT * FROM b WHERE v IN (SELECT v FROM a JOIN b USING (v))");
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_THAT(result->dataset_views, ElementsAre("cpu"));
}

TEST_F(SqlGuardTest, RecursiveCteIsAccepted) {
  auto result = Check(
      "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t WHERE n < 5) "
      "SELECT * FROM t");
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_THAT(result->dataset_views, IsEmpty());
}

// The guard matches CTE names case-insensitively because DuckDB binds them so: the query below
// runs against a database without any table t.
TEST_F(SqlGuardTest, CteNameMatchesCaseInsensitivelyLikeDuckDb) {
  const std::string sql = "WITH T AS (SELECT 42 AS v) SELECT v FROM t";
  auto result = Check(sql);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  auto rows = parser_->Query(sql);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(rows->GetInt64(0, 0), 42);
}

TEST_F(SqlGuardTest, SetOperationsCollectEverySide) {
  auto result = Check(
      "SELECT ts FROM timestore.a UNION SELECT ts FROM timestore.b "
      "INTERSECT SELECT ts FROM timestore.c EXCEPT ALL SELECT ts FROM timestore.d "
      "UNION ALL BY NAME SELECT slug FROM timestore_runtime.datasets");
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_THAT(result->dataset_views, ElementsAre("a", "b", "c", "d"));
  EXPECT_THAT(result->runtime_tables, ElementsAre("datasets"));
}

TEST_F(SqlGuardTest, SubqueriesInWhereSelectAndHavingAreCollected) {
  auto result = Check(
      "SELECT host, (SELECT max(v) FROM timestore.mem) FROM timestore.cpu "
      "WHERE host IN (SELECT host FROM timestore.hosts) AND EXISTS (SELECT 1 FROM timestore.x) "
      "GROUP BY host HAVING count(*) > (SELECT count(*) FROM timestore_runtime.partitions)");
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_THAT(result->dataset_views, ElementsAre("cpu", "hosts", "mem", "x"));
  EXPECT_THAT(result->runtime_tables, ElementsAre("partitions"));
}

TEST_F(SqlGuardTest, WindowFunctionsAreAccepted) {
  auto result = Check(
      "SELECT ts, avg(v) OVER (PARTITION BY host ORDER BY ts ROWS BETWEEN 5 PRECEDING AND "
      "CURRENT ROW), row_number() OVER w FROM timestore.cpu WINDOW w AS (ORDER BY ts) "
      "QUALIFY row_number() OVER w <= 3");
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_THAT(result->dataset_views, ElementsAre("cpu"));
}

TEST_F(SqlGuardTest, ParametersAreAccepted) {
  for (std::string_view sql : {"SELECT * FROM timestore.cpu WHERE host = ? AND v > ?",
                               "SELECT * FROM timestore.cpu WHERE host = $1 AND v > $2",
                               "SELECT * FROM timestore.cpu WHERE host = $host"}) {
    SCOPED_TRACE(sql);
    auto result = Check(sql);
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    EXPECT_THAT(result->dataset_views, ElementsAre("cpu"));
  }
}

TEST_F(SqlGuardTest, GeneratingTableFunctionsAreAccepted) {
  auto result = Check(
      "SELECT * FROM range(10) r, generate_series(1, 3) g, unnest([1, 2]) u, main.range(2) m");
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_THAT(result->dataset_views, IsEmpty());
}

TEST_F(SqlGuardTest, FromFirstAndTableSyntaxOverDatasetAreAccepted) {
  for (std::string_view sql : {"FROM timestore.cpu", "FROM timestore.cpu SELECT host WHERE v > 1",
                               "TABLE timestore.cpu"}) {
    SCOPED_TRACE(sql);
    auto result = Check(sql);
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    EXPECT_THAT(result->dataset_views, ElementsAre("cpu"));
  }
}

TEST_F(SqlGuardTest, ValuesListsAreAccepted) {
  for (std::string_view sql :
       {"SELECT * FROM (VALUES (1, 'a'), (2, 'b')) v(id, name)", "VALUES (1), (2)"}) {
    SCOPED_TRACE(sql);
    auto result = Check(sql);
    ASSERT_TRUE(result.ok()) << result.status().ToString();
  }
}

TEST_F(SqlGuardTest, OrdinaryExpressionsAreAccepted) {
  auto result = Check(
      "SELECT list_transform([1, 2], x -> x + 1), [x * 2 FOR x IN [1, 2]], {'a': 1}, "
      "MAP {'k': 1}, CAST(v AS INTEGER), v::VARCHAR, ts AT TIME ZONE 'UTC', "
      "date_trunc('hour', ts), now() - INTERVAL 1 HOUR, host LIKE 'a%', COLUMNS('v.*'), "
      "set_bit('0101'::BIT, 0, 1), count(*) FILTER (WHERE v > 0), "
      "CASE WHEN v > 1 THEN 'hi' ELSE 'lo' END "
      "FROM timestore.cpu GROUP BY ALL");
  ASSERT_TRUE(result.ok()) << result.status().ToString();
}

TEST_F(SqlGuardTest, UnpivotOverDatasetIsAccepted) {
  auto result = Check("SELECT * FROM (UNPIVOT timestore.cpu ON a, b INTO NAME k VALUE v)");
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_THAT(result->dataset_views, ElementsAre("cpu"));
}

TEST_F(SqlGuardTest, CommentsAndTrailingSemicolonAreAccepted) {
  auto result = Check("-- latest\n/* block */ SELECT * FROM timestore.cpu; -- done\n");
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_THAT(result->dataset_views, ElementsAre("cpu"));
}

// ---- rejected: statements ---------------------------------------------------------------------

TEST_F(SqlGuardTest, EmptyOrCommentOnlySqlIsRejected) {
  for (std::string_view sql : {"", "   \n\t", "-- only a comment", "/* x */", ";"}) {
    ExpectRejected(sql, "holds no statement");
  }
}

TEST_F(SqlGuardTest, SecondStatementIsRejected) {
  ExpectRejected("SELECT 1; SELECT 2", "only a single SELECT statement is allowed");
  ExpectRejected("SELECT 1; DROP TABLE x", "only a single SELECT statement is allowed");
}

TEST_F(SqlGuardTest, SecondStatementHiddenAfterCommentIsRejected) {
  ExpectRejected("SELECT 1 -- x\n; ATTACH 'x'", "only a single SELECT statement is allowed");
  ExpectRejected("SELECT 1 /* ; */; SELECT 2", "only a single SELECT statement is allowed");
}

TEST_F(SqlGuardTest, NonSelectStatementsAreRejected) {
  for (std::string_view sql : {
           "COPY (SELECT 1) TO '/tmp/x'",
           "COPY t FROM '/etc/passwd'",
           "ATTACH '/tmp/x.db'",
           "ATTACH '/tmp/x.db' AS x (READ_ONLY)",
           "DETACH x",
           "INSTALL httpfs",
           "LOAD httpfs",
           "SET threads=1",
           "SET enable_external_access = true",
           "RESET threads",
           "PRAGMA version",
           "CALL pragma_version()",
           "EXPORT DATABASE '/tmp/x'",
           "IMPORT DATABASE '/tmp/x'",
           "CREATE TABLE t AS SELECT 1",
           "CREATE VIEW v AS SELECT 1",
           "CREATE MACRO m() AS 1",
           "CREATE SECRET s (TYPE s3)",
           "INSERT INTO t VALUES (1)",
           "UPDATE t SET a = 1",
           "DELETE FROM t",
           "DROP TABLE t",
           "ALTER TABLE t ADD COLUMN b INT",
           "USE memory",
           "CHECKPOINT",
           "BEGIN",
           "COMMIT",
           "EXPLAIN SELECT 1",
           "EXPLAIN ANALYZE SELECT 1",
           "VACUUM",
           "PIVOT timestore.cpu ON host USING sum(v)",
           "PREPARE p AS SELECT 1",
           "EXECUTE p",
       }) {
    ExpectRejected(sql, "only a single SELECT statement is allowed");
  }
}

TEST_F(SqlGuardTest, SyntaxErrorIsRejectedWithParserMessage) {
  ExpectRejected("SELEC 1", "SQL syntax error: syntax error at or near \"SELEC\"");
}

TEST_F(SqlGuardTest, DescribeShowAndSummarizeAreRejected) {
  for (std::string_view sql :
       {"DESCRIBE timestore.cpu", "SHOW TABLES", "SHOW ALL TABLES", "SUMMARIZE timestore.cpu"}) {
    ExpectRejected(sql, "DESCRIBE, SHOW and SUMMARIZE are not allowed");
  }
}

TEST_F(SqlGuardTest, NulByteIsRejected) {
  ExpectRejected(std::string_view("SELECT 1\0; ATTACH 'x'", 21), "NUL byte");
}

TEST_F(SqlGuardTest, InvalidUtf8IsRejected) {
  auto result = Check("SELECT '\xff'");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), common::StatusCode::kInvalidArgument);
}

TEST_F(SqlGuardTest, OversizedSqlIsRejected) {
  ExpectRejected("SELECT 1 " + std::string(kMaxSqlBytes, ' '), "longer than");
}

// ---- rejected: tables -------------------------------------------------------------------------

TEST_F(SqlGuardTest, TablesOutsideAllowedSchemasAreRejected) {
  for (std::string_view name :
       {"main.anything", "secrets", "information_schema.tables", "pg_catalog.pg_class",
        "sqlite_master", "duckdb_settings", "duckdb_tables"}) {
    ExpectRejected("SELECT * FROM " + std::string(name),
                   "unknown table '" + std::string(name) +
                       "': only timestore.\"<dataset>\" views and timestore_runtime.* tables can "
                       "be queried");
  }
}

TEST_F(SqlGuardTest, FileNameAsTableIsRejected) {
  ExpectRejected("SELECT * FROM '/etc/passwd'", "unknown table '/etc/passwd'");
  ExpectRejected("FROM 'data/*.parquet'", "unknown table 'data/*.parquet'");
}

TEST_F(SqlGuardTest, DatasetWithDatabaseNameIsRejected) {
  for (std::string_view name : {"other.timestore.cpu", "memory.main.t", "temp.main.t"}) {
    ExpectRejected("SELECT * FROM " + std::string(name),
                   "unknown table '" + std::string(name) + "': a database name cannot be given");
  }
}

TEST_F(SqlGuardTest, InvalidSlugIsRejected) {
  ExpectRejected("SELECT * FROM timestore.CPU", "unknown table 'timestore.CPU': dataset names");
  ExpectRejected(R"(SELECT * FROM timestore."../x")", "unknown table 'timestore.../x'");
  ExpectRejected(R"(SELECT * FROM timestore."x.csv")", "unknown table 'timestore.x.csv'");
  ExpectRejected("SELECT * FROM timestore." + Repeat("a", 65), "dataset names");
}

TEST_F(SqlGuardTest, UnknownRuntimeTableIsRejected) {
  ExpectRejected("SELECT * FROM timestore_runtime.secrets",
                 "unknown table 'timestore_runtime.secrets': the runtime tables are");
}

TEST_F(SqlGuardTest, FromFirstOverForbiddenTableIsRejected) {
  ExpectRejected("FROM main.secrets", "unknown table 'main.secrets'");
}

TEST_F(SqlGuardTest, CteReferencingForbiddenTableIsRejected) {
  ExpectRejected("WITH x AS (SELECT * FROM main.secrets) SELECT * FROM x",
                 "unknown table 'main.secrets'");
}

TEST_F(SqlGuardTest, NonRecursiveCteDoesNotSeeItself) {
  // Inside its own body `sqlite_master` is DuckDB's catalog view, not the CTE.
  ExpectRejected("WITH sqlite_master AS (SELECT * FROM sqlite_master) SELECT * FROM sqlite_master",
                 "unknown table 'sqlite_master'");
}

TEST_F(SqlGuardTest, EarlierCteDoesNotSeeLaterCte) {
  ExpectRejected("WITH a AS (SELECT * FROM b), b AS (SELECT 1) SELECT * FROM a",
                 "unknown table 'b'");
}

TEST_F(SqlGuardTest, CteIsNotVisibleOutsideItsQuery) {
  ExpectRejected("SELECT * FROM (WITH a AS (SELECT 1) SELECT * FROM a) s, a", "unknown table 'a'");
  ExpectRejected("(WITH a AS (SELECT 1) SELECT * FROM a) UNION ALL SELECT * FROM a",
                 "unknown table 'a'");
}

TEST_F(SqlGuardTest, ForbiddenTableInsideTableFunctionArgumentIsRejected) {
  ExpectRejected("SELECT * FROM range((SELECT count(*) FROM main.secrets))",
                 "unknown table 'main.secrets'");
}

// ---- rejected: functions ----------------------------------------------------------------------

TEST_F(SqlGuardTest, FileAndInstanceTableFunctionsAreRejected) {
  for (std::string_view call : {
           "read_csv('/etc/passwd')",
           "read_csv_auto('/etc/passwd')",
           "read_text('/etc/passwd')",
           "read_blob('/etc/passwd')",
           "read_parquet('/x')",
           "parquet_scan('/x')",
           "parquet_metadata('/x')",
           "read_json('/x')",
           "read_json_auto('/x')",
           "read_ndjson_objects('/x')",
           "glob('/*')",
           "query('SELECT 1')",
           "query_table('t')",
           "duckdb_settings()",
           "duckdb_secrets()",
           "pragma_version()",
           "pragma_table_info('t')",
           "sniff_csv('/x')",
           "iceberg_scan('/x')",
           "delta_scan('/x')",
           "json_execute_serialized_sql('{}')",
           "which_secret('s3://x', 's3')",
           "checkpoint()",
           "sql_auto_complete('SEL')",
           "test_all_types()",
           "repeat_row(1, num_rows := 2)",
       }) {
    const std::string name(call.substr(0, call.find('(')));
    ExpectRejected("SELECT * FROM " + std::string(call),
                   "table function '" + name + "' is not allowed");
  }
}

// DuckDB's parser lowercases function names, even quoted ones.
TEST_F(SqlGuardTest, TableFunctionNameIsCaseInsensitive) {
  ExpectRejected("SELECT * FROM READ_CSV('/etc/passwd')", "table function 'read_csv'");
}

TEST_F(SqlGuardTest, QualifiedTableFunctionIsRejected) {
  ExpectRejected("SELECT * FROM pg_catalog.range(3)", "table function 'pg_catalog.range'");
  ExpectRejected("SELECT * FROM system.main.range(3)", "table function 'system.main.range'");
}

TEST_F(SqlGuardTest, DangerousScalarFunctionsAreRejected) {
  for (std::string_view call : {
           "getenv('HOME')",
           "current_setting('threads')",
           "current_database()",
           "current_schema()",
           "current_query()",
           "nextval('s')",
           "json_serialize_sql('SELECT 1')",
           "json_deserialize_sql('{}')",
           "read_csv('/etc/passwd')",
           "duckdb_extensions()",
           "enable_profiling()",
           "export_state(1)",
       }) {
    const std::string name(call.substr(0, call.find('(')));
    ExpectRejected("SELECT " + std::string(call), "function '" + name + "' is not allowed");
  }
}

TEST_F(SqlGuardTest, UnqualifiedMetadataMacrosAreRejected) {
  // pg_catalog's macros resolve without a schema and read duckdb_views(), duckdb_columns(), ...
  for (std::string_view call : {
           "pg_get_viewdef(1)",
           "pg_get_constraintdef(1)",
           "col_description(1, 1)",
           "obj_description(1, 'pg_class')",
           "has_table_privilege(1, 'select')",
           "get_block_size('memory')",
       }) {
    const std::string name(call.substr(0, call.find('(')));
    ExpectRejected("SELECT " + std::string(call), "function '" + name + "' is not allowed");
  }
  auto harmless = Check("SELECT pg_typeof(1), pg_size_pretty(1024), set_bit('0'::BIT, 0, 1)");
  EXPECT_TRUE(harmless.ok()) << harmless.status().ToString();
}

TEST_F(SqlGuardTest, FunctionNameIsCaseInsensitive) {
  ExpectRejected("SELECT GETENV('HOME')", "function 'getenv' is not allowed");
  ExpectRejected(R"(SELECT "GetEnv"('HOME'))", "function 'getenv' is not allowed");
}

TEST_F(SqlGuardTest, FunctionQualifiedWithOtherSchemaIsRejected) {
  ExpectRejected("SELECT pg_catalog.current_database()",
                 "function 'pg_catalog.current_database' is not allowed");
  ExpectRejected("SELECT pg_catalog.abs(1)", "function 'pg_catalog.abs' is not allowed");
  ExpectRejected("SELECT system.main.getenv('x')", "function 'system.main.getenv'");
}

TEST_F(SqlGuardTest, ReadCsvAsScalarInsideSubqueryIsRejected) {
  ExpectRejected("SELECT * FROM timestore.cpu WHERE host IN (SELECT read_csv('/etc/passwd'))",
                 "function 'read_csv' is not allowed");
}

TEST_F(SqlGuardTest, DeniedFunctionHiddenAnywhereIsRejected) {
  for (std::string_view sql : {
           "SELECT list_transform([1], x -> getenv('HOME'))",
           "SELECT * FROM timestore.cpu ORDER BY getenv('HOME')",
           "SELECT * FROM (VALUES (1), (getenv('HOME'))) v(x)",
           "VALUES (getenv('HOME'))",
           "SELECT count(*) FILTER (WHERE getenv('HOME') = '') FROM timestore.cpu",
           "SELECT * FROM timestore.cpu LIMIT length(getenv('HOME'))",
           "SELECT * FROM timestore.cpu QUALIFY getenv('HOME') = ''",
           "SELECT * FROM timestore.cpu a JOIN timestore.mem b ON getenv('HOME') = a.host",
           "SELECT host FROM timestore.cpu GROUP BY host, getenv('HOME')",
           "SELECT * FROM range(length(getenv('HOME')))",
           "WITH a AS (SELECT getenv('HOME')) SELECT * FROM a",
           "SELECT * FROM (UNPIVOT (SELECT getenv('HOME') AS h) ON h INTO NAME k VALUE v)",
           "SELECT COLUMNS(getenv('HOME')) FROM timestore.cpu",
           "SELECT string_agg(host ORDER BY getenv('HOME')) FROM timestore.cpu",
           "SELECT * FROM timestore.cpu WHERE host = ANY (SELECT getenv('HOME'))",
           "SELECT [getenv('HOME') FOR x IN [1]]",
       }) {
    ExpectRejected(sql, "function 'getenv' is not allowed");
  }
  // In a window frame, and in a subquery inside a CASE inside a window's ORDER BY.
  ExpectRejected(
      "SELECT sum(v) OVER (ORDER BY ts ROWS BETWEEN getenv('HOME')::INT PRECEDING AND "
      "CURRENT ROW) FROM timestore.cpu",
      "function 'getenv' is not allowed");
  ExpectRejected(
      "SELECT sum(v) OVER (PARTITION BY host ORDER BY CASE WHEN (SELECT getenv('HOME') = "
      "'x') THEN 1 END) FROM timestore.cpu",
      "function 'getenv' is not allowed");
}

// ---- rejected: depth --------------------------------------------------------------------------

TEST_F(SqlGuardTest, DeeplyNestedParenthesesAreRejectedWithoutCrash) {
  // DuckDB folds plain parentheses away; the expression depth limit still stops 5000 operators.
  auto parens = Check("SELECT " + Repeat("(", 5000) + "getenv('HOME')" + Repeat(")", 5000));
  ASSERT_FALSE(parens.ok());
  EXPECT_EQ(parens.status().code(), common::StatusCode::kInvalidArgument);
  auto negations = Check("SELECT " + Repeat("-(", 5000) + "1" + Repeat(")", 5000));
  ASSERT_FALSE(negations.ok());
  EXPECT_EQ(negations.status().code(), common::StatusCode::kInvalidArgument);
  // Past DuckDB's expression depth limit (1000) ...
  ExpectRejected("SELECT " + Repeat("1 + ", 3000) + "1", "nested too deeply");
  // ... and below it, but past the guard's tree depth limit.
  ExpectRejected("SELECT " + Repeat("abs(", 600) + "1" + Repeat(")", 600), "nested too deeply");
}

TEST_F(SqlGuardTest, DeeplyNestedSubqueriesAreRejectedWithoutCrash) {
  auto deep = Check("SELECT * FROM " + Repeat("(SELECT * FROM ", 5000) + "timestore.cpu" +
                    Repeat(")", 5000));
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.status().code(), common::StatusCode::kInvalidArgument);
  ExpectRejected("SELECT " + Repeat("(SELECT ", 300) + "1" + Repeat(")", 300), "nested too deeply");
}

TEST_F(SqlGuardTest, ModeratelyNestedSubqueriesAreAccepted) {
  auto result = Check("SELECT " + Repeat("(SELECT ", 50) + "1" + Repeat(")", 50));
  ASSERT_TRUE(result.ok()) << result.status().ToString();
}

}  // namespace
}  // namespace timestore::query
