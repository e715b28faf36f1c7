#include "lifecycle/compaction.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <system_error>
#include <tuple>
#include <utility>
#include <vector>

#include <simdjson.h>

#include "common/json_writer.h"
#include "common/random_id.h"
#include "duck/connection.h"
#include "duck/database.h"
#include "duck/query_result.h"
#include "duck/sql_quoting.h"
#include "storage/local_copy.h"
#include "storage/object_key_segment.h"
#include "storage/object_store.h"
#include "storage/sha256_hasher.h"

namespace timestore::lifecycle {
namespace {

using catalog::ColumnDef;
using catalog::ColumnType;
using catalog::Partition;
using catalog::WriteFormat;
using common::Result;
using common::Status;
using common::UnixMicros;
using duck::QuoteIdent;
using duck::QuoteLiteral;
using simdjson::dom::element;
using simdjson::dom::element_type;

// The one table of a DuckDB partition file, and the Parquet row-group size: both as ingest writes
// them (ingest/partition_writer.h; lifecycle may not include ingest).
constexpr std::string_view kPartitionTable = "records";
constexpr int64_t kParquetRowGroupRows = 122'880;

// ---- Object keys: ingest's scheme, <slug>/<key>=<value>/.../window=<start>/<id>.<ext> ----------

// "<key>=<value>/..." for a stored partition_key_json, keys in byte order (as ingest sorts them;
// PostgreSQL's jsonb orders keys by length first).
Result<std::string> PartitionKeyPath(const std::string& partition_key_json) {
  simdjson::dom::parser parser;
  element doc;
  if (parser.parse(partition_key_json).get(doc) != simdjson::SUCCESS ||
      doc.type() != element_type::OBJECT) {
    return common::Internal("partition key is not a JSON object: " + partition_key_json);
  }
  std::map<std::string, std::string> sorted;
  const simdjson::dom::object members = doc.get_object().value_unsafe();
  for (auto field : members) {
    sorted[std::string(field.key)] = field.value.type() == element_type::STRING
                                         ? std::string(field.value.get_string().value_unsafe())
                                         : simdjson::minify(field.value);
  }
  std::string path;
  for (const auto& [name, value] : sorted)
    path += storage::EncodeKeySegment(name) + "=" + storage::EncodeKeySegment(value) + "/";
  return path;
}

// The inputs' attributes as one object; on a key present in several, the earliest input wins.
std::string MergeAttributes(const std::vector<const Partition*>& inputs) {
  simdjson::dom::parser parser;
  std::set<std::string> seen;
  std::vector<std::pair<std::string, std::string>> members;
  for (const Partition* p : inputs) {
    element doc;
    if (parser.parse(p->attributes_json).get(doc) != simdjson::SUCCESS ||
        doc.type() != element_type::OBJECT) {
      continue;
    }
    const simdjson::dom::object object = doc.get_object().value_unsafe();
    for (auto field : object) {
      std::string key(field.key);
      if (seen.insert(key).second) members.emplace_back(key, simdjson::minify(field.value));
    }
  }
  common::JsonWriter w;
  w.BeginObject();
  for (const auto& [key, value] : members) w.Key(key).Raw(value);
  w.EndObject();
  return w.str();
}

// ---- Planning ---------------------------------------------------------------------------------

// (storage target, partition_key_json, window_start, window_end)
using GroupKey = std::tuple<std::string, std::string, UnixMicros, UnixMicros>;

struct Step {
  std::vector<const Partition*> inputs;  // in start-time order
  int64_t bytes = 0;
  int64_t rows = 0;
};

// Packs one group's partitions, in start-time order, into steps of at most `target_bytes` and
// `max_rows` (a single partition above either bound stands alone); steps of one input are dropped.
std::vector<Step> PackSteps(std::vector<const Partition*> parts, int64_t target_bytes,
                            int64_t max_rows) {
  std::sort(parts.begin(), parts.end(), [](const Partition* a, const Partition* b) {
    if (a->start_time != b->start_time) return a->start_time < b->start_time;
    return a->id.value() < b->id.value();
  });
  std::vector<Step> steps;
  Step current;
  auto close = [&] {
    if (current.inputs.size() >= 2) steps.push_back(std::move(current));
    current = Step{};
  };
  for (const Partition* p : parts) {
    if (!current.inputs.empty() && (current.bytes + p->file_size_bytes > target_bytes ||
                                    current.rows + p->row_count > max_rows)) {
      close();
    }
    current.inputs.push_back(p);
    current.bytes += p->file_size_bytes;
    current.rows += p->row_count;
  }
  close();
  return steps;
}

// ---- Totals: the result, and the progress document that carries them across tries -------------

struct Totals {
  int64_t steps = 0;
  int64_t partitions_merged = 0;
  int64_t files_written = 0;
  int64_t rows = 0;
  int64_t bytes_before = 0;
  int64_t bytes_after = 0;
  int64_t conflicts = 0;
  std::optional<int64_t> version;

  // Starts from an earlier try's progress document; an empty or foreign one starts from zero.
  void Load(const std::string& progress_json) {
    simdjson::dom::parser parser;
    element doc;
    if (parser.parse(progress_json).get(doc) != simdjson::SUCCESS ||
        doc.type() != element_type::OBJECT) {
      return;
    }
    auto read = [&](const char* name, int64_t& out) {
      int64_t v = 0;
      if (doc[name].get(v) == simdjson::SUCCESS) out = v;
    };
    read("steps", steps);
    read("partitionsMerged", partitions_merged);
    read("filesWritten", files_written);
    read("rows", rows);
    read("bytesBefore", bytes_before);
    read("bytesAfter", bytes_after);
    read("conflicts", conflicts);
    int64_t v = 0;
    if (doc["version"].get(v) == simdjson::SUCCESS) version = v;
  }

  void Write(common::JsonWriter& w) const {
    w.Key("steps").Int(steps);
    w.Key("partitionsMerged").Int(partitions_merged);
    w.Key("filesWritten").Int(files_written);
    w.Key("rows").Int(rows);
    w.Key("bytesBefore").Int(bytes_before);
    w.Key("bytesAfter").Int(bytes_after);
    w.Key("conflicts").Int(conflicts);
    w.Key("version");
    if (version) {
      w.Int(*version);
    } else {
      w.Null();
    }
  }
};

// ---- One merge step -------------------------------------------------------------------------

// Removes a local file (and a DuckDB WAL next to it) when the scope ends. Used for staging files,
// which are gone already after a PutFile that moved them.
class RemoveOnExit {
 public:
  explicit RemoveOnExit(std::string path) : path_(std::move(path)) {}
  RemoveOnExit(const RemoveOnExit&) = delete;
  RemoveOnExit& operator=(const RemoveOnExit&) = delete;
  ~RemoveOnExit() {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
    std::filesystem::remove(path_ + ".wal", ignored);
  }

 private:
  std::string path_;
};

const ColumnDef* FindColumn(const std::vector<ColumnDef>& columns, std::string_view name) {
  for (const ColumnDef& c : columns) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

// The select list that reads `present` columns as `columns`: every column cast to its type, the
// absent ones typed NULLs, so scans of any schema version union by name.
std::string Projection(const std::vector<ColumnDef>& columns,
                       const std::vector<ColumnDef>& present) {
  std::string sql;
  for (const ColumnDef& c : columns) {
    if (!sql.empty()) sql += ", ";
    const std::string type(catalog::SqlTypeName(c.type));
    sql += FindColumn(present, c.name) != nullptr
               ? "CAST(" + QuoteIdent(c.name) + " AS " + type + ")"
               : "CAST(NULL AS " + type + ")";
    sql += " AS " + QuoteIdent(c.name);
  }
  return sql;
}

// What the catalog records about a merged file, computed from the file itself.
struct MergedFile {
  int64_t size_bytes = 0;
  std::string sha256_hex;
  int64_t row_count = 0;
  UnixMicros min_time = 0;
  UnixMicros max_time = 0;
  std::string column_statistics_json;
};

// Row count, time range and column statistics of the rows `source` (a FROM item) yields, in
// ingest's column_statistics_json format (see ingest/partition_writer.h PartitionFileStats).
Status ReadStatistics(duck::Connection& conn, const std::string& source,
                      const std::vector<ColumnDef>& columns, std::string_view timestamp_column,
                      MergedFile& out) {
  std::string sql = "SELECT count(*)";
  for (const ColumnDef& c : columns) {
    const std::string col = QuoteIdent(c.name);
    // Doubles: only finite values count for min/max (as ingest's statistics).
    const std::string filter =
        c.type == ColumnType::kDouble ? " FILTER (WHERE isfinite(" + col + "))" : "";
    sql += ", min(" + col + ")" + filter + ", max(" + col + ")" + filter + ", count(*) - count(" +
           col + ")";
  }
  sql += " FROM " + source;
  TS_ASSIGN_OR_RETURN(duck::QueryResult result, conn.Query(sql));
  out.row_count = result.GetInt64(0, 0);
  bool found_time = false;
  common::JsonWriter w;
  w.BeginObject();
  for (size_t i = 0; i < columns.size(); ++i) {
    const ColumnDef& c = columns[i];
    const size_t min_col = 1 + 3 * i;
    const size_t max_col = min_col + 1;
    w.Key(c.name).BeginObject();
    if (!result.IsNull(min_col, 0) && !result.IsNull(max_col, 0)) {
      switch (c.type) {
        case ColumnType::kTimestamp: {
          const int64_t lo = result.GetTimestampMicros(min_col, 0);
          const int64_t hi = result.GetTimestampMicros(max_col, 0);
          w.Key("min").String(common::FormatIso8601(lo));
          w.Key("max").String(common::FormatIso8601(hi));
          if (c.name == timestamp_column) {
            out.min_time = lo;
            out.max_time = hi;
            found_time = true;
          }
          break;
        }
        case ColumnType::kInteger:
          w.Key("min").Int(result.GetInt64(min_col, 0));
          w.Key("max").Int(result.GetInt64(max_col, 0));
          break;
        case ColumnType::kBoolean:
          w.Key("min").Bool(result.GetBool(min_col, 0));
          w.Key("max").Bool(result.GetBool(max_col, 0));
          break;
        case ColumnType::kDouble:
          w.Key("min").Double(result.GetDouble(min_col, 0));
          w.Key("max").Double(result.GetDouble(max_col, 0));
          break;
        case ColumnType::kString:
          w.Key("min").String(result.GetString(min_col, 0));
          w.Key("max").String(result.GetString(max_col, 0));
          break;
      }
    }
    w.Key("nullCount").Int(result.GetInt64(max_col + 1, 0));
    w.EndObject();
  }
  w.EndObject();
  if (!found_time && out.row_count > 0) {
    return common::Internal("merged file has no time range in column '" +
                            std::string(timestamp_column) + "'");
  }
  out.column_statistics_json = w.str();
  return Status::Ok();
}

struct MergeInput {
  std::string path;  // a local, readable copy
  WriteFormat format = WriteFormat::kParquet;
  const std::vector<ColumnDef>* columns = nullptr;  // of its schema version
  int schema_version = 0;
};

// Writes every row of `inputs`, sorted by `timestamp_column`, as `columns` into a new file at
// `path` in `format`, then reads its statistics back from the file. Runs on a private in-memory
// DuckDB instance, so nothing stays attached afterwards; a sort larger than memory spills into
// `spill_dir` (DuckDB would otherwise pick ".tmp" in the working directory).
Result<MergedFile> MergeFiles(const std::vector<MergeInput>& inputs,
                              const std::vector<ColumnDef>& columns,
                              std::string_view timestamp_column, WriteFormat format,
                              const std::string& path, const std::string& spill_dir) {
  MergedFile merged;
  {
    duck::DatabaseOptions db_options;
    db_options.extra.emplace_back("temp_directory", spill_dir);
    TS_ASSIGN_OR_RETURN(duck::Database db, duck::Database::Open(":memory:", db_options));
    TS_ASSIGN_OR_RETURN(duck::Connection conn, duck::Connection::Open(db));

    std::vector<std::string> scans;
    std::map<int, std::vector<const MergeInput*>> parquet_by_version;
    for (size_t i = 0; i < inputs.size(); ++i) {
      const MergeInput& in = inputs[i];
      if (in.format == WriteFormat::kParquet) {
        parquet_by_version[in.schema_version].push_back(&in);
        continue;
      }
      const std::string alias = "input_" + std::to_string(i);
      TS_RETURN_IF_ERROR(conn.Execute("ATTACH " + QuoteLiteral(in.path) + " AS " +
                                      QuoteIdent(alias) + " (READ_ONLY)"));
      scans.push_back("SELECT " + Projection(columns, *in.columns) + " FROM " + QuoteIdent(alias) +
                      ".main." + QuoteIdent(kPartitionTable));
    }
    for (const auto& [version, group] : parquet_by_version) {
      std::string list;
      for (const MergeInput* in : group) {
        list += (list.empty() ? "" : ", ") + QuoteLiteral(in->path);
      }
      // Object keys look like hive partitions (".../window=.../..."): not columns.
      scans.push_back("SELECT " + Projection(columns, *group.front()->columns) +
                      " FROM read_parquet([" + list + "], hive_partitioning = false)");
    }
    std::string rows;
    for (const std::string& s : scans) rows += (rows.empty() ? "" : " UNION ALL ") + s;
    rows = "SELECT * FROM (" + rows + ") ORDER BY " + QuoteIdent(timestamp_column);

    std::string source;  // the FROM item the statistics are read from
    if (format == WriteFormat::kParquet) {
      TS_RETURN_IF_ERROR(conn.Execute("COPY (" + rows + ") TO " + QuoteLiteral(path) +
                                      " (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE " +
                                      std::to_string(kParquetRowGroupRows) + ")"));
      source = "read_parquet(" + QuoteLiteral(path) + ", hive_partitioning = false)";
    } else {
      std::string ddl = "CREATE TABLE output.main." + QuoteIdent(kPartitionTable) + " (";
      for (size_t i = 0; i < columns.size(); ++i) {
        ddl += (i > 0 ? ", " : "") + QuoteIdent(columns[i].name) + " " +
               std::string(catalog::SqlTypeName(columns[i].type));
      }
      ddl += ")";
      TS_RETURN_IF_ERROR(conn.Execute("ATTACH " + QuoteLiteral(path) + " AS output"));
      Status written = conn.Execute(ddl);
      if (written.ok()) {
        written =
            conn.Execute("INSERT INTO output.main." + QuoteIdent(kPartitionTable) + " " + rows);
      }
      if (written.ok()) written = conn.Execute("CHECKPOINT output");
      const Status detached = conn.Execute("DETACH output");
      TS_RETURN_IF_ERROR(written);
      TS_RETURN_IF_ERROR(detached);
      if (std::filesystem::exists(path + ".wal")) {
        return common::Internal("DuckDB left a write-ahead log next to '" + path + "'");
      }
      TS_RETURN_IF_ERROR(conn.Execute("ATTACH " + QuoteLiteral(path) + " AS merged (READ_ONLY)"));
      source = "merged.main." + QuoteIdent(kPartitionTable);
    }
    TS_RETURN_IF_ERROR(ReadStatistics(conn, source, columns, timestamp_column, merged));
  }  // the instance closes here: the output is no longer open
  TS_ASSIGN_OR_RETURN(merged.sha256_hex, storage::Sha256File(path));
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return common::Internal("cannot stat '" + path + "': " + ec.message());
  merged.size_bytes = static_cast<int64_t>(size);
  return merged;
}

// What one Run shares between its steps.
struct RunState {
  JobContext& context;
  const catalog::Dataset& dataset;
  std::map<int, std::vector<ColumnDef>> schemas;                        // by schema version
  std::map<std::string, std::shared_ptr<storage::ObjectStore>> stores;  // by storage target id
};

Result<std::shared_ptr<storage::ObjectStore>> StoreFor(RunState& run,
                                                       const catalog::StorageTargetId& id) {
  if (auto it = run.stores.find(id.value()); it != run.stores.end()) return it->second;
  TS_ASSIGN_OR_RETURN(catalog::StorageTarget target, run.context.catalog.storage_targets().Get(id));
  TS_ASSIGN_OR_RETURN(
      std::shared_ptr<storage::ObjectStore> store,
      run.context.stores.Get(target.id.value(), catalog::StorageKindName(target.kind),
                             target.config_json));
  run.stores[id.value()] = store;
  return store;
}

enum class StepOutcome { kCommitted, kConflict };

struct StepResult {
  StepOutcome outcome = StepOutcome::kConflict;
  int64_t version = 0;
  int64_t output_bytes = 0;
};

// Runs one step: merge, publish, commit. kConflict from the commit is an outcome, not an error.
Result<StepResult> RunStep(RunState& run, const Step& step, const CompactionHooks& hooks,
                           const observability::Logger& logger) {
  JobContext& context = run.context;
  const catalog::Dataset& dataset = run.dataset;
  const Partition& first = *step.inputs.front();
  TS_ASSIGN_OR_RETURN(std::shared_ptr<storage::ObjectStore> store,
                      StoreFor(run, first.storage_target_id));
  const std::string target_id = first.storage_target_id.value();

  // The output's columns: those of the newest schema version among the inputs.
  int schema_version = 0;
  for (const Partition* p : step.inputs) {
    schema_version = std::max(schema_version, p->schema_version);
  }
  std::vector<MergeInput> inputs;
  std::vector<storage::LocalCopy> copies;  // pins remote inputs in the cache while they are read
  for (const Partition* p : step.inputs) {
    auto schema = run.schemas.find(p->schema_version);
    if (schema == run.schemas.end()) {
      return common::Internal("partition " + p->id.value() + " has schema version " +
                              std::to_string(p->schema_version) + ", which the catalog lacks");
    }
    auto copy =
        storage::OpenLocalCopy(*store, target_id, p->object_key, p->checksum_sha256, context.cache);
    if (copy.ok() && copy->source == storage::LocalCopy::Source::kLocal) {
      // A local file is read in place, unchecked by OpenLocalCopy: check it here.
      auto sha = storage::Sha256File(copy->path);
      if (!sha.ok()) {
        copy = sha.status();
      } else if (*sha != p->checksum_sha256) {
        return common::Internal("partition " + p->id.value() + " ('" + p->object_key +
                                "') does not match its SHA-256");
      }
    }
    if (!copy.ok()) {
      const Status s = copy.status().WithContext("reading partition " + p->id.value());
      // A missing input is retried later: by then it is either back or no longer live.
      if (s.code() == common::StatusCode::kNotFound) return common::Unavailable(s.message());
      return s;
    }
    inputs.push_back(MergeInput{copy->path, p->format, &schema->second, p->schema_version});
    copies.push_back(std::move(*copy));
  }
  const std::vector<ColumnDef>& columns = run.schemas[schema_version];

  const std::string id = common::RandomId("part-");
  const std::string ext = dataset.write_format == WriteFormat::kDuckdb ? "duckdb" : "parquet";
  TS_ASSIGN_OR_RETURN(std::string key_path, PartitionKeyPath(first.partition_key_json));
  const std::string key = dataset.slug + "/" + key_path +
                          "window=" + storage::CompactTimeSegment(first.window_start) + "/" + id +
                          "." + ext;
  std::error_code ec;
  std::filesystem::create_directories(store->StagingDirectory(), ec);
  const std::string staging =
      (std::filesystem::path(store->StagingDirectory()) / (id + "." + ext)).string();
  RemoveOnExit remove_staging(staging);
  const std::string spill_dir = staging + ".spill";
  auto merged = MergeFiles(inputs, columns, dataset.timestamp_column, dataset.write_format, staging,
                           spill_dir);
  std::filesystem::remove_all(spill_dir, ec);
  if (!merged.ok()) {
    const Status s = merged.status().WithContext("merging into " + staging);
    // DuckDB reports what it refuses as invalid input; here the SQL and the files are ours, and
    // the job's request is not at fault.
    const common::StatusCode code = s.code();
    if (code == common::StatusCode::kInvalidArgument || code == common::StatusCode::kNotFound) {
      return common::Internal(s.message());
    }
    return s;
  }
  copies.clear();
  if (merged->row_count != step.rows) {
    return common::Internal("merging " + std::to_string(step.inputs.size()) + " partitions of " +
                            std::to_string(step.rows) + " rows gave " +
                            std::to_string(merged->row_count) + " rows; output discarded");
  }

  // Publish under the fresh key (invariant 3: before the commit that references it). A local
  // store takes the staging file by rename; a remote one gets a copy, which then goes into the
  // partition cache so that this node never downloads what it wrote.
  const bool remote = !store->LocalPath(key).has_value();
  storage::PutOptions put;
  put.move = !remote || context.cache == nullptr;
  put.sha256_hex = merged->sha256_hex;
  TS_RETURN_IF_ERROR(store->PutFile(key, staging, put).WithContext("publishing " + key));
  if (remote && context.cache != nullptr) {
    if (Status cached = context.cache->Insert(target_id, key, staging); !cached.ok()) {
      logger.Warn("write-through to the partition cache failed",
                  observability::LogFields().Add("key", key).Add("error", cached.message()));
    }
  }
  auto discard = [&](std::string_view why) {
    if (Status deleted = store->Delete(key); !deleted.ok()) {
      logger.Warn("cannot delete a discarded compaction output (the sweeper will)",
                  observability::LogFields().Add("key", key).Add("error", deleted.message()));
    }
    logger.Info(
        "compaction output discarded",
        observability::LogFields().Add("dataset", dataset.slug).Add("key", key).Add("reason", why));
  };

  catalog::NewPartition output;
  output.id = catalog::PartitionId(id);
  output.storage_target_id = first.storage_target_id;
  output.object_key = key;
  output.format = dataset.write_format;
  output.file_size_bytes = merged->size_bytes;
  output.row_count = merged->row_count;
  output.start_time = merged->min_time;
  output.end_time = merged->max_time;
  output.window_start = first.window_start;
  output.window_end = first.window_end;
  output.partition_key_json = first.partition_key_json;
  output.attributes_json = MergeAttributes(step.inputs);
  output.schema_version = schema_version;
  output.checksum_sha256 = merged->sha256_hex;
  output.column_statistics_json = merged->column_statistics_json;

  if (hooks.before_commit) {
    if (Status hooked = hooks.before_commit(output); !hooked.ok()) {
      discard(hooked.message());
      return hooked;
    }
  }

  catalog::VersionCommit commit;
  commit.dataset_id = dataset.id;
  commit.kind = catalog::VersionKind::kCompaction;
  commit.actor = context.actor;
  commit.schema_version = schema_version;
  commit.add.push_back(output);
  for (const Partition* p : step.inputs) commit.remove.push_back(p->id);
  common::JsonWriter details;
  details.BeginObject()
      .Key("jobId")
      .String(context.job.id.value())
      .Key("inputs")
      .Int(static_cast<int64_t>(step.inputs.size()))
      .EndObject();
  commit.details_json = details.str();
  auto committed = context.catalog.manifests().Commit(commit);
  if (!committed.ok()) {
    if (committed.status().code() == common::StatusCode::kConflict) {
      // Nothing changed: an input is no longer live (another worker compacted it, or retention).
      discard(committed.status().message());
      return StepResult{};
    }
    // Any other failure may have committed after all (a connection lost during COMMIT): the
    // output is left for the sweeper, which deletes it only if nothing references it.
    return committed.status().WithContext("committing a compaction step");
  }
  logger.Info("compaction step committed",
              observability::LogFields()
                  .Add("dataset", dataset.slug)
                  .Add("version", committed->version.version)
                  .Add("inputs", static_cast<int64_t>(step.inputs.size()))
                  .Add("rows", merged->row_count)
                  .Add("key", key));
  return StepResult{StepOutcome::kCommitted, committed->version.version, merged->size_bytes};
}

}  // namespace

CompactionOperation::CompactionOperation(CompactionHooks hooks)
    : hooks_(std::move(hooks)), logger_(observability::GetLogger("lifecycle.compaction")) {}

Result<std::string> CompactionOperation::Run(JobContext& context) const {
  const catalog::Job& job = context.job;
  if (!job.dataset_id) return common::InvalidArgument("a compaction job needs a dataset");
  {
    simdjson::dom::parser parser;
    element payload;
    const std::string text = job.payload_json.empty() ? "{}" : job.payload_json;
    if (parser.parse(text).get(payload) != simdjson::SUCCESS ||
        payload.type() != element_type::OBJECT) {
      return common::InvalidArgument("compaction payload: expected a JSON object");
    }
  }
  TS_ASSIGN_OR_RETURN(std::optional<catalog::Dataset> found,
                      context.catalog.datasets().FindById(*job.dataset_id));
  if (!found) return common::NotFound("dataset " + job.dataset_id->value() + " not found");
  const catalog::Dataset& dataset = *found;
  const LifecycleOptions& options = context.options;

  Totals totals;
  totals.Load(job.progress_json);
  int64_t groups = 0;
  if (dataset.current_version > 0) {
    TS_ASSIGN_OR_RETURN(std::vector<Partition> live, context.catalog.manifests().ListLivePartitions(
                                                         dataset.id, std::nullopt, std::nullopt));
    std::map<GroupKey, std::vector<const Partition*>> by_group;
    for (const Partition& p : live) {
      if (p.file_size_bytes >= options.compaction_small_bytes) continue;
      by_group[GroupKey{p.storage_target_id.value(), p.partition_key_json, p.window_start,
                        p.window_end}]
          .push_back(&p);
    }
    RunState run{context, dataset, {}, {}};
    TS_ASSIGN_OR_RETURN(std::vector<catalog::SchemaVersion> schemas,
                        context.catalog.datasets().ListSchemaVersions(dataset.id));
    for (catalog::SchemaVersion& s : schemas) run.schemas[s.version] = std::move(s.columns);

    for (auto& [group_key, parts] : by_group) {
      if (parts.size() < 2) continue;
      ++groups;
      for (const Step& step : PackSteps(std::move(parts), options.compaction_target_bytes,
                                        options.compaction_max_rows_per_step)) {
        TS_RETURN_IF_ERROR(context.heartbeat());
        TS_ASSIGN_OR_RETURN(StepResult result, RunStep(run, step, hooks_, logger_));
        if (result.outcome == StepOutcome::kConflict) {
          ++totals.conflicts;
          continue;
        }
        ++totals.steps;
        totals.partitions_merged += static_cast<int64_t>(step.inputs.size());
        ++totals.files_written;
        totals.rows += step.rows;
        totals.bytes_before += step.bytes;
        totals.bytes_after += result.output_bytes;
        totals.version = result.version;
        common::JsonWriter progress;
        progress.BeginObject();
        totals.Write(progress);
        progress.EndObject();
        TS_RETURN_IF_ERROR(context.save_progress(progress.str()));
      }
    }
  }
  common::JsonWriter out;
  out.BeginObject().Key("groups").Int(groups);
  totals.Write(out);
  out.EndObject();
  return out.str();
}

}  // namespace timestore::lifecycle
