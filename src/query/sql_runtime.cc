#include "query/sql_runtime.h"

#include <algorithm>
#include <filesystem>

#include "common/json_writer.h"
#include "common/random_id.h"
#include "duck/sql_quoting.h"
#include "partition/file_format.h"
#include "query/query_sql.h"
#include "query/sql_guard.h"
#include "query/sql_runtime_tables.h"

namespace timestore::query {
namespace {

using Clock = std::chrono::steady_clock;
using common::Status;

std::string ViewName(std::string_view slug) { return "timestore." + duck::QuoteIdent(slug); }

// "The table does not exist" for a view the caller may not read or that is missing alike.
Status UnknownView(std::string_view slug) {
  return common::InvalidArgument("Catalog Error: Table with name " + std::string(slug) +
                                 " does not exist in schema timestore");
}

Status CheckLength(const std::string& sql, int64_t max_length) {
  const size_t length = CodePoints(sql);
  if (length <= static_cast<size_t>(max_length)) return Status::Ok();
  return common::PayloadTooLarge("sql: the statement has " + std::to_string(length) +
                                 " characters, more than the limit of " +
                                 std::to_string(max_length) + " (TIMESTORE_SQL_MAX_LENGTH)");
}

Status BindParam(duck::PreparedStatement& statement, size_t index, const SqlParam& p) {
  if (std::holds_alternative<std::monostate>(p)) return statement.BindNull(index);
  if (const auto* b = std::get_if<bool>(&p)) return statement.BindBool(index, *b);
  if (const auto* i = std::get_if<int64_t>(&p)) return statement.BindInt64(index, *i);
  if (const auto* d = std::get_if<double>(&p)) return statement.BindDouble(index, *d);
  return statement.BindString(index, std::get<std::string>(p));
}

Status BindParams(duck::PreparedStatement& statement, const std::vector<SqlParam>& params) {
  if (statement.parameter_count() != params.size()) {
    return common::InvalidArgument("params: the statement has " +
                                   std::to_string(statement.parameter_count()) + " parameters, " +
                                   std::to_string(params.size()) + " given");
  }
  for (size_t i = 0; i < params.size(); ++i) {
    Status st = BindParam(statement, i + 1, params[i]);
    if (!st.ok()) return st.WithContext("params[" + std::to_string(i) + "]");
  }
  return Status::Ok();
}

struct StatementColumns {
  std::vector<std::string> names;
  std::vector<duck::Type> types;
};

template <typename Described>
StatementColumns ColumnsOf(const Described& described) {
  StatementColumns columns;
  for (size_t i = 0; i < described.column_count(); ++i) {
    columns.names.push_back(described.column_name(i));
    columns.types.push_back(described.column_type(i));
  }
  return columns;
}

// The columns of a bound statement. When a parameter's type cannot be inferred, DuckDB binds the
// statement only once values are bound and the prepared statement shows one column "unknown": so
// a statement with parameters is run, its result (the real columns) left in `first`.
common::Result<StatementColumns> DescribeColumns(duck::PreparedStatement& statement,
                                                 std::optional<duck::QueryResult>& first) {
  if (statement.parameter_count() == 0) return ColumnsOf(statement);
  TS_ASSIGN_OR_RETURN(duck::QueryResult r, statement.ExecuteStreaming());
  StatementColumns columns = ColumnsOf(r);
  first.emplace(std::move(r));
  return columns;
}

// The caller's statement wrapped so that the columns the encoder cannot read (lists, structs,
// intervals, ...) come back cast to VARCHAR, as DuckDB prints them.
std::string WrapWithVarcharCasts(const std::string& sql, const StatementColumns& columns) {
  std::string select;
  std::string aliases;
  for (size_t i = 0; i < columns.names.size(); ++i) {
    const std::string inner = "\"__ts_c" + std::to_string(i + 1) + "\"";
    aliases += (i ? ", " : "") + inner;
    select += std::string(i ? ", " : "") +
              (columns.types[i] == duck::Type::kOther ? "CAST(" + inner + " AS VARCHAR)" : inner) +
              " AS " + duck::QuoteIdent(columns.names[i]);
  }
  return "SELECT " + select + " FROM (\n" + sql + "\n) AS \"__ts_q\"(" + aliases + ")";
}

// Reads `result` into `answer`: its columns, and chunks until more than `max_rows` rows arrived.
Status FetchCapped(duck::QueryResult& result, int64_t max_rows, SqlAnswer& answer) {
  StatementColumns columns = ColumnsOf(result);
  for (duck::Type type : columns.types) answer.type_names.emplace_back(duck::TypeName(type));
  answer.encoder = RowEncoder(std::move(columns.names), std::move(columns.types));
  int64_t rows = 0;
  for (;;) {
    TS_ASSIGN_OR_RETURN(std::optional<duck::ResultChunk> chunk, result.FetchChunk());
    if (!chunk) break;
    rows += static_cast<int64_t>(chunk->row_count());
    answer.chunks.push_back(std::move(*chunk));
    if (rows > max_rows) break;
  }
  answer.truncated = rows > max_rows;
  answer.row_count = std::min<int64_t>(rows, max_rows);
  return Status::Ok();
}

// Prepares, binds and runs the caller's statement `sql` on `connection` into `answer`.
Status RunStatement(duck::Connection& connection, const std::string& sql,
                    const std::vector<SqlParam>& params, int64_t max_rows, SqlAnswer& answer) {
  TS_ASSIGN_OR_RETURN(duck::PreparedStatement statement, connection.Prepare(sql));
  TS_RETURN_IF_ERROR(BindParams(statement, params));
  std::optional<duck::QueryResult> first;
  TS_ASSIGN_OR_RETURN(StatementColumns columns, DescribeColumns(statement, first));
  if (std::find(columns.types.begin(), columns.types.end(), duck::Type::kOther) !=
      columns.types.end()) {
    first.reset();  // a streaming result must be closed before the next statement
    auto wrapped = connection.Prepare(WrapWithVarcharCasts(sql, columns));
    if (wrapped.ok()) {
      statement = std::move(wrapped).value();
      TS_RETURN_IF_ERROR(BindParams(statement, params));
    } else {
      answer.warnings.push_back(
          "columns of nested or interval types are shown as null; cast them to VARCHAR");
    }
  }
  if (!first) {
    TS_ASSIGN_OR_RETURN(duck::QueryResult r, statement.ExecuteStreaming());
    first.emplace(std::move(r));
  }
  return FetchCapped(*first, max_rows, answer);
}

}  // namespace

SqlRuntime::SqlRuntime(DatasetReader& reader, catalog::Catalog& catalog, SqlRuntimeOptions options)
    : reader_(reader),
      catalog_(catalog),
      options_(std::move(options)),
      logger_(observability::GetLogger("query.sql")),
      sandboxes_(SqlSandboxOptions{options_.memory_limit, options_.threads, options_.sandboxes},
                 options_.allowed_directories) {}

SqlRuntime::~SqlRuntime() = default;

common::Result<SqlAnswer> SqlRuntime::Read(const SqlReadRequest& request) {
  const Clock::time_point started = Clock::now();
  const Clock::time_point deadline = started + options_.timeout;
  TS_RETURN_IF_ERROR(CheckLength(request.sql, options_.max_length));
  TS_ASSIGN_OR_RETURN(SqlSandboxPool::Lease sandbox, sandboxes_.Acquire(deadline));
  if (!sandbox->sql_serializer) {
    TS_ASSIGN_OR_RETURN(duck::PreparedStatement serializer,
                        PrepareSqlSerializer(sandbox->connection));
    sandbox->sql_serializer.emplace(std::move(serializer));
  }
  TS_ASSIGN_OR_RETURN(GuardedStatement guarded,
                      CheckReadOnlySql(*sandbox->sql_serializer, request.sql));
  std::vector<storage::CachedFile> pins;  // the views' files stay while the statement runs
  std::map<std::string, ViewInputs> inputs;
  TS_RETURN_IF_ERROR(DefineViews(sandbox, guarded, request.readable, pins, inputs));
  TS_RETURN_IF_ERROR(FillRuntimeTables(*sandbox, guarded.runtime_tables, request.readable));
  std::vector<std::string> last_values;
  TS_ASSIGN_OR_RETURN(const std::string sql,
                      UseLastValues(*sandbox, guarded, inputs, request.sql, last_values));

  DeadlineWatchdog::Guard guard = watchdog_.Watch(sandbox->connection, deadline);
  SqlAnswer answer;
  answer.execution_id = "sql-" + common::RandomHex(8);
  answer.datasets = guarded.dataset_views;
  answer.last_values = std::move(last_values);
  Status st = RunStatement(sandbox->connection, sql, request.params, options_.max_rows, answer);
  if (!st.ok()) {
    if (guard.expired() || st.code() == common::StatusCode::kDeadlineExceeded) {
      sandbox->broken = true;  // interrupted mid-statement: start the next one afresh
      return common::DeadlineExceeded("the statement exceeded the SQL time limit of " +
                                      std::to_string(options_.timeout.count()) +
                                      " ms (TIMESTORE_SQL_TIMEOUT_MS) and was stopped");
    }
    // DuckDB's view of the caller's statement (binder, conversion, permission errors) is the
    // caller's to fix; only an unexpected internal failure stays a 500.
    if (st.code() != common::StatusCode::kInternal &&
        st.code() != common::StatusCode::kUnavailable) {
      return common::InvalidArgument(st.message());
    }
    return st;
  }
  if (answer.truncated) {
    answer.warnings.push_back("result truncated to " + std::to_string(options_.max_rows) +
                              " rows (TIMESTORE_SQL_MAX_ROWS)");
  }
  answer.elapsed_ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
  return answer;
}

Status SqlRuntime::DefineViews(SqlSandboxPool::Lease& sandbox, const GuardedStatement& guarded,
                               const std::optional<std::set<std::string>>& readable,
                               std::vector<storage::CachedFile>& pins,
                               std::map<std::string, ViewInputs>& inputs) {
  std::vector<catalog::Dataset> datasets;
  const std::vector<std::string>& slugs = guarded.dataset_views;  // sorted
  for (const std::string& slug : slugs) {
    if (readable && !readable->contains(slug)) return UnknownView(slug);
    auto dataset = reader_.GetDataset(slug);
    if (!dataset.ok()) {
      if (dataset.status().code() == common::StatusCode::kNotFound) return UnknownView(slug);
      return dataset.status();
    }
    datasets.push_back(std::move(dataset).value());
  }
  for (auto it = sandbox->views.begin(); it != sandbox->views.end();) {
    if (std::binary_search(slugs.begin(), slugs.end(), it->first)) {
      ++it;
      continue;
    }
    TS_RETURN_IF_ERROR(sandbox->connection.Execute("DROP VIEW IF EXISTS " + ViewName(it->first)));
    sandbox->view_attachments.erase(it->first);
    it = sandbox->views.erase(it);
  }
  for (const catalog::Dataset& d : datasets) {
    Status st = DefineView(*sandbox, d, guarded.equality_columns, pins, inputs[d.slug]);
    if (st.code() == common::StatusCode::kFailedPrecondition) {
      // A partition lives outside the sandbox's directories (a storage target added since it was
      // made): widen the set and start over in a fresh sandbox.
      TS_RETURN_IF_ERROR(
          sandboxes_.Widen(sandbox, std::filesystem::path(st.message()).parent_path().string()));
      pins.clear();
      for (const catalog::Dataset& again : datasets) {
        TS_RETURN_IF_ERROR(
            DefineView(*sandbox, again, guarded.equality_columns, pins, inputs[again.slug]));
      }
      break;
    }
    TS_RETURN_IF_ERROR(st);
  }
  return DetachUnused(*sandbox);
}

Status SqlRuntime::DetachUnused(SqlSandbox& sandbox) {
  std::set<std::string> used;
  for (const auto& [slug, paths] : sandbox.view_attachments) {
    used.insert(paths.begin(), paths.end());
  }
  std::vector<std::pair<uint64_t, std::string>> idle;  // (last use, path)
  for (const auto& [path, alias] : sandbox.attachments) {
    if (!used.contains(path)) idle.emplace_back(sandbox.attachment_last_use[path], path);
  }
  if (idle.size() <= kMaxIdleAttachments) return Status::Ok();
  std::sort(idle.begin(), idle.end());
  for (size_t i = 0; i + kMaxIdleAttachments < idle.size(); ++i) {
    const std::string& path = idle[i].second;
    TS_RETURN_IF_ERROR(
        sandbox.connection.Execute("DETACH " + duck::QuoteIdent(sandbox.attachments[path])));
    sandbox.attachments.erase(path);
    sandbox.attachment_last_use.erase(path);
  }
  return Status::Ok();
}

Status SqlRuntime::DefineView(SqlSandbox& sandbox, const catalog::Dataset& dataset,
                              const std::vector<std::string>& equality_columns,
                              std::vector<storage::CachedFile>& pins, ViewInputs& inputs) {
  TS_ASSIGN_OR_RETURN(std::shared_ptr<const SchemaVersions> schemas, reader_.Schemas(dataset));
  std::vector<catalog::ColumnDef> columns = DatasetReader::CurrentColumns(dataset, *schemas);
  if (columns.empty())
    columns.push_back({dataset.timestamp_column, catalog::ColumnType::kTimestamp});
  TS_ASSIGN_OR_RETURN(std::shared_ptr<const ManifestSnapshot> manifest,
                      reader_.Manifest(dataset, dataset.current_version));
  TS_ASSIGN_OR_RETURN(
      ResolvedFiles resolved,
      reader_.Resolve(manifest->partitions, *schemas,
                      DatasetReader::SeriesFor(dataset, columns, equality_columns)));
  for (SourceFile& f : resolved.files) {
    if (!sandbox.Allows(f.path)) {
      return common::FailedPrecondition(f.path);  // the caller widens the sandbox and retries
    }
    if (f.format == catalog::WriteFormat::kDuckdb) {
      auto it = sandbox.attachments.find(f.path);
      if (it == sandbox.attachments.end()) {
        const std::string alias = "ts_file_" + std::to_string(sandbox.next_alias++);
        TS_RETURN_IF_ERROR(sandbox.connection.Execute("ATTACH " + duck::QuoteLiteral(f.path) +
                                                      " AS " + duck::QuoteIdent(alias) +
                                                      " (READ_ONLY)"));
        it = sandbox.attachments.emplace(f.path, alias).first;
      }
      f.attached_as = it->second;
      sandbox.attachment_last_use[f.path] = ++sandbox.use_clock;
    }
  }
  for (storage::CachedFile& pin : resolved.pins) pins.push_back(std::move(pin));
  inputs.timestamp_column = dataset.timestamp_column;
  inputs.columns = columns;
  inputs.schemas = schemas;
  inputs.schema_version = dataset.current_schema_version.value_or(0);
  inputs.partition_ids.clear();
  for (const auto& entry : manifest->partitions)
    inputs.partition_ids.push_back(entry->partition.id.value());
  inputs.files = resolved.files;
  // The version and the files read: a native copy that became ready redefines the view.
  std::string signature = std::to_string(dataset.current_version) + "/" +
                          std::to_string(dataset.current_schema_version.value_or(0));
  std::set<std::string>& attached = sandbox.view_attachments[dataset.slug];
  attached.clear();
  for (const SourceFile& f : resolved.files) {
    signature += "|" + f.path;
    if (f.format == catalog::WriteFormat::kDuckdb) attached.insert(f.path);
  }
  auto known = sandbox.views.find(dataset.slug);
  if (known != sandbox.views.end() && known->second == signature) return Status::Ok();
  TS_RETURN_IF_ERROR(sandbox.connection.Execute("CREATE OR REPLACE VIEW " + ViewName(dataset.slug) +
                                                " AS " +
                                                DatasetViewSql(columns, *schemas, resolved.files)));
  sandbox.views[dataset.slug] = signature;
  return Status::Ok();
}

common::Result<std::vector<catalog::Dataset>> SqlRuntime::ListDatasets(
    const std::optional<std::set<std::string>>& readable) {
  std::vector<catalog::Dataset> out;
  catalog::ListDatasetsOptions options;
  options.limit = 500;
  for (;;) {
    TS_ASSIGN_OR_RETURN(catalog::DatasetPage page, catalog_.datasets().List(options));
    for (catalog::Dataset& d : page.items) {
      if (!readable || readable->contains(d.slug)) out.push_back(std::move(d));
    }
    if (!page.next_cursor) break;
    options.cursor = page.next_cursor;
  }
  return out;
}

Status SqlRuntime::FillRuntimeTables(SqlSandbox& sandbox, const std::vector<std::string>& tables,
                                     const std::optional<std::set<std::string>>& readable) {
  if (tables.empty()) return Status::Ok();
  TS_ASSIGN_OR_RETURN(std::vector<catalog::Dataset> datasets, ListDatasets(readable));
  for (const std::string& table : tables) {
    TS_RETURN_IF_ERROR(FillRuntimeTable(sandbox.connection, table, datasets, reader_));
  }
  return Status::Ok();
}

common::Result<std::string> SqlRuntime::SchemaJson(
    const std::optional<std::set<std::string>>& readable) {
  TS_ASSIGN_OR_RETURN(std::vector<catalog::Dataset> datasets, ListDatasets(readable));
  common::JsonWriter w;
  w.BeginObject();
  w.Key("fetchedAt").String(common::FormatIso8601(common::NowMicros()));
  w.Key("tables").BeginArray();
  for (const catalog::Dataset& d : datasets) {
    TS_ASSIGN_OR_RETURN(std::shared_ptr<const SchemaVersions> schemas, reader_.Schemas(d));
    w.BeginObject();
    w.Key("name").String(ViewName(d.slug));
    w.Key("dataset").String(d.slug);
    w.Key("description");
    d.description ? w.String(*d.description) : w.Null();
    if (!d.partition_key_columns.empty()) {
      w.Key("partitionKeys").BeginArray();
      for (const std::string& k : d.partition_key_columns) w.String(k);
      w.EndArray();
    }
    w.Key("columns").BeginArray();
    for (const catalog::ColumnDef& c : DatasetReader::CurrentColumns(d, *schemas)) {
      w.BeginObject();
      w.Key("name").String(c.name);
      w.Key("type").String(partition::SqlTypeName(c.type));
      w.Key("nullable").Bool(true);
      w.Key("description").Null();
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.Key("warnings").BeginArray().EndArray();
  w.EndObject();
  return w.TakeBuffer();
}

}  // namespace timestore::query
