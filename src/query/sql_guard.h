// The first wall of the /sql/read sandbox: CheckReadOnlySql parses caller SQL with DuckDB's own
// parser (json_serialize_sql) and accepts it only when it is one read-only query over the dataset
// views timestore."<slug>" and the tables timestore_runtime.{datasets,partitions,columns}. The
// second wall - running it in a locked-down DuckDB instance - is separate. Stateless functions;
// thread-safe as long as each thread passes its own parser Connection.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "duck/connection.h"
#include "duck/prepared_statement.h"

namespace timestore::query {

// A subquery `SELECT <key>, max(<column>) FROM timestore."<slug>" GROUP BY <key>` with nothing else
// (no WHERE, HAVING, QUALIFY, DISTINCT, ORDER BY, LIMIT, sample, time travel; any aliases): when
// <column> is the dataset's time column, the rows at the last instant of each <key> give the same
// answer as all rows (the SQL runtime then reads the last-value table instead).
struct LastValueCandidate {
  std::string slug;
  std::string key_column;     // as written
  std::string max_column;     // as written
  size_t table_location = 0;  // byte offset of the table reference in the SQL text
};

// What an accepted statement reads, for the caller to resolve (and authorize) before running it.
struct GuardedStatement {
  // Slugs referenced as timestore."<slug>"; unique, sorted.
  std::vector<std::string> dataset_views;
  // Tables referenced in timestore_runtime, lowercase: of "datasets", "partitions", "columns";
  // unique, sorted.
  std::vector<std::string> runtime_tables;
  // Columns compared with constants by `=` or IN anywhere in the statement (the last part of the
  // name as written, unique, in the order met): a hint for the read layout (series copies), never
  // a statement about the answer.
  std::vector<std::string> equality_columns;
  // Subqueries of the last-value shape, in the order met.
  std::vector<LastValueCandidate> last_value_candidates;
};

// Longest SQL text accepted, in bytes.
inline constexpr size_t kMaxSqlBytes = size_t{1} << 20;
// Deepest syntax tree accepted, in JSON nesting levels of json_serialize_sql's output (a scalar
// subquery costs about 6, a binary operator 2). Bounds the recursion of the checker.
inline constexpr size_t kMaxSyntaxTreeDepth = 1000;

// Parses `sql` through `parser` - a plain connection of an in-memory DuckDB used for nothing else
// (the statement is parsed, never bound or run) - and accepts it only when it is exactly one SELECT
// (WITH, set operations, VALUES, FROM-first and TABLE forms included; `?`/`$n` parameters allowed)
// whose tables are timestore."<slug>" (schema case-insensitive, slug as written and valid),
// timestore_runtime.{datasets,partitions,columns} (case-insensitive) or CTEs in scope, whose table
// functions are range, generate_series or unnest, and which calls no denied function (see
// sql_guard.cc) and no function qualified with a schema other than main or with a catalog.
// Everything else is kInvalidArgument with a message for the caller that names the offending
// statement, table or function. A failure of the parser connection itself keeps its code.
common::Result<GuardedStatement> CheckReadOnlySql(duck::Connection& parser, std::string_view sql);

// The statement CheckReadOnlySql runs on its parser connection; prepared once per connection, it
// saves the preparation on every check.
common::Result<duck::PreparedStatement> PrepareSqlSerializer(duck::Connection& parser);
// CheckReadOnlySql with the serializer prepared on the parser connection.
common::Result<GuardedStatement> CheckReadOnlySql(duck::PreparedStatement& serializer,
                                                  std::string_view sql);

}  // namespace timestore::query
