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

// The select list producing `columns` from files with `present` columns: absent ones are typed
// NULLs, present ones cast to their type, so scans of every schema version union by position.
std::string ProjectionSql(const std::vector<ColumnDef>& columns,
                          const std::vector<ColumnDef>& present) {
  std::string sql;
  for (const ColumnDef& c : columns) {
    if (!sql.empty()) sql += ", ";
    const std::string type(catalog::SqlTypeName(c.type));
    const std::string name = duck::QuoteIdent(c.name);
    sql += "CAST(" + (HasColumn(present, c.name) ? name : std::string("NULL")) + " AS " + type +
           ") AS " + name;
  }
  return sql;
}

std::string TimestampSql(UnixMicros t) { return "make_timestamp(" + std::to_string(t) + ")"; }

// COPY of the rows of `inputs` (DuckDB files attached as "export_input_<i>") within `range`,
// ordered by the timestamp column, to the Parquet file `destination`.
std::string ExportSql(const std::vector<ColumnDef>& columns, const std::string& timestamp_column,
                      const std::map<int, std::vector<ColumnDef>>& schemas,
                      const std::vector<Input>& inputs, const std::optional<TimeRange>& range,
                      const std::string& destination) {
  static const std::vector<ColumnDef> kNone;
  auto present = [&](int version) -> const std::vector<ColumnDef>& {
    auto it = schemas.find(version);
    return it == schemas.end() ? kNone : it->second;
  };
  std::vector<std::string> scans;
  std::map<int, std::string> parquet_by_version;  // schema version -> quoted path list
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Input& in = inputs[i];
    if (in.format == WriteFormat::kDuckdb) {
      scans.push_back("SELECT " + ProjectionSql(columns, present(in.schema_version)) + " FROM " +
                      duck::QuoteIdent("export_input_" + std::to_string(i)) + ".records");
    } else {
      std::string& list = parquet_by_version[in.schema_version];
      list += (list.empty() ? "" : ", ") + duck::QuoteLiteral(in.path);
    }
  }
  for (const auto& [version, list] : parquet_by_version) {
    // Object keys look like hive partitions (".../window=.../..."): not columns.
    scans.push_back("SELECT " + ProjectionSql(columns, present(version)) + " FROM read_parquet([" +
                    list + "], hive_partitioning = false)");
  }
  if (scans.empty()) scans.push_back("SELECT " + ProjectionSql(columns, {}) + " WHERE false");
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
                                          duck::QuoteIdent("export_input_" + std::to_string(i)) +
                                          " (READ_ONLY)"));
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
    TS_ASSIGN_OR_RETURN(std::optional<catalog::DatasetExport> latest,
                        catalog.exports().FindLatest(dataset.id));
    const int64_t min_interval_us =
        std::chrono::duration_cast<std::chrono::microseconds>(context.options.export_min_interval)
            .count();
    if (latest && now - latest->created_at < min_interval_us) {
      common::JsonWriter out;
      out.BeginObject()
          .Key("skipped")
          .String("the latest export (" + common::FormatIso8601(latest->created_at) +
                  ") is less than " + std::to_string(context.options.export_min_interval.count()) +
                  " s old")
          .Key("latestExportId")
          .String(latest->id.value())
          .EndObject();
      return out.str();
    }
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

  // Columns: the newest schema among V's partitions (schemas only ever add columns), else the
  // dataset's current one, else the timestamp column alone.
  TS_ASSIGN_OR_RETURN(std::vector<catalog::SchemaVersion> schema_list,
                      catalog.datasets().ListSchemaVersions(dataset.id));
  std::map<int, std::vector<ColumnDef>> schemas;
  for (catalog::SchemaVersion& s : schema_list) schemas[s.version] = std::move(s.columns);
  int newest_schema = 0;
  for (const Partition& p : live) newest_schema = std::max(newest_schema, p.schema_version);
  if (newest_schema == 0) newest_schema = dataset.current_schema_version.value_or(0);
  std::vector<ColumnDef> columns;
  if (auto it = schemas.find(newest_schema); it != schemas.end()) columns = it->second;
  if (columns.empty()) columns.push_back({dataset.timestamp_column, ColumnType::kTimestamp});
  if (!HasColumn(columns, dataset.timestamp_column)) {
    return common::Internal("schema version " + std::to_string(newest_schema) + " of dataset '" +
                            dataset.slug + "' lacks the timestamp column '" +
                            dataset.timestamp_column + "'");
  }

  // Where the export goes: the target of the newest partition, else the dataset's, else the
  // default.
  std::map<std::string, std::shared_ptr<storage::ObjectStore>> stores;
  std::map<std::string, StorageTarget> targets;
  auto target_of = [&](const StorageTargetId& id) -> Result<const StorageTarget*> {
    auto it = targets.find(id.value());
    if (it == targets.end()) {
      TS_ASSIGN_OR_RETURN(StorageTarget t, catalog.storage_targets().Get(id));
      it = targets.emplace(id.value(), std::move(t)).first;
    }
    return &it->second;
  };
  auto store_of = [&](const StorageTarget& t) -> Result<std::shared_ptr<storage::ObjectStore>> {
    auto it = stores.find(t.id.value());
    if (it == stores.end()) {
      TS_ASSIGN_OR_RETURN(
          std::shared_ptr<storage::ObjectStore> s,
          context.stores.Get(t.id.value(), catalog::StorageKindName(t.kind), t.config_json));
      it = stores.emplace(t.id.value(), std::move(s)).first;
    }
    return it->second;
  };
  const Partition* newest_partition = nullptr;
  for (const Partition& p : live) {
    if (newest_partition == nullptr || p.added_in_version > newest_partition->added_in_version) {
      newest_partition = &p;
    }
  }
  const StorageTarget* target = nullptr;
  if (newest_partition != nullptr) {
    TS_ASSIGN_OR_RETURN(target, target_of(newest_partition->storage_target_id));
  } else if (dataset.default_storage_target_id) {
    TS_ASSIGN_OR_RETURN(target, target_of(*dataset.default_storage_target_id));
  } else {
    TS_ASSIGN_OR_RETURN(std::optional<StorageTarget> fallback,
                        catalog.storage_targets().FindDefault());
    if (!fallback) return common::Unavailable("no default storage target is configured yet");
    target = &targets.emplace(fallback->id.value(), std::move(*fallback)).first->second;
  }
  TS_ASSIGN_OR_RETURN(std::shared_ptr<storage::ObjectStore> export_store, store_of(*target));

  // The input files as local copies, checked against their checksums.
  std::vector<storage::LocalCopy> copies;
  std::vector<Input> inputs;
  for (const Partition& p : live) {
    if (request.range && (p.start_time >= request.range->end || p.end_time < request.range->start))
      continue;
    TS_RETURN_IF_ERROR(lease.status());
    TS_ASSIGN_OR_RETURN(const StorageTarget* t, target_of(p.storage_target_id));
    TS_ASSIGN_OR_RETURN(std::shared_ptr<storage::ObjectStore> store, store_of(*t));
    Result<storage::LocalCopy> copy = storage::OpenLocalCopy(*store, t->id.value(), p.object_key,
                                                             p.checksum_sha256, context.cache);
    if (!copy.ok()) {
      // A file of a live partition is gone: not the caller's mistake, so not kNotFound (which
      // would fail the job at once); a retry reads the then-current version.
      if (copy.status().code() == common::StatusCode::kNotFound) {
        return common::Internal("partition file '" + p.object_key + "' of version " +
                                std::to_string(version) +
                                " is missing: " + copy.status().message());
      }
      return copy.status().WithContext("reading partition file '" + p.object_key + "'");
    }
    if (copy->source == storage::LocalCopy::Source::kLocal) {
      TS_ASSIGN_OR_RETURN(std::string sha, storage::Sha256File(copy->path));
      if (sha != p.checksum_sha256) {
        return common::Internal("partition file '" + p.object_key + "' fails its checksum: " + sha +
                                " instead of " + p.checksum_sha256);
      }
    }
    inputs.push_back({copy->path, p.format, p.schema_version});
    copies.push_back(std::move(*copy));
  }

  // Write the file in the target's staging directory.
  const std::string staging_dir = export_store->StagingDirectory();
  std::error_code ec;
  std::filesystem::create_directories(staging_dir, ec);
  if (ec) {
    return common::Internal("cannot create the staging directory '" + staging_dir +
                            "': " + ec.message());
  }
  const std::string attempt = common::RandomHex(16);
  StagingCleanup cleanup{
      (std::filesystem::path(staging_dir) / ("export-" + attempt + ".parquet")).string(),
      (std::filesystem::path(staging_dir) / ("export-" + attempt + ".spill")).string()};
  const std::string sql =
      ExportSql(columns, dataset.timestamp_column, schemas, inputs, request.range, cleanup.file);
  Result<int64_t> rows = RunExportSql(inputs, sql, cleanup.spill_dir, lease);
  if (!rows.ok()) return rows.status().WithContext("writing the export file");
  copies.clear();  // unpin the cached inputs
  TS_ASSIGN_OR_RETURN(std::string sha256, storage::Sha256File(cleanup.file));
  const auto bytes = static_cast<int64_t>(std::filesystem::file_size(cleanup.file, ec));
  if (ec) return common::Internal("cannot stat the export file: " + ec.message());
  TS_RETURN_IF_ERROR(lease.status());

  // Publish under a fresh key, then record.
  const std::string key = "exports/" + dataset.slug + "/" + storage::CompactTimeSegment(now) +
                          "-v" + std::to_string(version) + "-" + common::RandomHex(4) + ".parquet";
  storage::PutOptions put;
  put.move = true;
  put.sha256_hex = sha256;
  TS_RETURN_IF_ERROR(export_store->PutFile(key, cleanup.file, put));

  catalog::NewExport record;
  record.dataset_id = dataset.id;
  record.storage_target_id = target->id;
  record.object_key = key;
  record.version = version;
  if (request.range) {
    record.range_start = request.range->start;
    record.range_end = request.range->end;
  }
  record.row_count = *rows;
  record.file_size_bytes = bytes;
  record.checksum_sha256 = sha256;
  record.job_id = job.id;
  record.created_at = now;
  Result<catalog::DatasetExport> recorded = catalog.exports().Record(record);
  if (!recorded.ok()) {
    const common::StatusCode code = recorded.status().code();
    // Definitely not recorded: the file is this attempt's own orphan. Otherwise (the database
    // may have committed) it is left for the sweeper, which keeps recorded exports.
    if (code == common::StatusCode::kInvalidArgument ||
        code == common::StatusCode::kAlreadyExists || code == common::StatusCode::kConflict) {
      if (Status deleted = export_store->Delete(key); !deleted.ok()) {
        Log().Warn("cannot delete an unrecorded export file",
                   observability::LogFields().Add("key", key).Add("error", deleted.ToString()));
      }
    }
    return recorded.status().WithContext("recording the export");
  }

  common::JsonWriter out;
  out.BeginObject()
      .Key("exportId")
      .String(recorded->id.value())
      .Key("objectKey")
      .String(key)
      .Key("storageTargetId")
      .String(target->id.value())
      .Key("rows")
      .Int(*rows)
      .Key("bytes")
      .Int(bytes)
      .Key("sha256")
      .String(sha256)
      .Key("version")
      .Int(version);
  if (request.range) {
    out.Key("timeRange")
        .BeginObject()
        .Key("start")
        .String(common::FormatIso8601(request.range->start))
        .Key("end")
        .String(common::FormatIso8601(request.range->end))
        .EndObject();
  }
  out.EndObject();
  return out.str();
}

}  // namespace timestore::lifecycle
