#include "query/query_service.h"

#include <algorithm>

#include "common/json_writer.h"
#include "partition/file_format.h"
#include "query/query_sql.h"

namespace timestore::query {
namespace {

using Clock = std::chrono::steady_clock;
// Pieces handed to the writer: large, so a big answer costs few hand-offs to the I/O thread.
constexpr size_t kFlushBytes = size_t{1} << 20;
// Result chunks (of up to 2048 rows) encoded per batch, in parallel.
constexpr size_t kBatchChunks = 8;

double MillisSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// Binds `params` to `statement` in order ($1, $2, ...).
common::Status Bind(duck::PreparedStatement& statement, const std::vector<Value>& params) {
  for (size_t i = 0; i < params.size(); ++i) {
    const Value& v = params[i];
    if (const auto* s = std::get_if<std::string>(&v)) {
      TS_RETURN_IF_ERROR(statement.BindString(i + 1, *s));
    } else if (const auto* d = std::get_if<double>(&v)) {
      TS_RETURN_IF_ERROR(statement.BindDouble(i + 1, *d));
    } else if (const auto* t = std::get_if<common::UnixMicros>(&v)) {
      TS_RETURN_IF_ERROR(statement.BindTimestampMicros(i + 1, *t));
    } else {
      TS_RETURN_IF_ERROR(statement.BindBool(i + 1, std::get<bool>(v)));
    }
  }
  return common::Status::Ok();
}

// The column types of an answer that has no rows to take them from (no partition to read).
std::vector<duck::Type> PlannedTypes(const QuerySpec& spec,
                                     const std::vector<catalog::ColumnDef>& schema,
                                     const std::vector<std::string>& names) {
  std::vector<duck::Type> types;
  for (const std::string& name : names) {
    duck::Type type = duck::Type::kDouble;  // aggregations
    for (const catalog::ColumnDef& c : schema) {
      if (c.name == name) type = partition::DuckType(c.type);
    }
    if (spec.downsample && name == spec.timestamp_column) type = duck::Type::kTimestamp;
    types.push_back(type);
  }
  return types;
}

// A deadline failure says which limit was hit; other statuses pass through.
common::Status Timed(common::Status st, bool expired, std::chrono::milliseconds timeout) {
  if (st.ok()) return st;
  if (expired || st.code() == common::StatusCode::kDeadlineExceeded) {
    return common::DeadlineExceeded("query exceeded its time limit of " +
                                    std::to_string(timeout.count()) +
                                    " ms (TIMESTORE_QUERY_TIMEOUT_MS) and was stopped");
  }
  return st;
}

// The partition counts of a query's plan.
QueryStatistics SelectionStatistics(const PartitionSelection& selection) {
  QueryStatistics stats;
  stats.partitions_total = selection.total;
  stats.partitions_scanned = static_cast<int64_t>(selection.selected.size());
  stats.partitions_pruned = selection.pruned();
  stats.pruned_by_time = selection.pruned_by_time;
  stats.pruned_by_key = selection.pruned_by_key;
  stats.pruned_by_statistics = selection.pruned_by_statistics;
  return stats;
}

// When every selected row falls in one bucket of `spec`'s downsample (lastpoint-style queries with
// one huge bucket), its start: the bucket is then a constant rather than a calendar computation
// per row. Nothing otherwise, or without a downsample.
std::optional<common::UnixMicros> SingleBucket(const QuerySpec& spec,
                                               const PartitionSelection& selection,
                                               duck::Connection& connection) {
  if (!spec.downsample) return std::nullopt;
  common::UnixMicros first = spec.end;
  common::UnixMicros last = spec.start;
  for (const auto& e : selection.selected) {
    first = std::min(first, e->partition.start_time);
    last = std::max(last, e->partition.end_time);
  }
  first = std::max(first, spec.start);
  last = std::min(last, spec.end - 1);
  const auto first_bucket = FixedBucketStart(*spec.downsample, first);
  if (first_bucket) {
    if (first_bucket == FixedBucketStart(*spec.downsample, last)) return first_bucket;
    return std::nullopt;
  }
  // Months: DuckDB's calendar decides.
  auto probe = connection.Query(SingleBucketProbeSql(*spec.downsample, first, last));
  if (probe.ok() && probe->row_count() == 1 && !probe->IsNull(0, 0) &&
      probe->GetInt64(0, 0) == probe->GetInt64(1, 0)) {
    return probe->GetInt64(0, 0);
  }
  return std::nullopt;
}

// Attaches the DuckDB files among `files` to `connection` (read-only) and names their
// attachments in them; `attachments` holds them.
common::Status AttachDuckdbFiles(QueryEngine& engine, duck::Connection& connection,
                                 std::vector<SourceFile>& files,
                                 std::vector<QueryEngine::Attachment>& attachments) {
  for (SourceFile& f : files) {
    if (f.format != catalog::WriteFormat::kDuckdb) continue;
    TS_ASSIGN_OR_RETURN(QueryEngine::Attachment attachment, engine.Attach(connection, f.path));
    f.attached_as = attachment.alias();
    attachments.push_back(std::move(attachment));
  }
  return common::Status::Ok();
}

// The JSON answer up to its first row: {"mode":..,"columns":[..],"rows":[
void AppendJsonHead(std::string& buf, std::string_view mode,
                    const std::vector<std::string>& columns) {
  buf += R"({"mode":")";
  buf += mode;
  buf += R"(","columns":[)";
  for (size_t i = 0; i < columns.size(); ++i) {
    if (i > 0) buf += ',';
    common::AppendJsonString(buf, columns[i]);
  }
  buf += R"(],"rows":[)";
}

// The JSON answer after its last row: truncation, warnings, version and statistics.
void AppendJsonTail(std::string& buf, bool truncated, int64_t limit, int64_t version,
                    const QueryStatistics& s, int64_t rows, Clock::time_point started) {
  buf += "],\"truncated\":";
  buf += truncated ? "true" : "false";
  buf += ",\"warnings\":[";
  if (truncated) {
    // Only the default limit truncates: a limit the caller chose is the answer's size.
    common::AppendJsonString(buf, "result truncated to the default limit of " +
                                      std::to_string(limit) + " rows; set \"limit\" to get more");
  }
  buf += "],\"version\":" + std::to_string(version) + ",\"statistics\":{";
  buf += "\"partitionsTotal\":" + std::to_string(s.partitions_total);
  buf += ",\"partitionsScanned\":" + std::to_string(s.partitions_scanned);
  buf += ",\"partitionsPruned\":" + std::to_string(s.partitions_pruned);
  buf += ",\"partitionsPrunedByTime\":" + std::to_string(s.pruned_by_time);
  buf += ",\"partitionsPrunedByKey\":" + std::to_string(s.pruned_by_key);
  buf += ",\"partitionsPrunedByStatistics\":" + std::to_string(s.pruned_by_statistics);
  buf += ",\"partitionsLocal\":" + std::to_string(s.partitions_local);
  buf += ",\"partitionsFromCache\":" + std::to_string(s.partitions_from_cache);
  buf += ",\"partitionsFetched\":" + std::to_string(s.partitions_fetched);
  buf += ",\"partitionsNative\":" + std::to_string(s.partitions_native);
  buf += ",\"rowCount\":" + std::to_string(rows);
  char elapsed[32];
  std::snprintf(elapsed, sizeof elapsed, "%.3f", MillisSince(started));
  buf += ",\"elapsedMs\":";
  buf += elapsed;
  buf += "}}";
}

}  // namespace

QueryStream::~QueryStream() = default;

QueryService::QueryService(QueryEngine& engine, DatasetReader& reader, QueryServiceOptions options,
                           observability::MetricsRegistry* metrics)
    : engine_(engine),
      reader_(reader),
      options_(options),
      logger_(observability::GetLogger("query")) {
  if (metrics == nullptr) return;
  auto partitions = [&](const char* decision) {
    return &metrics->GetCounter("timestore_query_partitions_total",
                                "Partitions considered by queries, by planner decision.",
                                {{"decision", decision}});
  };
  metrics_.scanned = partitions("scanned");
  metrics_.pruned_by_time = partitions("pruned_time");
  metrics_.pruned_by_key = partitions("pruned_key");
  metrics_.pruned_by_statistics = partitions("pruned_statistics");
  metrics_.duration = &metrics->GetHistogram("timestore_query_duration_seconds",
                                             "Query API requests from planning to the last row.");
}

void QueryService::CountPartitions(const QueryStatistics& stats) const {
  if (metrics_.scanned == nullptr) return;
  metrics_.scanned->Increment(static_cast<double>(stats.partitions_scanned));
  metrics_.pruned_by_time->Increment(static_cast<double>(stats.pruned_by_time));
  metrics_.pruned_by_key->Increment(static_cast<double>(stats.pruned_by_key));
  metrics_.pruned_by_statistics->Increment(static_cast<double>(stats.pruned_by_statistics));
}

common::Result<std::unique_ptr<QueryStream>> QueryService::Query(std::string_view slug,
                                                                 simdjson::dom::element body) {
  TS_ASSIGN_OR_RETURN(catalog::Dataset dataset, reader_.GetDataset(slug));
  return Query(dataset, body);
}

common::Result<std::unique_ptr<QueryStream>> QueryService::Query(const catalog::Dataset& dataset,
                                                                 simdjson::dom::element body) {
  const Clock::time_point started = Clock::now();
  const Clock::time_point deadline = started + options_.timeout;
  TS_ASSIGN_OR_RETURN(std::shared_ptr<const SchemaVersions> schemas, reader_.Schemas(dataset));
  const std::vector<catalog::ColumnDef> schema = DatasetReader::CurrentColumns(dataset, *schemas);
  TS_ASSIGN_OR_RETURN(QuerySpec spec,
                      ParseQueryRequest(body, schema, dataset.timestamp_column, options_.limits));
  const int64_t version = spec.as_of_version.value_or(dataset.current_version);
  if (version > dataset.current_version) {
    return common::InvalidArgument(
        "asOfVersion: version " + std::to_string(version) + " of dataset '" + dataset.slug +
        "' does not exist (current version " + std::to_string(dataset.current_version) + ")");
  }
  TS_ASSIGN_OR_RETURN(std::shared_ptr<const ManifestSnapshot> manifest,
                      reader_.Manifest(dataset, version));
  PartitionSelection selection = SelectPartitions(spec, *manifest);

  auto stream = std::unique_ptr<QueryStream>(new QueryStream());
  stream->started_ = started;
  stream->downsampled_ = spec.downsample.has_value();
  stream->version_ = version;
  stream->limit_ = spec.limit;
  QueryStatistics& stats = stream->statistics_;
  stats = SelectionStatistics(selection);
  CountPartitions(stats);
  stream->duration_ = metrics_.duration;

  const std::vector<std::string> names = AnswerColumns(spec, schema);
  if (selection.selected.empty()) {
    // Nothing to read: the columns the caller would have got, and no rows.
    stream->encoder_ = RowEncoder(names, PlannedTypes(spec, schema, names));
    return stream;
  }

  std::vector<std::string> selected_series;  // string columns the query compares by = or IN
  for (const Predicate& p : spec.column_filters) {
    if (p.type == ValueType::kString && (p.eq || p.in)) selected_series.push_back(p.name);
  }
  TS_ASSIGN_OR_RETURN(stream->files_,
                      reader_.Resolve(selection.selected, *schemas,
                                      DatasetReader::SeriesFor(dataset, schema, selected_series)));
  stats.partitions_local = stream->files_.local;
  stats.partitions_from_cache = stream->files_.from_cache;
  stats.partitions_fetched = stream->files_.fetched;
  stats.partitions_native = stream->files_.native;

  TS_ASSIGN_OR_RETURN(QueryEngine::Lease lease, engine_.Acquire(deadline));
  stream->lease_.emplace(std::move(lease));
  duck::Connection& connection = stream->lease_->connection();
  TS_RETURN_IF_ERROR(
      AttachDuckdbFiles(engine_, connection, stream->files_.files, stream->attachments_));
  // Under the default limit one row more tells whether the answer was cut short; a limit the
  // caller chose is the answer's size.
  const int64_t row_cap = spec.limit_given ? spec.limit : spec.limit + 1;
  // When every selected row falls in one bucket (lastpoint-style queries with one huge bucket), the
  // bucket is a constant rather than a calendar computation per row.
  const std::optional<common::UnixMicros> single_bucket = SingleBucket(spec, selection, connection);
  const QuerySql sql =
      BuildQuerySql(spec, schema, *schemas, stream->files_.files, row_cap, single_bucket);
  stream->deadline_ = engine_.watchdog().Watch(connection, deadline);
  auto run = [&]() -> common::Status {
    TS_ASSIGN_OR_RETURN(duck::PreparedStatement statement, connection.Prepare(sql.sql));
    TS_RETURN_IF_ERROR(Bind(statement, sql.params));
    TS_ASSIGN_OR_RETURN(duck::QueryResult result, statement.ExecuteStreaming());
    std::vector<duck::Type> types;
    for (size_t c = 0; c < result.column_count(); ++c) types.push_back(result.column_type(c));
    stream->encoder_ = RowEncoder(names, std::move(types));
    TS_ASSIGN_OR_RETURN(std::optional<duck::ResultChunk> first, result.FetchChunk());
    stream->first_chunk_ = std::move(first);
    stream->result_.emplace(std::move(result));
    return common::Status::Ok();
  };
  common::Status st = Timed(run(), stream->deadline_.expired(), options_.timeout);
  if (!st.ok()) {
    // Our statement over our own files failed: not the caller's doing unless it timed out.
    if (st.code() == common::StatusCode::kInvalidArgument) {
      logger_.Error("query statement failed", observability::LogFields()
                                                  .Add("dataset", dataset.slug)
                                                  .Add("error", st.message())
                                                  .Add("sql", sql.sql));
      return common::Internal("query failed: " + st.message());
    }
    return st;
  }
  return stream;
}

common::Status QueryStream::WriteTo(OutputFormat format,
                                    const std::function<common::Status(std::string_view)>& write) {
  assert(!written_);
  written_ = true;
  std::string buf;
  buf.reserve(kFlushBytes + 4096);
  auto flush = [&]() -> common::Status {
    if (buf.empty()) return common::Status::Ok();
    common::Status st = write(buf);
    buf.clear();
    return st;
  };
  if (format == OutputFormat::kJson) {
    AppendJsonHead(buf, mode(), columns());
  } else if (format == OutputFormat::kCsv) {
    encoder_.AppendCsvHeader(buf);
  }

  // Encodes a batch of chunks (on two threads: the statement has done its heavy work by the time
  // rows are fetched) and writes the pieces in order. Rows past the limit
  // are dropped and mark the answer truncated.
  auto write_batch = [&](const std::vector<duck::ResultChunk>& batch) -> common::Status {
    std::vector<size_t> counts;
    int64_t planned = rows_written_;
    for (const duck::ResultChunk& chunk : batch) {
      const auto n = static_cast<size_t>(
          std::min<int64_t>(static_cast<int64_t>(chunk.row_count()), limit_ - planned));
      if (n < chunk.row_count()) truncated_ = true;  // only under the default limit (limit + 1)
      counts.push_back(n);
      planned += static_cast<int64_t>(n);
    }
    const std::vector<std::string> pieces =
        EncodeChunks(encoder_, batch, counts, format, rows_written_ == 0);
    for (const std::string& piece : pieces) {
      if (piece.size() >= kFlushBytes / 4) {
        TS_RETURN_IF_ERROR(flush());
        TS_RETURN_IF_ERROR(write(piece));  // large: handed over as is, without a copy
      } else {
        buf += piece;
        if (buf.size() >= kFlushBytes) TS_RETURN_IF_ERROR(flush());
      }
    }
    rows_written_ = planned;
    return common::Status::Ok();
  };

  if (first_chunk_) {
    std::vector<duck::ResultChunk> batch{std::move(*first_chunk_)};
    first_chunk_.reset();
    bool more = true;
    while (more && !truncated_) {
      while (batch.size() < kBatchChunks) {
        common::Result<std::optional<duck::ResultChunk>> next = result_->FetchChunk();
        if (!next.ok()) {
          return Timed(next.status(), deadline_.expired(),
                       std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::steady_clock::now() - started_));
        }
        if (!next->has_value()) {
          more = false;
          break;
        }
        batch.push_back(std::move(**next));
      }
      TS_RETURN_IF_ERROR(write_batch(batch));
      batch.clear();
    }
  }
  // The rest of the statement is not needed (and must not hold the connection).
  result_.reset();

  if (format == OutputFormat::kJson) {
    AppendJsonTail(buf, truncated_, limit_, version_, statistics_, rows_written_, started_);
  }
  if (duration_ != nullptr) duration_->Observe(MillisSince(started_) / 1000.0);
  return flush();
}

}  // namespace timestore::query
