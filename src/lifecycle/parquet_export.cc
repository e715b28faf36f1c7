#include "lifecycle/parquet_export.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <stop_token>
#include <thread>
#include <utility>
#include <vector>

#include <simdjson.h>

#include "common/json_describe.h"
#include "common/json_writer.h"
#include "common/random_id.h"
#include "duck/connection.h"
#include "duck/database.h"
#include "duck/sql_quoting.h"
#include "observability/logger.h"
#include "partition/scan_sql.h"
#include "partition/store_resolver.h"
#include "storage/local_copy.h"
#include "storage/object_key_segment.h"
#include "storage/sha256_hasher.h"

namespace timestore::lifecycle {

using catalog::ColumnDef;
using catalog::ColumnType;
using catalog::Dataset;
using catalog::Partition;
using catalog::StorageTarget;
using catalog::StorageTargetId;
using catalog::TimeRange;
using catalog::WriteFormat;
using common::InvalidArgument;
using common::Result;
using common::Status;
using common::UnixMicros;

namespace {

// How often the lease is extended while an export runs (the single COPY statement can be long).
constexpr std::chrono::milliseconds kHeartbeatEvery{5000};
// How often a statement is interrupted once the lease is lost, until it has returned.
constexpr std::chrono::milliseconds kInterruptEvery{50};

const observability::Logger& Log() {
  static const observability::Logger kLogger = observability::GetLogger("lifecycle.export");
  return kLogger;
}

// Caller text fit for a message.
std::string Clip(std::string_view s) {
  if (s.size() <= common::kMaxQuotedBytes) return std::string(s);
  return std::string(s.substr(0, common::kMaxQuotedBytes)) + "...";
}

// ---- payload ----------------------------------------------------------------------------------

Result<UnixMicros> ParseInstant(simdjson::dom::element value, const std::string& where) {
  std::string_view text;
  if (value.get(text) == simdjson::SUCCESS) {
    if (std::optional<UnixMicros> t = common::ParseIso8601(text)) return *t;
  }
  return common::ExpectedJson(where, "an ISO-8601 time with a zone", value);
}

Result<TimeRange> ParseTimeRange(simdjson::dom::element value) {
  simdjson::dom::object object;
  if (value.get(object) != simdjson::SUCCESS) {
    return common::ExpectedJson("timeRange", "object", value);
  }
  std::optional<UnixMicros> start;
  std::optional<UnixMicros> end;
  for (simdjson::dom::key_value_pair member : object) {
    const std::string where = "timeRange." + Clip(member.key);
    std::optional<UnixMicros>* slot = member.key == "start" ? &start
                                      : member.key == "end" ? &end
                                                            : nullptr;
    if (slot == nullptr) return InvalidArgument(where + ": unknown field");
    if (slot->has_value()) return InvalidArgument(where + ": duplicate field");
    TS_ASSIGN_OR_RETURN(UnixMicros t, ParseInstant(member.value, where));
    *slot = t;
  }
  if (!start) return InvalidArgument("timeRange.start: required");
  if (!end) return InvalidArgument("timeRange.end: required");
  if (*end <= *start) return InvalidArgument("timeRange.end: must be after timeRange.start");
  return TimeRange{*start, *end};
}

// ---- lease ------------------------------------------------------------------------------------

// Extends the job's lease every kHeartbeatEvery on its own thread while an export runs. Once a
// heartbeat fails, status() returns that error and the watched connection's statement is
// interrupted (repeatedly, until Watch(nullptr)). The watched connection must stay alive until
// Watch(nullptr) returns.
class LeaseKeeper {
 public:
  explicit LeaseKeeper(std::function<Status()> heartbeat)
      : heartbeat_(std::move(heartbeat)),
        thread_([this](const std::stop_token& stop) { Loop(stop); }) {}
  LeaseKeeper(const LeaseKeeper&) = delete;
  LeaseKeeper& operator=(const LeaseKeeper&) = delete;
  ~LeaseKeeper() {
    thread_.request_stop();
    thread_.join();
  }

  Status status() {
    std::lock_guard lock(mu_);
    return lost_;
  }

  void Watch(duck::Connection* connection) {
    std::lock_guard lock(mu_);
    watched_ = connection;
  }

 private:
  void Loop(const std::stop_token& stop) {
    std::unique_lock lock(mu_);
    while (!stop.stop_requested()) {
      if (lost_.ok()) {
        cv_.wait_for(lock, stop, kHeartbeatEvery, [] { return false; });
        if (stop.stop_requested()) break;
        lock.unlock();
        Status beat = heartbeat_();
        lock.lock();
        if (!beat.ok()) lost_ = std::move(beat);
      } else {
        if (watched_ != nullptr) watched_->Interrupt();
        cv_.wait_for(lock, stop, kInterruptEvery, [] { return false; });
      }
    }
  }

  const std::function<Status()> heartbeat_;
  std::mutex mu_;
  std::condition_variable_any cv_;
  Status lost_;                          // guarded by mu_
  duck::Connection* watched_ = nullptr;  // guarded by mu_
  std::jthread thread_;                  // last: started after the members it uses
};

// ---- the export statement ---------------------------------------------------------------------

// One partition file, readable locally.
struct Input {
  std::string path;
  WriteFormat format = WriteFormat::kParquet;
  int schema_version = 0;
};

bool HasColumn(const std::vector<ColumnDef>& columns, std::string_view name) {
  return std::any_of(columns.begin(), columns.end(),
                     [&](const ColumnDef& c) { return c.name == name; });
}

// The alias under which DuckDB input `i` is attached.
std::string InputAlias(size_t i) { return "export_input_" + std::to_string(i); }

std::string TimestampSql(UnixMicros t) { return "make_timestamp(" + std::to_string(t) + ")"; }

// COPY of the rows of `inputs` (DuckDB files attached as "export_input_<i>") within `range`,
// ordered by the timestamp column, to the Parquet file `destination`.
std::string ExportSql(const std::vector<ColumnDef>& columns, const std::string& timestamp_column,
                      const std::map<int, std::vector<ColumnDef>>& schemas,
                      const std::vector<Input>& inputs, const std::optional<TimeRange>& range,
                      const std::string& destination) {
  std::vector<partition::ScanFile> files;
  for (size_t i = 0; i < inputs.size(); ++i) {
    files.push_back({inputs[i].path, inputs[i].format, inputs[i].schema_version, InputAlias(i)});
  }
  std::vector<std::string> scans;
  for (const partition::Scan& scan : partition::GroupScans(files)) {
    scans.push_back("SELECT " +
                    partition::ProjectionSql(columns,
                                             partition::ColumnsOf(schemas, scan.schema_version),
                                             partition::PresentColumns::kCastToSchema) +
                    " FROM " + scan.from);
  }
  if (scans.empty()) {
    scans.push_back(
        "SELECT " +
        partition::ProjectionSql(columns, {}, partition::PresentColumns::kCastToSchema) +
        " WHERE false");
  }
  std::string source;
  for (const std::string& s : scans) source += (source.empty() ? "" : " UNION ALL ") + s;

  const std::string ts = duck::QuoteIdent(timestamp_column);
  std::string sql = "COPY (SELECT * FROM (" + source + ") AS export_rows";
  if (range) {
    sql += " WHERE " + ts + " >= " + TimestampSql(range->start) + " AND " + ts + " < " +
           TimestampSql(range->end);
  }
  sql += " ORDER BY " + ts + ") TO " + duck::QuoteLiteral(destination) +
         " (FORMAT parquet, COMPRESSION zstd)";
  return sql;
}

// Runs `sql` (an export COPY) in a private in-memory DuckDB with the DuckDB inputs attached
// read-only, spilling to `spill_dir`. Returns the number of rows written.
Result<int64_t> RunExportSql(const std::vector<Input>& inputs, const std::string& sql,
                             const std::string& spill_dir, LeaseKeeper& lease) {
  duck::DatabaseOptions options;
  options.extra.emplace_back("temp_directory", spill_dir);
  TS_ASSIGN_OR_RETURN(duck::Database db, duck::Database::Open(":memory:", options));
  TS_ASSIGN_OR_RETURN(duck::Connection connection, duck::Connection::Open(db));
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].format != WriteFormat::kDuckdb) continue;
    TS_RETURN_IF_ERROR(connection.Execute("ATTACH " + duck::QuoteLiteral(inputs[i].path) + " AS " +
                                          duck::QuoteIdent(InputAlias(i)) + " (READ_ONLY)"));
  }
  lease.Watch(&connection);
  Result<duck::QueryResult> copied = connection.Query(sql);
  lease.Watch(nullptr);
  TS_RETURN_IF_ERROR(lease.status());
  if (!copied.ok()) return copied.status();
  // COPY answers one row with the count of rows written.
  if (copied->column_count() != 1 || copied->row_count() != 1) {
    return common::Internal("COPY did not report how many rows it wrote");
  }
  return copied->GetInt64(0, 0);
}

// Removes the staging file and spill directory of one attempt, whatever happened to them.
struct StagingCleanup {
  StagingCleanup(std::string file_path, std::string spill_path)
      : file(std::move(file_path)), spill_dir(std::move(spill_path)) {}
  StagingCleanup(const StagingCleanup&) = delete;
  StagingCleanup& operator=(const StagingCleanup&) = delete;
  ~StagingCleanup() {
    std::error_code ignored;
    std::filesystem::remove(file, ignored);
    std::filesystem::remove_all(spill_dir, ignored);
  }
  const std::string file;
  const std::string spill_dir;
};

// The answer of a scheduled run within the minimum interval since the latest export, if so.
Result<std::optional<std::string>> SkippedAnswer(JobContext& context, const Dataset& dataset,
                                                 UnixMicros now) {
  TS_ASSIGN_OR_RETURN(std::optional<catalog::DatasetExport> latest,
                      context.catalog.exports().FindLatest(dataset.id));
  const int64_t min_interval_us =
      std::chrono::duration_cast<std::chrono::microseconds>(context.options.export_min_interval)
          .count();
  if (!latest || now - latest->created_at >= min_interval_us) return std::optional<std::string>();
  common::JsonWriter out;
  out.BeginObject()
      .Key("skipped")
      .String("the latest export (" + common::FormatIso8601(latest->created_at) +
              ") is less than " + std::to_string(context.options.export_min_interval.count()) +
              " s old")
      .Key("latestExportId")
      .String(latest->id.value())
      .EndObject();
  return std::optional<std::string>(out.str());
}

// Every schema version of the dataset, and the export's columns: the newest schema among the
// snapshot's partitions (schemas only ever add columns), else the dataset's current one, else the
// timestamp column alone.
struct ExportSchema {
  std::map<int, std::vector<ColumnDef>> versions;
  std::vector<ColumnDef> columns;
};

Result<ExportSchema> LoadExportSchema(catalog::Catalog& catalog, const Dataset& dataset,
                                      const std::vector<Partition>& live) {
  TS_ASSIGN_OR_RETURN(std::vector<catalog::SchemaVersion> schema_list,
                      catalog.datasets().ListSchemaVersions(dataset.id));
  ExportSchema schema;
  for (catalog::SchemaVersion& s : schema_list) schema.versions[s.version] = std::move(s.columns);
  int newest = 0;
  for (const Partition& p : live) newest = std::max(newest, p.schema_version);
  if (newest == 0) newest = dataset.current_schema_version.value_or(0);
  if (auto it = schema.versions.find(newest); it != schema.versions.end()) {
    schema.columns = it->second;
  }
  if (schema.columns.empty()) {
    schema.columns.push_back({dataset.timestamp_column, ColumnType::kTimestamp});
  }
  if (!HasColumn(schema.columns, dataset.timestamp_column)) {
    return common::Internal("schema version " + std::to_string(newest) + " of dataset '" +
                            dataset.slug + "' lacks the timestamp column '" +
                            dataset.timestamp_column + "'");
  }
  return schema;
}

// Where the export goes: the target of the newest partition, else the dataset's, else the
// default.
Result<StorageTarget> ExportTarget(catalog::Catalog& catalog, partition::StoreResolver& stores,
                                   const Dataset& dataset, const std::vector<Partition>& live) {
  const Partition* newest = nullptr;
  for (const Partition& p : live) {
    if (newest == nullptr || p.added_in_version > newest->added_in_version) newest = &p;
  }
  if (newest != nullptr) return stores.Target(newest->storage_target_id);
  if (dataset.default_storage_target_id) return stores.Target(*dataset.default_storage_target_id);
  TS_ASSIGN_OR_RETURN(std::optional<StorageTarget> fallback,
                      catalog.storage_targets().FindDefault());
  if (!fallback) return common::Unavailable("no default storage target is configured yet");
  return std::move(*fallback);
}

// The snapshot's partitions within `range` as local copies, checked against their checksums;
// `copies` pins the cached ones.
Result<std::vector<Input>> OpenInputs(JobContext& context, partition::StoreResolver& stores,
                                      const std::vector<Partition>& live, int64_t version,
                                      const std::optional<TimeRange>& range, LeaseKeeper& lease,
                                      std::vector<storage::LocalCopy>& copies) {
  std::vector<Input> inputs;
  for (const Partition& p : live) {
    if (range && (p.start_time >= range->end || p.end_time < range->start)) continue;
    TS_RETURN_IF_ERROR(lease.status());
    TS_ASSIGN_OR_RETURN(std::shared_ptr<storage::ObjectStore> store,
                        stores.ForTarget(p.storage_target_id));
    Result<storage::LocalCopy> copy =
        storage::OpenLocalCopy(*store, p.storage_target_id.value(), p.object_key.value(),
                               p.checksum_sha256, context.cache);
    if (!copy.ok()) {
      // A file of a live partition is gone: not the caller's mistake, so not kNotFound (which
      // would fail the job at once); a retry reads the then-current version.
      if (copy.status().code() == common::StatusCode::kNotFound) {
        return common::Internal("partition file '" + p.object_key.value() + "' of version " +
                                std::to_string(version) +
                                " is missing: " + copy.status().message());
      }
      return copy.status().WithContext("reading partition file '" + p.object_key.value() + "'");
    }
    if (copy->source == storage::LocalCopy::Source::kLocal) {
      TS_ASSIGN_OR_RETURN(std::string sha, storage::Sha256File(copy->path));
      if (sha != p.checksum_sha256) {
        return common::Internal("partition file '" + p.object_key.value() +
                                "' fails its checksum: " + sha + " instead of " +
                                p.checksum_sha256);
      }
    }
    inputs.push_back({copy->path, p.format, p.schema_version});
    copies.push_back(std::move(*copy));
  }
  return inputs;
}

// The written export file, not yet published.
struct ExportFile {
  int64_t rows = 0;
  int64_t bytes = 0;
  std::string sha256;
};

// Writes the export of `inputs` to `cleanup.file`.
Result<ExportFile> WriteExportFile(const ExportSchema& schema, const Dataset& dataset,
                                   const std::vector<Input>& inputs,
                                   const std::optional<TimeRange>& range,
                                   const StagingCleanup& cleanup, LeaseKeeper& lease) {
  const std::string sql = ExportSql(schema.columns, dataset.timestamp_column, schema.versions,
                                    inputs, range, cleanup.file);
  ExportFile file;
  Result<int64_t> rows = RunExportSql(inputs, sql, cleanup.spill_dir, lease);
  if (!rows.ok()) return rows.status().WithContext("writing the export file");
  file.rows = *rows;
  TS_ASSIGN_OR_RETURN(file.sha256, storage::Sha256File(cleanup.file));
  std::error_code ec;
  file.bytes = static_cast<int64_t>(std::filesystem::file_size(cleanup.file, ec));
  if (ec) return common::Internal("cannot stat the export file: " + ec.message());
  return file;
}

// Records the published export; deletes the file when it was definitely not recorded.
Result<catalog::DatasetExport> RecordExport(JobContext& context, const catalog::NewExport& record,
                                            storage::ObjectStore& store) {
  Result<catalog::DatasetExport> recorded = context.catalog.exports().Record(record);
  if (recorded.ok()) return recorded;
  const common::StatusCode code = recorded.status().code();
  // Definitely not recorded: the file is this attempt's own orphan. Otherwise (the database may
  // have committed) it is left for the sweeper, which keeps recorded exports.
  if (code == common::StatusCode::kInvalidArgument || code == common::StatusCode::kAlreadyExists ||
      code == common::StatusCode::kConflict) {
    if (Status deleted = store.Delete(record.object_key.value()); !deleted.ok()) {
      Log().Warn("cannot delete an unrecorded export file",
                 observability::LogFields()
                     .Add("key", record.object_key.value())
                     .Add("error", deleted.ToString()));
    }
  }
  return recorded.status().WithContext("recording the export");
}

std::string ExportAnswer(const catalog::DatasetExport& recorded, const catalog::NewExport& record,
                         const std::optional<TimeRange>& range) {
  common::JsonWriter out;
  out.BeginObject()
      .Key("exportId")
      .String(recorded.id.value())
      .Key("objectKey")
      .String(record.object_key.value())
      .Key("storageTargetId")
      .String(record.storage_target_id.value())
      .Key("rows")
      .Int(record.row_count)
      .Key("bytes")
      .Int(record.file_size_bytes)
      .Key("sha256")
      .String(record.checksum_sha256)
      .Key("version")
      .Int(record.version);
  if (range) {
    out.Key("timeRange")
        .BeginObject()
        .Key("start")
        .String(common::FormatIso8601(range->start))
        .Key("end")
        .String(common::FormatIso8601(range->end))
        .EndObject();
  }
  out.EndObject();
  return out.str();
}

// Makes the staging directory of `store` and this attempt's file and spill names in it.
Result<std::unique_ptr<StagingCleanup>> StageIn(storage::ObjectStore& store) {
  const std::string staging_dir = store.StagingDirectory();
  std::error_code ec;
  std::filesystem::create_directories(staging_dir, ec);
  if (ec) {
    return common::Internal("cannot create the staging directory '" + staging_dir +
                            "': " + ec.message());
  }
  const std::string attempt = common::RandomHex(16);
  return std::make_unique<StagingCleanup>(
      (std::filesystem::path(staging_dir) / ("export-" + attempt + ".parquet")).string(),
      (std::filesystem::path(staging_dir) / ("export-" + attempt + ".spill")).string());
}

}  // namespace

Result<ExportRequest> ParseExportPayload(std::string_view payload_json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (auto error = parser.parse(payload_json.data(), payload_json.size()).get(root); error) {
    return InvalidArgument(std::string("payload: not valid JSON: ") +
                           simdjson::error_message(error));
  }
  simdjson::dom::object object;
  if (root.get(object) != simdjson::SUCCESS) {
    return common::ExpectedJson("payload", "object", root);
  }
  ExportRequest request;
  std::set<std::string_view> seen;
  for (simdjson::dom::key_value_pair member : object) {
    const std::string where = member.key.empty() ? "\"\"" : Clip(member.key);
    if (!seen.insert(member.key).second) return InvalidArgument(where + ": duplicate field");
    if (member.key == "timeRange") {
      if (member.value.is_null()) continue;
      TS_ASSIGN_OR_RETURN(TimeRange range, ParseTimeRange(member.value));
      request.range = range;
    } else if (member.key == "scheduled") {
      bool scheduled = false;
      if (member.value.get(scheduled) != simdjson::SUCCESS) {
        return common::ExpectedJson("scheduled", "boolean", member.value);
      }
      request.scheduled = scheduled;
    } else {
      return InvalidArgument(where + ": unknown field");
    }
  }
  return request;
}

Result<std::string> ExportOperation::Run(JobContext& context) const {
  const catalog::Job& job = context.job;
  if (!job.dataset_id) return InvalidArgument("an export job needs a dataset");
  TS_ASSIGN_OR_RETURN(const ExportRequest request, ParseExportPayload(job.payload_json));
  catalog::Catalog& catalog = context.catalog;
  TS_ASSIGN_OR_RETURN(std::optional<Dataset> found, catalog.datasets().FindById(*job.dataset_id));
  if (!found) return common::NotFound("dataset '" + job.dataset_id->value() + "' not found");
  const Dataset dataset = std::move(*found);
  const UnixMicros now = context.now();
  if (request.scheduled) {
    TS_ASSIGN_OR_RETURN(std::optional<std::string> skipped, SkippedAnswer(context, dataset, now));
    if (skipped) return std::move(*skipped);
  }
  TS_RETURN_IF_ERROR(context.heartbeat());
  LeaseKeeper lease(context.heartbeat);

  // The snapshot: the live partitions at the current version V.
  const int64_t version = dataset.current_version;
  std::vector<Partition> live;
  if (version > 0) {
    TS_ASSIGN_OR_RETURN(live,
                        catalog.manifests().ListLivePartitions(dataset.id, version, std::nullopt));
  }
  TS_ASSIGN_OR_RETURN(const ExportSchema schema, LoadExportSchema(catalog, dataset, live));
  partition::StoreResolver stores(catalog, context.stores);
  TS_ASSIGN_OR_RETURN(const StorageTarget target, ExportTarget(catalog, stores, dataset, live));
  TS_ASSIGN_OR_RETURN(std::shared_ptr<storage::ObjectStore> export_store, stores.ForTarget(target));
  std::vector<storage::LocalCopy> copies;  // pins the cached inputs
  TS_ASSIGN_OR_RETURN(const std::vector<Input> inputs,
                      OpenInputs(context, stores, live, version, request.range, lease, copies));

  // Write the file in the target's staging directory.
  TS_ASSIGN_OR_RETURN(const std::unique_ptr<StagingCleanup> cleanup, StageIn(*export_store));
  TS_ASSIGN_OR_RETURN(const ExportFile file,
                      WriteExportFile(schema, dataset, inputs, request.range, *cleanup, lease));
  copies.clear();
  TS_RETURN_IF_ERROR(lease.status());

  // Publish under a fresh key, then record.
  catalog::NewExport record;
  record.object_key =
      common::ObjectKey("exports/" + dataset.slug + "/" + storage::CompactTimeSegment(now) + "-v" +
                        std::to_string(version) + "-" + common::RandomHex(4) + ".parquet");
  storage::PutOptions put;
  put.move = true;
  put.sha256_hex = file.sha256;
  TS_RETURN_IF_ERROR(export_store->PutFile(record.object_key.value(), cleanup->file, put));
  record.dataset_id = dataset.id;
  record.storage_target_id = target.id;
  record.version = version;
  if (request.range) {
    record.range_start = request.range->start;
    record.range_end = request.range->end;
  }
  record.row_count = file.rows;
  record.file_size_bytes = file.bytes;
  record.checksum_sha256 = file.sha256;
  record.job_id = job.id;
  record.created_at = now;
  TS_ASSIGN_OR_RETURN(const catalog::DatasetExport recorded,
                      RecordExport(context, record, *export_store));
  return ExportAnswer(recorded, record, request.range);
}

}  // namespace timestore::lifecycle
