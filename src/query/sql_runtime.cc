#include "query/sql_runtime.h"

#include <algorithm>
#include <filesystem>

#include "common/json_writer.h"
#include "common/random_id.h"
#include "duck/appender.h"
#include "duck/sql_quoting.h"
#include "partition/file_format.h"
#include "query/query_sql.h"
#include "query/sql_guard.h"

namespace timestore::query {
namespace {

using Clock = std::chrono::steady_clock;
using common::Status;

// Attachments a sandbox keeps before it is replaced by a fresh one (each holds a file open).
constexpr size_t kMaxSandboxAttachments = 512;

size_t CodePoints(std::string_view utf8) {
  size_t n = 0;
  for (char c : utf8) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

std::string ViewName(std::string_view slug) { return "timestore." + duck::QuoteIdent(slug); }

// "The table does not exist" for a view the caller may not read or that is missing alike.
Status UnknownView(std::string_view slug) {
  return common::InvalidArgument("Catalog Error: Table with name " + std::string(slug) +
                                 " does not exist in schema timestore");
}

Status BindParam(duck::PreparedStatement& statement, size_t index, const SqlParam& p) {
  if (std::holds_alternative<std::monostate>(p)) return statement.BindNull(index);
  if (const auto* b = std::get_if<bool>(&p)) return statement.BindBool(index, *b);
  if (const auto* i = std::get_if<int64_t>(&p)) return statement.BindInt64(index, *i);
  if (const auto* d = std::get_if<double>(&p)) return statement.BindDouble(index, *d);
  return statement.BindString(index, std::get<std::string>(p));
}

bool UnderAny(const std::string& path, const std::set<std::string>& dirs) {
  for (const std::string& d : dirs) {
    if (path.size() > d.size() && path.compare(0, d.size(), d) == 0 && path[d.size()] == '/') {
      return true;
    }
  }
  return false;
}

}  // namespace

struct SqlRuntime::Sandbox {
  duck::Database db;
  duck::Connection connection;
  std::set<std::string> directories;
  std::map<std::string, std::string> views;        // slug -> definition signature
  std::map<std::string, std::string> attachments;  // DuckDB file path -> catalog alias
  bool broken = false;                             // replaced instead of reused
};

class SqlRuntime::SandboxLease {
 public:
  SandboxLease(SqlRuntime* runtime, std::unique_ptr<Sandbox> sandbox)
      : runtime_(runtime), sandbox_(std::move(sandbox)) {}
  SandboxLease(SandboxLease&& other) noexcept
      : runtime_(other.runtime_), sandbox_(std::move(other.sandbox_)) {}
  SandboxLease& operator=(SandboxLease&&) = delete;
  SandboxLease(const SandboxLease&) = delete;
  SandboxLease& operator=(const SandboxLease&) = delete;
  ~SandboxLease() {
    if (sandbox_ != nullptr) runtime_->ReturnSandbox(std::move(sandbox_));
  }
  Sandbox& operator*() { return *sandbox_; }
  Sandbox* operator->() { return sandbox_.get(); }
  // Replaces the sandbox by `fresh` (the old one is destroyed).
  void Replace(std::unique_ptr<Sandbox> fresh) { sandbox_ = std::move(fresh); }

 private:
  SqlRuntime* runtime_;
  std::unique_ptr<Sandbox> sandbox_;
};

SqlRuntime::SqlRuntime(DatasetReader& reader, catalog::Catalog& catalog, SqlRuntimeOptions options)
    : reader_(reader),
      catalog_(catalog),
      options_(std::move(options)),
      logger_(observability::GetLogger("query.sql")) {
  for (const std::string& d : options_.allowed_directories) {
    // An unset directory ("") must not become "/" - every file - in allowed_directories.
    if (d.empty()) continue;
    std::string dir = std::filesystem::path(d).lexically_normal().string();
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    directories_.insert(std::move(dir));
  }
}

SqlRuntime::~SqlRuntime() = default;

common::Result<std::unique_ptr<SqlRuntime::Sandbox>> SqlRuntime::CreateSandbox(
    const std::set<std::string>& dirs) {
  duck::DatabaseOptions db_options;
  db_options.memory_limit = options_.memory_limit;
  db_options.threads = options_.threads;
  TS_ASSIGN_OR_RETURN(duck::Database db, duck::Database::Open(":memory:", db_options));
  TS_ASSIGN_OR_RETURN(duck::Connection connection, duck::Connection::Open(db));
  std::string allowed;
  for (const std::string& d : dirs) {
    allowed += (allowed.empty() ? "" : ", ") + duck::QuoteLiteral(d + "/");
  }
  // The second wall (the first is CheckReadOnlySql): no file outside the partition directories,
  // no network, no extension, and no setting can be changed back afterwards.
  TS_RETURN_IF_ERROR(connection.Execute(
      "CREATE SCHEMA timestore; CREATE SCHEMA timestore_runtime; "
      "SET allowed_directories = [" +
      allowed +
      "]; SET enable_external_access = false; SET autoinstall_known_extensions = false; "
      "SET autoload_known_extensions = false; SET GLOBAL parquet_metadata_cache = true; "
      "SET lock_configuration = true;"));
  auto sandbox =
      std::make_unique<Sandbox>(Sandbox{std::move(db), std::move(connection), dirs, {}, {}, false});
  return sandbox;
}

common::Result<SqlRuntime::SandboxLease> SqlRuntime::AcquireSandbox(Clock::time_point deadline) {
  std::set<std::string> dirs;
  {
    std::unique_lock lock(mu_);
    for (;;) {
      if (!idle_.empty()) {
        std::unique_ptr<Sandbox> s = std::move(idle_.back());
        idle_.pop_back();
        return SandboxLease(this, std::move(s));
      }
      if (created_ < std::max(1, options_.sandboxes)) break;
      if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty()) {
        return common::Unavailable("every SQL sandbox stayed busy; try again later");
      }
    }
    ++created_;
    dirs = directories_;
  }
  auto sandbox = CreateSandbox(dirs);
  if (!sandbox.ok()) {
    std::lock_guard lock(mu_);
    --created_;
    cv_.notify_one();
    return sandbox.status();
  }
  return SandboxLease(this, std::move(sandbox).value());
}

void SqlRuntime::ReturnSandbox(std::unique_ptr<Sandbox> sandbox) {
  std::lock_guard lock(mu_);
  if (sandbox->broken || sandbox->attachments.size() > kMaxSandboxAttachments) {
    --created_;  // dropped; a fresh one is made on demand
  } else {
    idle_.push_back(std::move(sandbox));
  }
  cv_.notify_one();
}

Status SqlRuntime::DefineView(Sandbox& sandbox, const catalog::Dataset& dataset,
                              std::vector<storage::CachedFile>& pins) {
  TS_ASSIGN_OR_RETURN(std::shared_ptr<const SchemaVersions> schemas, reader_.Schemas(dataset));
  std::vector<catalog::ColumnDef> columns = DatasetReader::CurrentColumns(dataset, *schemas);
  if (columns.empty())
    columns.push_back({dataset.timestamp_column, catalog::ColumnType::kTimestamp});
  TS_ASSIGN_OR_RETURN(std::shared_ptr<const ManifestSnapshot> manifest,
                      reader_.Manifest(dataset, dataset.current_version));
  TS_ASSIGN_OR_RETURN(ResolvedFiles resolved, reader_.Resolve(manifest->partitions));
  for (SourceFile& f : resolved.files) {
    if (!UnderAny(f.path, sandbox.directories)) {
      return common::FailedPrecondition(f.path);  // the caller widens the sandbox and retries
    }
    if (f.format == catalog::WriteFormat::kDuckdb) {
      auto it = sandbox.attachments.find(f.path);
      if (it == sandbox.attachments.end()) {
        const std::string alias = "ts_file_" + std::to_string(sandbox.attachments.size() + 1);
        TS_RETURN_IF_ERROR(sandbox.connection.Execute("ATTACH " + duck::QuoteLiteral(f.path) +
                                                      " AS " + duck::QuoteIdent(alias) +
                                                      " (READ_ONLY)"));
        it = sandbox.attachments.emplace(f.path, alias).first;
      }
      f.attached_as = it->second;
    }
  }
  for (storage::CachedFile& pin : resolved.pins) pins.push_back(std::move(pin));
  const std::string signature = std::to_string(dataset.current_version) + "/" +
                                std::to_string(dataset.current_schema_version.value_or(0));
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

Status SqlRuntime::FillRuntimeTables(Sandbox& sandbox, const std::vector<std::string>& tables,
                                     const std::optional<std::set<std::string>>& readable) {
  if (tables.empty()) return Status::Ok();
  TS_ASSIGN_OR_RETURN(std::vector<catalog::Dataset> datasets, ListDatasets(readable));
  duck::Connection& c = sandbox.connection;
  for (const std::string& table : tables) {
    if (table == "datasets") {
      TS_RETURN_IF_ERROR(c.Execute(
          "CREATE OR REPLACE TABLE timestore_runtime.datasets (dataset_id VARCHAR, slug VARCHAR, "
          "name VARCHAR, description VARCHAR, status VARCHAR, timestamp_column VARCHAR, "
          "write_format VARCHAR, current_version BIGINT, schema_version BIGINT, "
          "created_at TIMESTAMP, updated_at TIMESTAMP)"));
      TS_ASSIGN_OR_RETURN(duck::Appender a,
                          duck::Appender::Create(c, "timestore_runtime", "datasets"));
      for (const catalog::Dataset& d : datasets) {
        TS_RETURN_IF_ERROR(a.AppendString(d.id.value()));
        TS_RETURN_IF_ERROR(a.AppendString(d.slug));
        TS_RETURN_IF_ERROR(a.AppendString(d.name));
        TS_RETURN_IF_ERROR(d.description ? a.AppendString(*d.description) : a.AppendNull());
        TS_RETURN_IF_ERROR(a.AppendString(catalog::DatasetStatusName(d.status)));
        TS_RETURN_IF_ERROR(a.AppendString(d.timestamp_column));
        TS_RETURN_IF_ERROR(a.AppendString(catalog::WriteFormatName(d.write_format)));
        TS_RETURN_IF_ERROR(a.AppendInt64(d.current_version));
        TS_RETURN_IF_ERROR(d.current_schema_version ? a.AppendInt64(*d.current_schema_version)
                                                    : a.AppendNull());
        TS_RETURN_IF_ERROR(a.AppendTimestampMicros(d.created_at));
        TS_RETURN_IF_ERROR(a.AppendTimestampMicros(d.updated_at));
        TS_RETURN_IF_ERROR(a.EndRow());
      }
      TS_RETURN_IF_ERROR(a.Close());
    } else if (table == "partitions") {
      TS_RETURN_IF_ERROR(c.Execute(
          "CREATE OR REPLACE TABLE timestore_runtime.partitions (dataset_slug VARCHAR, "
          "partition_id VARCHAR, file_format VARCHAR, row_count BIGINT, file_size_bytes BIGINT, "
          "start_time TIMESTAMP, end_time TIMESTAMP, schema_version BIGINT, "
          "added_in_version BIGINT, partition_key VARCHAR, storage_target_id VARCHAR)"));
      TS_ASSIGN_OR_RETURN(duck::Appender a,
                          duck::Appender::Create(c, "timestore_runtime", "partitions"));
      for (const catalog::Dataset& d : datasets) {
        TS_ASSIGN_OR_RETURN(std::shared_ptr<const ManifestSnapshot> manifest,
                            reader_.Manifest(d, d.current_version));
        for (const auto& entry : manifest->partitions) {
          const catalog::Partition& p = entry->partition;
          TS_RETURN_IF_ERROR(a.AppendString(d.slug));
          TS_RETURN_IF_ERROR(a.AppendString(p.id.value()));
          TS_RETURN_IF_ERROR(a.AppendString(catalog::WriteFormatName(p.format)));
          TS_RETURN_IF_ERROR(a.AppendInt64(p.row_count));
          TS_RETURN_IF_ERROR(a.AppendInt64(p.file_size_bytes));
          TS_RETURN_IF_ERROR(a.AppendTimestampMicros(p.start_time));
          TS_RETURN_IF_ERROR(a.AppendTimestampMicros(p.end_time));
          TS_RETURN_IF_ERROR(a.AppendInt64(p.schema_version));
          TS_RETURN_IF_ERROR(a.AppendInt64(p.added_in_version));
          TS_RETURN_IF_ERROR(a.AppendString(p.partition_key_json));
          TS_RETURN_IF_ERROR(a.AppendString(p.storage_target_id.value()));
          TS_RETURN_IF_ERROR(a.EndRow());
        }
      }
      TS_RETURN_IF_ERROR(a.Close());
    } else if (table == "columns") {
      TS_RETURN_IF_ERROR(
          c.Execute("CREATE OR REPLACE TABLE timestore_runtime.columns (dataset_slug VARCHAR, "
                    "column_name VARCHAR, column_type VARCHAR, sql_type VARCHAR, ordinal BIGINT)"));
      TS_ASSIGN_OR_RETURN(duck::Appender a,
                          duck::Appender::Create(c, "timestore_runtime", "columns"));
      for (const catalog::Dataset& d : datasets) {
        TS_ASSIGN_OR_RETURN(std::shared_ptr<const SchemaVersions> schemas, reader_.Schemas(d));
        const std::vector<catalog::ColumnDef> columns = DatasetReader::CurrentColumns(d, *schemas);
        for (size_t i = 0; i < columns.size(); ++i) {
          TS_RETURN_IF_ERROR(a.AppendString(d.slug));
          TS_RETURN_IF_ERROR(a.AppendString(columns[i].name));
          TS_RETURN_IF_ERROR(a.AppendString(catalog::ColumnTypeName(columns[i].type)));
          TS_RETURN_IF_ERROR(a.AppendString(partition::SqlTypeName(columns[i].type)));
          TS_RETURN_IF_ERROR(a.AppendInt64(static_cast<int64_t>(i + 1)));
          TS_RETURN_IF_ERROR(a.EndRow());
        }
      }
      TS_RETURN_IF_ERROR(a.Close());
    }
  }
  return Status::Ok();
}

common::Result<SqlAnswer> SqlRuntime::Read(const SqlReadRequest& request) {
  const Clock::time_point started = Clock::now();
  const Clock::time_point deadline = started + options_.timeout;
  const size_t length = CodePoints(request.sql);
  if (length > static_cast<size_t>(options_.max_length)) {
    return common::PayloadTooLarge("sql: the statement has " + std::to_string(length) +
                                   " characters, more than the limit of " +
                                   std::to_string(options_.max_length) +
                                   " (TIMESTORE_SQL_MAX_LENGTH)");
  }
  TS_ASSIGN_OR_RETURN(SandboxLease sandbox, AcquireSandbox(deadline));
  TS_ASSIGN_OR_RETURN(GuardedStatement guarded, CheckReadOnlySql(sandbox->connection, request.sql));

  // Views: exactly the referenced datasets the caller may read; no other view stays defined.
  std::vector<catalog::Dataset> datasets;
  for (const std::string& slug : guarded.dataset_views) {
    if (request.readable && !request.readable->contains(slug)) return UnknownView(slug);
    auto dataset = reader_.GetDataset(slug);
    if (!dataset.ok()) {
      if (dataset.status().code() == common::StatusCode::kNotFound) return UnknownView(slug);
      return dataset.status();
    }
    datasets.push_back(std::move(dataset).value());
  }
  for (auto it = sandbox->views.begin(); it != sandbox->views.end();) {
    if (std::binary_search(guarded.dataset_views.begin(), guarded.dataset_views.end(), it->first)) {
      ++it;
      continue;
    }
    TS_RETURN_IF_ERROR(sandbox->connection.Execute("DROP VIEW IF EXISTS " + ViewName(it->first)));
    it = sandbox->views.erase(it);
  }
  std::vector<storage::CachedFile> pins;
  for (const catalog::Dataset& d : datasets) {
    Status st = DefineView(*sandbox, d, pins);
    if (st.code() == common::StatusCode::kFailedPrecondition) {
      // A partition lives outside the sandbox's directories (a storage target added since it was
      // made): widen the set and start over in a fresh sandbox.
      std::set<std::string> dirs;
      {
        std::lock_guard lock(mu_);
        directories_.insert(std::filesystem::path(st.message()).parent_path().string());
        dirs = directories_;
      }
      TS_ASSIGN_OR_RETURN(std::unique_ptr<Sandbox> fresh, CreateSandbox(dirs));
      sandbox.Replace(std::move(fresh));
      pins.clear();
      for (const catalog::Dataset& again : datasets) {
        TS_RETURN_IF_ERROR(DefineView(*sandbox, again, pins));
      }
      break;
    }
    TS_RETURN_IF_ERROR(st);
  }
  TS_RETURN_IF_ERROR(FillRuntimeTables(*sandbox, guarded.runtime_tables, request.readable));

  duck::Connection& connection = sandbox->connection;
  DeadlineWatchdog::Guard guard = watchdog_.Watch(connection, deadline);
  SqlAnswer answer;
  answer.execution_id = "sql-" + common::RandomHex(8);
  answer.datasets = guarded.dataset_views;
  auto bind = [&](duck::PreparedStatement& statement) -> Status {
    if (statement.parameter_count() != request.params.size()) {
      return common::InvalidArgument("params: the statement has " +
                                     std::to_string(statement.parameter_count()) + " parameters, " +
                                     std::to_string(request.params.size()) + " given");
    }
    for (size_t i = 0; i < request.params.size(); ++i) {
      Status st = BindParam(statement, i + 1, request.params[i]);
      if (!st.ok()) return st.WithContext("params[" + std::to_string(i) + "]");
    }
    return Status::Ok();
  };
  auto run = [&]() -> Status {
    TS_ASSIGN_OR_RETURN(duck::PreparedStatement statement, connection.Prepare(request.sql));
    TS_RETURN_IF_ERROR(bind(statement));
    std::optional<duck::QueryResult> first;
    std::vector<std::string> names;
    std::vector<duck::Type> types;
    if (statement.parameter_count() == 0) {
      for (size_t i = 0; i < statement.column_count(); ++i) {
        names.push_back(statement.column_name(i));
        types.push_back(statement.column_type(i));
      }
    } else {
      // When a parameter's type cannot be inferred, DuckDB binds the statement only once values
      // are bound and the prepared statement shows one column "unknown": the result has the
      // real columns.
      TS_ASSIGN_OR_RETURN(duck::QueryResult r, statement.ExecuteStreaming());
      for (size_t i = 0; i < r.column_count(); ++i) {
        names.push_back(r.column_name(i));
        types.push_back(r.column_type(i));
      }
      first.emplace(std::move(r));
    }
    if (std::find(types.begin(), types.end(), duck::Type::kOther) != types.end()) {
      // Types the encoder cannot read (lists, structs, intervals, ...) are shown as DuckDB prints
      // them: the statement is wrapped and those columns cast to VARCHAR.
      std::string select;
      std::string aliases;
      for (size_t i = 0; i < names.size(); ++i) {
        const std::string inner = "\"__ts_c" + std::to_string(i + 1) + "\"";
        aliases += (i ? ", " : "") + inner;
        select += std::string(i ? ", " : "") +
                  (types[i] == duck::Type::kOther ? "CAST(" + inner + " AS VARCHAR)" : inner) +
                  " AS " + duck::QuoteIdent(names[i]);
      }
      first.reset();  // a streaming result must be closed before the next statement
      auto wrapped = connection.Prepare("SELECT " + select + " FROM (\n" + request.sql +
                                        "\n) AS \"__ts_q\"(" + aliases + ")");
      if (wrapped.ok()) {
        statement = std::move(wrapped).value();
        TS_RETURN_IF_ERROR(bind(statement));
      } else {
        answer.warnings.push_back(
            "columns of nested or interval types are shown as null; cast them to VARCHAR");
      }
    }
    if (!first) {
      TS_ASSIGN_OR_RETURN(duck::QueryResult r, statement.ExecuteStreaming());
      first.emplace(std::move(r));
    }
    duck::QueryResult& result = *first;
    names.clear();
    types.clear();
    for (size_t i = 0; i < result.column_count(); ++i) {
      names.push_back(result.column_name(i));
      types.push_back(result.column_type(i));
      answer.type_names.emplace_back(duck::TypeName(types.back()));
    }
    answer.encoder = RowEncoder(std::move(names), std::move(types));
    int64_t rows = 0;
    for (;;) {
      TS_ASSIGN_OR_RETURN(std::optional<duck::ResultChunk> chunk, result.FetchChunk());
      if (!chunk) break;
      rows += static_cast<int64_t>(chunk->row_count());
      answer.chunks.push_back(std::move(*chunk));
      if (rows > options_.max_rows) break;
    }
    answer.truncated = rows > options_.max_rows;
    answer.row_count = std::min<int64_t>(rows, options_.max_rows);
    return Status::Ok();
  };
  Status st = run();
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

std::vector<size_t> SqlAnswer::RowCounts() const {
  std::vector<size_t> counts;
  int64_t left = row_count;
  for (const duck::ResultChunk& chunk : chunks) {
    const auto n =
        static_cast<size_t>(std::min<int64_t>(left, static_cast<int64_t>(chunk.row_count())));
    counts.push_back(n);
    left -= static_cast<int64_t>(n);
  }
  return counts;
}

std::string SqlAnswer::Render(OutputFormat format) const {
  std::string out;
  const size_t columns = encoder.names().size();
  auto for_each_row = [&](const auto& fn) {
    int64_t left = row_count;
    for (const duck::ResultChunk& chunk : chunks) {
      for (size_t r = 0; r < chunk.row_count() && left > 0; ++r, --left) fn(chunk, r);
    }
  };
  switch (format) {
    case OutputFormat::kJson:
    case OutputFormat::kNdjson: {
      out += "{\"executionId\":";
      common::AppendJsonString(out, execution_id);
      out += ",\"columns\":[";
      for (size_t c = 0; c < columns; ++c) {
        out += c ? ",{\"name\":" : "{\"name\":";
        common::AppendJsonString(out, encoder.names()[c]);
        out += ",\"type\":";
        common::AppendJsonString(out, type_names[c]);
        out += "}";
      }
      out += "],\"rows\":[";
      for (const std::string& piece : EncodeChunks(encoder, chunks, RowCounts(), format, true)) {
        out += piece;
      }
      out += "],\"truncated\":";
      out += truncated ? "true" : "false";
      out += ",\"warnings\":[";
      for (size_t i = 0; i < warnings.size(); ++i) {
        if (i) out += ',';
        common::AppendJsonString(out, warnings[i]);
      }
      char elapsed[32];
      std::snprintf(elapsed, sizeof elapsed, "%.3f", elapsed_ms);
      out += "],\"statistics\":{\"rowCount\":" + std::to_string(row_count) +
             ",\"elapsedMs\":" + elapsed + "}}";
      return out;
    }
    case OutputFormat::kCsv: {
      // As the original: records joined by "\n", no final newline; nothing at all without columns.
      if (columns == 0) return out;
      std::string header;
      encoder.AppendCsvHeader(header);
      header.pop_back();
      out += header;
      for (const std::string& piece : EncodeChunks(encoder, chunks, RowCounts(), format, true)) {
        if (piece.empty()) continue;
        out += '\n';
        out.append(piece, 0, piece.size() - 1);  // records end in "\n"
      }
      return out;
    }
    case OutputFormat::kTable: {
      if (columns == 0) return "(0 rows)\n";
      std::vector<std::vector<std::string>> cells;
      std::vector<size_t> widths;
      for (const std::string& n : encoder.names()) widths.push_back(CodePoints(n));
      for_each_row([&](const duck::ResultChunk& chunk, size_t r) {
        std::vector<std::string> row;
        for (size_t c = 0; c < columns; ++c) {
          row.push_back(chunk.IsNull(c, r) ? "NULL" : encoder.CellText(chunk, c, r));
          widths[c] = std::max(widths[c], CodePoints(row.back()));
        }
        cells.push_back(std::move(row));
      });
      auto pad = [&](const std::string& s, size_t width) {
        return s + std::string(width - std::min(width, CodePoints(s)), ' ');
      };
      for (size_t c = 0; c < columns; ++c)
        out += (c ? " | " : "") + pad(encoder.names()[c], widths[c]);
      out += '\n';
      for (size_t c = 0; c < columns; ++c) {
        out += (c ? "-+-" : "") + std::string(std::max<size_t>(widths[c], 1), '-');
      }
      for (const auto& row : cells) {
        out += '\n';
        for (size_t c = 0; c < columns; ++c) out += (c ? " | " : "") + pad(row[c], widths[c]);
      }
      out += "\n(" + std::to_string(row_count) + (row_count == 1 ? " row)" : " rows)");
      return out;
    }
  }
  return out;
}

}  // namespace timestore::query
