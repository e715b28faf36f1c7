#include "query/sql_guard.h"

#include <algorithm>
#include <array>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include <simdjson.h>

#include "catalog/types.h"
#include "common/text.h"

namespace timestore::query {
namespace {

using common::InvalidArgument;
using common::Result;
using common::Status;

constexpr std::string_view kDatasetSchema = "timestore";
constexpr std::string_view kRuntimeSchema = "timestore_runtime";

// The runtime tables callers may read: metadata about their datasets, nothing else.
constexpr std::array<std::string_view, 3> kRuntimeTables = {"datasets", "partitions", "columns"};

// Table functions allowed in FROM: they only generate values. Every other table function reads
// files (read_*, parquet_*, glob), runs SQL text (query, query_table, json_execute_serialized_sql),
// reveals or changes the instance (duckdb_*, pragma_*, checkpoint, which_secret, *_logging), so
// the list is an allow-list.
constexpr std::array<std::string_view, 3> kAllowedTableFunctions = {"range", "generate_series",
                                                                    "unnest"};

// Functions denied anywhere in the tree (scalar, aggregate, window, table position). Most table
// functions in this list cannot bind as scalars, but naming them here keeps the message precise and
// the list honest if DuckDB adds scalar twins. Reasons: environment and settings (getenv,
// current_setting), SQL text run or parsed (query*, json_*_sql, sql_auto_complete), sequence state
// (nextval, currval), the instance's layout (current_database, current_schema(s), current_catalog,
// current_query*), checkpoints, secrets; and macros whose bodies read the instance's metadata
// through table functions the walk never sees: pg_catalog's *_description (duckdb_columns(), ...)
// resolve without a schema, and main's get_block_size reads pragma_database_size().
constexpr std::array<std::string_view, 29> kDeniedFunctions = {
    "getenv",
    "current_setting",
    "current_database",
    "current_catalog",
    "current_schema",
    "current_schemas",
    "current_query",
    "current_query_id",
    "nextval",
    "currval",
    "setval",
    "query",
    "query_table",
    "glob",
    "sniff_csv",
    "json_serialize_sql",
    "json_deserialize_sql",
    "json_execute_serialized_sql",
    "sql_auto_complete",
    "checkpoint",
    "force_checkpoint",
    "which_secret",
    "truncate_duckdb_logs",
    "arrow_scan",
    "seq_scan",
    "col_description",
    "obj_description",
    "shobj_description",
    "get_block_size",
};

// Name prefixes denied anywhere: file readers and writers (read_, parquet_, iceberg_, delta_,
// export_), instance introspection (duckdb_, pragma_, and pg_catalog's pg_* and has_*_privilege
// macros, which DuckDB resolves unqualified too: pg_get_viewdef shows a view's definition, that is
// the paths of the partition files), configuration and extensions (set_, load_, install_,
// enable_, disable_).
constexpr std::array<std::string_view, 14> kDeniedFunctionPrefixes = {
    "read_", "parquet_", "iceberg_", "delta_", "export_",  "duckdb_", "pragma_",
    "pg_",   "has_",     "set_",     "load_",  "install_", "enable_", "disable_",
};

// Harmless functions that a denied prefix would catch.
constexpr std::array<std::string_view, 3> kAllowedDespitePrefix = {"set_bit", "pg_typeof",
                                                                   "pg_size_pretty"};

// The query node types of the syntax tree (each may carry a WITH clause in "cte_map").
constexpr std::array<std::string_view, 4> kQueryNodeTypes = {"SELECT_NODE", "SET_OPERATION_NODE",
                                                             "RECURSIVE_CTE_NODE", "CTE_NODE"};

constexpr std::string_view kOnlySelect = "only a single SELECT statement is allowed";
constexpr std::string_view kAllowedTablesHint =
    "only timestore.\"<dataset>\" views and timestore_runtime.* tables can be queried";

template <size_t N>
bool Contains(const std::array<std::string_view, N>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

bool IsDeniedFunction(std::string_view lower_name) {
  if (Contains(kDeniedFunctions, lower_name)) return true;
  if (Contains(kAllowedDespitePrefix, lower_name)) return false;
  return std::any_of(kDeniedFunctionPrefixes.begin(), kDeniedFunctionPrefixes.end(),
                     [&](std::string_view prefix) { return lower_name.starts_with(prefix); });
}

// "a.b.c" from the non-empty parts.
std::string QualifiedName(std::string_view catalog, std::string_view schema,
                          std::string_view name) {
  std::string out;
  for (std::string_view part : {catalog, schema}) {
    if (part.empty()) continue;
    out.append(part);
    out.push_back('.');
  }
  out.append(name);
  return out;
}

Status UnexpectedTree(std::string_view what) {
  return common::Internal("unexpected json_serialize_sql output: " + std::string(what));
}

// A string member of `object`; "" when it is absent or null, an error when it has another type.
Result<std::string_view> StringMember(simdjson::dom::object object, std::string_view key) {
  simdjson::dom::element value;
  if (object.at_key(key).get(value) != simdjson::SUCCESS || value.is_null()) {
    return std::string_view();
  }
  std::string_view text;
  if (value.get_string().get(text) != simdjson::SUCCESS) {
    return UnexpectedTree("'" + std::string(key) + "' is not a string");
  }
  return text;
}

bool HasMember(simdjson::dom::object object, std::string_view key) {
  simdjson::dom::element value;
  return object.at_key(key).get(value) == simdjson::SUCCESS;
}

// The one column a COLUMN_REF names, when it is unqualified or qualified with `table` (the alias or
// name of the only table in FROM; empty: any table).
std::optional<std::string_view> ColumnOf(simdjson::dom::element expression,
                                         std::string_view table) {
  simdjson::dom::object ref;
  std::string_view cls;
  simdjson::dom::array names;
  if (expression.get(ref) != simdjson::SUCCESS ||
      ref.at_key("class").get(cls) != simdjson::SUCCESS || cls != "COLUMN_REF" ||
      ref.at_key("column_names").get(names) != simdjson::SUCCESS) {
    return std::nullopt;
  }
  std::vector<std::string_view> parts;
  for (simdjson::dom::element n : names) {
    std::string_view part;
    if (n.get(part) != simdjson::SUCCESS) return std::nullopt;
    parts.push_back(part);
  }
  if (parts.size() == 1) return parts[0];
  if (parts.size() == 2 && (table.empty() || common::EqualsIgnoreCase(parts[0], table))) {
    return parts[1];
  }
  return std::nullopt;
}

bool IsNullMember(simdjson::dom::object o, std::string_view key) {
  simdjson::dom::element v;
  return o.at_key(key).get(v) == simdjson::SUCCESS && v.is_null();
}

bool IsEmptyArrayMember(simdjson::dom::object o, std::string_view key) {
  simdjson::dom::array a;
  return o.at_pointer(key).get(a) == simdjson::SUCCESS && a.size() == 0;
}

// max(<column>) as a plain aggregate call (no FILTER, ORDER BY, DISTINCT, schema or catalog).
std::optional<std::string_view> MaxColumnOf(simdjson::dom::element expression,
                                            std::string_view table) {
  simdjson::dom::object call;
  std::string_view cls, name;
  simdjson::dom::array children;
  bool distinct = true;
  if (expression.get(call) != simdjson::SUCCESS ||
      call.at_key("class").get(cls) != simdjson::SUCCESS || cls != "FUNCTION" ||
      call.at_key("function_name").get(name) != simdjson::SUCCESS ||
      !common::EqualsIgnoreCase(name, "max") ||
      call.at_key("children").get(children) != simdjson::SUCCESS || children.size() != 1 ||
      call.at_key("distinct").get(distinct) != simdjson::SUCCESS || distinct ||
      !IsNullMember(call, "filter") || !IsEmptyArrayMember(call, "/order_bys/orders")) {
    return std::nullopt;
  }
  for (std::string_view key : {"schema", "catalog"}) {
    std::string_view v;
    if (call.at_key(key).get(v) == simdjson::SUCCESS && !v.empty() &&
        !common::EqualsIgnoreCase(v, "main")) {
      return std::nullopt;
    }
  }
  return ColumnOf(children.at(0), table);
}

bool IsConstant(simdjson::dom::element expression) {
  simdjson::dom::object o;
  std::string_view cls;
  return expression.get(o) == simdjson::SUCCESS &&
         o.at_key("class").get(cls) == simdjson::SUCCESS && cls == "CONSTANT";
}

// The column of `<column> = <constant>` (either side) or `<column> IN (<constants>)`.
std::optional<std::string_view> EqualityColumn(simdjson::dom::object expression,
                                               std::string_view type) {
  if (type == "COMPARE_EQUAL") {
    simdjson::dom::element left, right;
    if (expression.at_key("left").get(left) != simdjson::SUCCESS ||
        expression.at_key("right").get(right) != simdjson::SUCCESS) {
      return std::nullopt;
    }
    if (IsConstant(right)) return ColumnOf(left, {});
    if (IsConstant(left)) return ColumnOf(right, {});
    return std::nullopt;
  }
  simdjson::dom::array children;
  if (type != "COMPARE_IN" || expression.at_key("children").get(children) != simdjson::SUCCESS ||
      children.size() < 2) {
    return std::nullopt;
  }
  bool first = true;
  for (simdjson::dom::element child : children) {
    if (!first && !IsConstant(child)) return std::nullopt;
    first = false;
  }
  return ColumnOf(children.at(0), {});
}

// The LastValueCandidate a SELECT_NODE is, if it has that shape exactly.
std::optional<LastValueCandidate> MatchLastValueShape(simdjson::dom::object node) {
  simdjson::dom::object from;
  std::string_view from_type, schema, table, alias, handling;
  uint64_t location = 0;
  if (!IsEmptyArrayMember(node, "/modifiers") || !IsEmptyArrayMember(node, "/cte_map/map") ||
      !IsNullMember(node, "where_clause") || !IsNullMember(node, "having") ||
      !IsNullMember(node, "qualify") || !IsNullMember(node, "sample") ||
      node.at_key("aggregate_handling").get(handling) != simdjson::SUCCESS ||
      handling != "STANDARD_HANDLING" || node.at_key("from_table").get(from) != simdjson::SUCCESS ||
      from.at_key("type").get(from_type) != simdjson::SUCCESS || from_type != "BASE_TABLE" ||
      from.at_key("schema_name").get(schema) != simdjson::SUCCESS ||
      !common::EqualsIgnoreCase(schema, kDatasetSchema) ||
      from.at_key("table_name").get(table) != simdjson::SUCCESS ||
      !catalog::IsValidDatasetSlug(table) || !IsNullMember(from, "sample") ||
      !IsNullMember(from, "at_clause") || !IsEmptyArrayMember(from, "/column_name_alias") ||
      from.at_key("query_location").get(location) != simdjson::SUCCESS ||
      location == std::numeric_limits<uint64_t>::max()) {
    return std::nullopt;
  }
  std::string_view catalog_name;
  if (from.at_key("catalog_name").get(catalog_name) == simdjson::SUCCESS && !catalog_name.empty()) {
    return std::nullopt;
  }
  if (from.at_key("alias").get(alias) != simdjson::SUCCESS || alias.empty()) alias = table;
  simdjson::dom::array groups, select;
  if (node.at_key("group_expressions").get(groups) != simdjson::SUCCESS || groups.size() != 1 ||
      node.at_key("select_list").get(select) != simdjson::SUCCESS) {
    return std::nullopt;
  }
  const std::optional<std::string_view> key = ColumnOf(groups.at(0), alias);
  if (!key) return std::nullopt;
  std::optional<std::string_view> max_column;
  for (simdjson::dom::element item : select) {
    if (std::optional<std::string_view> c = ColumnOf(item, alias)) {
      if (!common::EqualsIgnoreCase(*c, *key)) return std::nullopt;
      continue;
    }
    std::optional<std::string_view> m = MaxColumnOf(item, alias);
    if (!m || (max_column && !common::EqualsIgnoreCase(*m, *max_column))) return std::nullopt;
    max_column = m;
  }
  if (!max_column) return std::nullopt;
  return LastValueCandidate{std::string(table), std::string(*key), std::string(*max_column),
                            static_cast<size_t>(location)};
}

// Walks one statement's syntax tree: every object and array member is visited, so that nothing
// hides where a structural walk would not look; table references, function calls and WITH scopes
// are recognized by their shape wherever they appear. Single use.
class TreeChecker {
 public:
  Status CheckStatement(simdjson::dom::element statement) { return Visit(statement, 0); }

  GuardedStatement Take() && {
    GuardedStatement statement;
    statement.dataset_views.assign(dataset_views_.begin(), dataset_views_.end());
    statement.runtime_tables.assign(runtime_tables_.begin(), runtime_tables_.end());
    statement.last_value_candidates = std::move(last_value_candidates_);
    statement.equality_columns = std::move(equality_columns_);
    return statement;
  }

 private:
  Status Visit(simdjson::dom::element element, size_t depth);
  Status VisitObject(simdjson::dom::object object, size_t depth);
  Status VisitQueryNode(simdjson::dom::object node, std::string_view type, size_t depth);
  Status CheckTableRef(simdjson::dom::object ref, std::string_view type);
  Status CheckBaseTable(simdjson::dom::object ref);
  Status CheckTableFunction(simdjson::dom::object ref);
  Status CheckFunction(simdjson::dom::object call);
  bool IsCteInScope(std::string_view lower_name) const {
    return std::find(cte_scope_.begin(), cte_scope_.end(), lower_name) != cte_scope_.end();
  }

  // Lowercase names of the CTEs visible at the node being visited (DuckDB matches CTE names
  // case-insensitively); each query node pops what it pushed.
  std::vector<std::string> cte_scope_;
  std::set<std::string> dataset_views_;
  std::set<std::string> runtime_tables_;
  std::vector<LastValueCandidate> last_value_candidates_;
  std::vector<std::string> equality_columns_;
};

Status TreeChecker::Visit(simdjson::dom::element element, size_t depth) {
  if (depth > kMaxSyntaxTreeDepth) {
    return InvalidArgument("the query is nested too deeply (more than " +
                           std::to_string(kMaxSyntaxTreeDepth) + " levels in its syntax tree)");
  }
  simdjson::dom::object object;
  if (element.get(object) == simdjson::SUCCESS) return VisitObject(object, depth);
  simdjson::dom::array array;
  if (element.get(array) == simdjson::SUCCESS) {
    for (simdjson::dom::element item : array) {
      TS_RETURN_IF_ERROR(Visit(item, depth + 1));
    }
  }
  return Status::Ok();
}

Status TreeChecker::VisitObject(simdjson::dom::object object, size_t depth) {
  // "type" is a string in nodes, table references and expressions, an object in constants.
  std::string_view type;
  if (object.at_key("type").get(type) != simdjson::SUCCESS) type = {};
  const bool is_expression = HasMember(object, "class");
  if (!is_expression && HasMember(object, "cte_map")) {
    if (!Contains(kQueryNodeTypes, type))
      return UnexpectedTree("query node type " + std::string(type));
    return VisitQueryNode(object, type, depth);
  }
  // Every table reference (and only a table reference or a query node) has a "sample" member.
  const bool is_table_ref = !is_expression && HasMember(object, "sample");
  if (is_table_ref) TS_RETURN_IF_ERROR(CheckTableRef(object, type));
  if (!is_table_ref || type != "BASE_TABLE") {
    // Fail closed on anything else that names a table (e.g. a new kind of table reference).
    for (std::string_view key : {"table_name", "schema_name", "catalog_name"}) {
      if (HasMember(object, key))
        return UnexpectedTree("'" + std::string(key) + "' outside a table");
    }
  }
  if (HasMember(object, "function_name")) TS_RETURN_IF_ERROR(CheckFunction(object));
  if (is_expression) {
    if (std::optional<std::string_view> column = EqualityColumn(object, type)) {
      if (std::find(equality_columns_.begin(), equality_columns_.end(), *column) ==
          equality_columns_.end()) {
        equality_columns_.emplace_back(*column);
      }
    }
  }
  for (auto [key, value] : object) {
    TS_RETURN_IF_ERROR(Visit(value, depth + 1));
  }
  return Status::Ok();
}

// Scoping (as DuckDB binds it): a CTE body sees the CTEs listed before it and those of enclosing
// queries; a recursive CTE (RECURSIVE_CTE_NODE) also sees its own name; the rest of the query sees
// all of its CTEs. A CTE_NODE (materialized CTE) repeats one CTE body in "query": it is checked
// with that CTE's scope.
Status TreeChecker::VisitQueryNode(simdjson::dom::object node, std::string_view type,
                                   size_t depth) {
  const size_t outer_scope = cte_scope_.size();
  TS_ASSIGN_OR_RETURN(std::string_view cte_node_name, StringMember(node, "cte_name"));
  const bool is_cte_node = type == "CTE_NODE";
  bool cte_node_query_checked = false;
  auto check_cte_node_query = [&]() -> Status {
    cte_node_query_checked = true;
    simdjson::dom::element query;
    if (node.at_key("query").get(query) != simdjson::SUCCESS)
      return UnexpectedTree("CTE_NODE query");
    return Visit(query, depth + 1);
  };

  simdjson::dom::array ctes;
  if (node.at_pointer("/cte_map/map").get(ctes) != simdjson::SUCCESS)
    return UnexpectedTree("cte_map");
  for (simdjson::dom::element entry : ctes) {
    std::string_view name;
    simdjson::dom::element body;
    if (entry.at_key("key").get(name) != simdjson::SUCCESS ||
        entry.at_key("value").get(body) != simdjson::SUCCESS) {
      return UnexpectedTree("cte_map entry");
    }
    if (is_cte_node && !cte_node_query_checked && common::EqualsIgnoreCase(name, cte_node_name)) {
      TS_RETURN_IF_ERROR(check_cte_node_query());
    }
    TS_RETURN_IF_ERROR(Visit(body, depth + 2));
    cte_scope_.push_back(common::ToLowerAscii(name));
  }
  if (is_cte_node && !cte_node_query_checked) {
    return UnexpectedTree("CTE_NODE names no CTE of its WITH clause");
  }
  if (type == "RECURSIVE_CTE_NODE") cte_scope_.push_back(common::ToLowerAscii(cte_node_name));
  if (type == "SELECT_NODE") {
    if (std::optional<LastValueCandidate> c = MatchLastValueShape(node)) {
      last_value_candidates_.push_back(std::move(*c));
    }
  }

  for (auto [key, value] : node) {
    if (key == "cte_map" || (is_cte_node && key == "query")) continue;
    TS_RETURN_IF_ERROR(Visit(value, depth + 1));
  }
  cte_scope_.resize(outer_scope);
  return Status::Ok();
}

Status TreeChecker::CheckTableRef(simdjson::dom::object ref, std::string_view type) {
  if (type == "BASE_TABLE") return CheckBaseTable(ref);
  if (type == "TABLE_FUNCTION") return CheckTableFunction(ref);
  // Containers whose children the walk checks: joins, subqueries, VALUES lists, PIVOT/UNPIVOT,
  // and the empty FROM of `SELECT 1`.
  if (type == "JOIN" || type == "SUBQUERY" || type == "EXPRESSION_LIST" || type == "PIVOT" ||
      type == "EMPTY") {
    return Status::Ok();
  }
  if (type == "SHOW_REF") return InvalidArgument("DESCRIBE, SHOW and SUMMARIZE are not allowed");
  return InvalidArgument("table reference of type " + std::string(type) + " is not allowed");
}

Status TreeChecker::CheckBaseTable(simdjson::dom::object ref) {
  TS_ASSIGN_OR_RETURN(std::string_view catalog, StringMember(ref, "catalog_name"));
  TS_ASSIGN_OR_RETURN(std::string_view schema, StringMember(ref, "schema_name"));
  TS_ASSIGN_OR_RETURN(std::string_view table, StringMember(ref, "table_name"));
  const std::string name = QualifiedName(catalog, schema, table);
  if (!catalog.empty()) {
    return InvalidArgument("unknown table '" + name + "': a database name cannot be given; " +
                           std::string(kAllowedTablesHint));
  }
  if (schema.empty()) {
    if (IsCteInScope(common::ToLowerAscii(table))) return Status::Ok();
    return InvalidArgument("unknown table '" + name + "': " + std::string(kAllowedTablesHint));
  }
  if (common::EqualsIgnoreCase(schema, kDatasetSchema)) {
    if (!catalog::IsValidDatasetSlug(table)) {
      return InvalidArgument(
          "unknown table '" + name +
          "': dataset names are 1-64 lowercase letters, digits, '-' and '_', starting with a "
          "letter or digit");
    }
    dataset_views_.emplace(table);
    return Status::Ok();
  }
  if (common::EqualsIgnoreCase(schema, kRuntimeSchema)) {
    std::string lower = common::ToLowerAscii(table);
    if (!Contains(kRuntimeTables, lower)) {
      return InvalidArgument("unknown table '" + name +
                             "': the runtime tables are timestore_runtime.datasets, "
                             "timestore_runtime.partitions and timestore_runtime.columns");
    }
    runtime_tables_.insert(std::move(lower));
    return Status::Ok();
  }
  return InvalidArgument("unknown table '" + name + "': " + std::string(kAllowedTablesHint));
}

Status TreeChecker::CheckTableFunction(simdjson::dom::object ref) {
  simdjson::dom::object call;
  if (ref.at_key("function").get(call) != simdjson::SUCCESS)
    return UnexpectedTree("table function");
  TS_ASSIGN_OR_RETURN(std::string_view name, StringMember(call, "function_name"));
  TS_ASSIGN_OR_RETURN(std::string_view schema, StringMember(call, "schema"));
  TS_ASSIGN_OR_RETURN(std::string_view catalog, StringMember(call, "catalog"));
  if (!Contains(kAllowedTableFunctions, common::ToLowerAscii(name)) || !catalog.empty() ||
      !(schema.empty() || common::EqualsIgnoreCase(schema, "main"))) {
    return InvalidArgument("table function '" + QualifiedName(catalog, schema, name) +
                           "' is not allowed: only range, generate_series and unnest can be "
                           "used in FROM");
  }
  return Status::Ok();
}

// A function may be qualified with main (DuckDB itself writes main.list_value for [1, 2]) but with
// no other schema and no catalog: pg_catalog and information_schema hold macros over the
// instance's metadata, and other schemas hold nothing a caller needs.
Status TreeChecker::CheckFunction(simdjson::dom::object call) {
  TS_ASSIGN_OR_RETURN(std::string_view name, StringMember(call, "function_name"));
  TS_ASSIGN_OR_RETURN(std::string_view schema, StringMember(call, "schema"));
  TS_ASSIGN_OR_RETURN(std::string_view catalog, StringMember(call, "catalog"));
  const std::string qualified = QualifiedName(catalog, schema, name);
  if (!catalog.empty() || !(schema.empty() || common::EqualsIgnoreCase(schema, "main"))) {
    return InvalidArgument("function '" + qualified +
                           "' is not allowed: functions cannot be qualified with a schema other "
                           "than main or with a database");
  }
  if (IsDeniedFunction(common::ToLowerAscii(name))) {
    return InvalidArgument("function '" + qualified + "' is not allowed");
  }
  return Status::Ok();
}

// The message of a json_serialize_sql error for the caller.
Status SerializeError(simdjson::dom::object root) {
  TS_ASSIGN_OR_RETURN(std::string_view type, StringMember(root, "error_type"));
  TS_ASSIGN_OR_RETURN(std::string_view message, StringMember(root, "error_message"));
  // Every statement but SELECT is refused by the serializer with this message.
  if (message.starts_with("Only SELECT statements"))
    return InvalidArgument(std::string(kOnlySelect));
  if (message.find("expression depth") != std::string_view::npos) {
    return InvalidArgument("the query is nested too deeply");
  }
  if (type == "parser") return InvalidArgument("SQL syntax error: " + std::string(message));
  return InvalidArgument("invalid SQL: " + std::string(message));
}

}  // namespace

Result<duck::PreparedStatement> PrepareSqlSerializer(duck::Connection& parser) {
  return parser.Prepare("SELECT json_serialize_sql(?::VARCHAR)");
}

Result<GuardedStatement> CheckReadOnlySql(duck::Connection& parser, std::string_view sql) {
  TS_ASSIGN_OR_RETURN(duck::PreparedStatement serialize, PrepareSqlSerializer(parser));
  return CheckReadOnlySql(serialize, sql);
}

Result<GuardedStatement> CheckReadOnlySql(duck::PreparedStatement& serialize,
                                          std::string_view sql) {
  if (sql.size() > kMaxSqlBytes) {
    return InvalidArgument("the SQL text is longer than " + std::to_string(kMaxSqlBytes) +
                           " bytes");
  }
  if (sql.find('\0') != std::string_view::npos) {
    return InvalidArgument("the SQL text contains a NUL byte");
  }
  TS_RETURN_IF_ERROR(serialize.BindString(1, sql));
  TS_ASSIGN_OR_RETURN(duck::QueryResult result, serialize.Execute());
  if (result.row_count() != 1 || result.IsNull(0, 0)) return UnexpectedTree("no row");

  simdjson::dom::parser json_parser;
  simdjson::dom::object root;
  const simdjson::error_code error = json_parser.parse(result.GetString(0, 0)).get(root);
  if (error == simdjson::DEPTH_ERROR) {
    return InvalidArgument("the query is nested too deeply (more than " +
                           std::to_string(kMaxSyntaxTreeDepth) + " levels in its syntax tree)");
  }
  if (error != simdjson::SUCCESS) return UnexpectedTree(simdjson::error_message(error));

  bool failed = false;
  if (root.at_key("error").get(failed) != simdjson::SUCCESS) return UnexpectedTree("no 'error'");
  if (failed) return SerializeError(root);

  simdjson::dom::array statements;
  if (root.at_key("statements").get(statements) != simdjson::SUCCESS) {
    return UnexpectedTree("no 'statements'");
  }
  if (statements.size() == 0) return InvalidArgument("the SQL text holds no statement");
  if (statements.size() > 1) {
    return InvalidArgument(std::string(kOnlySelect) + " (found " +
                           std::to_string(statements.size()) + ")");
  }
  TreeChecker checker;
  simdjson::dom::element statement;
  if (statements.at(0).get(statement) != simdjson::SUCCESS) return UnexpectedTree("statement");
  TS_RETURN_IF_ERROR(checker.CheckStatement(statement));
  return std::move(checker).Take();
}

}  // namespace timestore::query
