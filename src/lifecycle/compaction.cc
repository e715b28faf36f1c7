#include "lifecycle/compaction.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <system_error>
#include <thread>
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
#include "lifecycle/merge_budget.h"
#include "partition/column_statistics.h"
#include "partition/duckdb_file.h"
#include "partition/file_format.h"
#include "partition/scan_sql.h"
#include "partition/staging_file.h"
#include "partition/store_resolver.h"
#include "storage/local_copy.h"
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
using partition::JsonScalar;
using simdjson::dom::element;
using simdjson::dom::element_type;

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

// Packs one group's partitions, in start-time order, into steps of at most `target_bytes`,
// `max_rows` and `max_inputs` partitions (a single partition above a bound stands alone); steps of
// one input are dropped.
std::vector<Step> PackSteps(std::vector<const Partition*> parts, int64_t target_bytes,
                            int64_t max_rows, int64_t max_inputs) {
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
                                    current.rows + p->row_count > max_rows ||
                                    static_cast<int64_t>(current.inputs.size()) >= max_inputs)) {
      close();
    }
    current.inputs.push_back(p);
    current.bytes += p->file_size_bytes;
    current.rows += p->row_count;
  }
  close();
  return steps;
}

// The first and the second half of `step`'s inputs, each a step of its own. Precondition: the step
// has at least four inputs, so that both halves merge two or more.
std::pair<Step, Step> SplitStep(const Step& step) {
  std::pair<Step, Step> halves;
  const size_t middle = step.inputs.size() / 2;
  for (size_t i = 0; i < step.inputs.size(); ++i) {
    Step& half = i < middle ? halves.first : halves.second;
    half.inputs.push_back(step.inputs[i]);
    half.bytes += step.inputs[i]->file_size_bytes;
    half.rows += step.inputs[i]->row_count;
  }
  return halves;
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
  int64_t over_budget = 0;
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
    read("overBudget", over_budget);
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
    w.Key("overBudget").Int(over_budget);
    w.Key("version");
    if (version) {
      w.Int(*version);
    } else {
      w.Null();
    }
  }
};

// ---- One merge step -------------------------------------------------------------------------

// What the catalog records about a merged file, computed from the file itself.
struct MergedFile {
  int64_t size_bytes = 0;
  std::string sha256_hex;
  int64_t row_count = 0;
  UnixMicros min_time = 0;
  UnixMicros max_time = 0;
  partition::ColumnStatisticsList statistics;
};

// Min and max of column `c` in columns `min_col` and `min_col + 1` of `result`'s first row.
void ReadMinMax(const duck::QueryResult& result, const ColumnDef& c, size_t min_col,
                partition::ColumnStatistics& stats) {
  const size_t max_col = min_col + 1;
  if (result.IsNull(min_col, 0) || result.IsNull(max_col, 0)) return;
  switch (c.type) {
    case ColumnType::kTimestamp:
      stats.min = JsonScalar::Timestamp(result.GetTimestampMicros(min_col, 0));
      stats.max = JsonScalar::Timestamp(result.GetTimestampMicros(max_col, 0));
      break;
    case ColumnType::kInteger:
      stats.min = JsonScalar::Integer(result.GetInt64(min_col, 0));
      stats.max = JsonScalar::Integer(result.GetInt64(max_col, 0));
      break;
    case ColumnType::kBoolean:
      stats.min = JsonScalar::Boolean(result.GetBool(min_col, 0));
      stats.max = JsonScalar::Boolean(result.GetBool(max_col, 0));
      break;
    case ColumnType::kDouble:
      stats.min = JsonScalar::Double(result.GetDouble(min_col, 0));
      stats.max = JsonScalar::Double(result.GetDouble(max_col, 0));
      break;
    case ColumnType::kString:
      stats.min = JsonScalar::String(result.GetString(min_col, 0));
      stats.max = JsonScalar::String(result.GetString(max_col, 0));
      break;
  }
}

// Row count, time range and column statistics of the rows `source` (a FROM item) yields, as the
// partition writer records them (partition/column_statistics.h).
Status ReadStatistics(duck::Connection& conn, const std::string& source,
                      const std::vector<ColumnDef>& columns, std::string_view timestamp_column,
                      MergedFile& out) {
  std::string sql = "SELECT count(*)";
  for (const ColumnDef& c : columns) {
    const std::string col = QuoteIdent(c.name);
    // Doubles: only finite values count for min/max (as the writer's statistics).
    const std::string filter =
        c.type == ColumnType::kDouble ? " FILTER (WHERE isfinite(" + col + "))" : "";
    sql += ", min(" + col + ")" + filter + ", max(" + col + ")" + filter + ", count(*) - count(" +
           col + ")";
  }
  sql += " FROM " + source;
  TS_ASSIGN_OR_RETURN(duck::QueryResult result, conn.Query(sql));
  out.row_count = result.GetInt64(0, 0);
  bool found_time = false;
  out.statistics.clear();
  for (size_t i = 0; i < columns.size(); ++i) {
    const ColumnDef& c = columns[i];
    const size_t min_col = 1 + 3 * i;
    partition::ColumnStatistics stats;
    ReadMinMax(result, c, min_col, stats);
    stats.null_count = result.GetInt64(min_col + 2, 0);
    if (c.name == timestamp_column && c.type == ColumnType::kTimestamp && stats.min) {
      out.min_time = result.GetTimestampMicros(min_col, 0);
      out.max_time = result.GetTimestampMicros(min_col + 1, 0);
      found_time = true;
    }
    out.statistics.emplace_back(c.name, std::move(stats));
  }
  if (!found_time && out.row_count > 0) {
    return common::Internal("merged file has no time range in column '" +
                            std::string(timestamp_column) + "'");
  }
  return Status::Ok();
}

struct MergeInput {
  std::string path;  // a local, readable copy
  WriteFormat format = WriteFormat::kParquet;
  const std::vector<ColumnDef>* columns = nullptr;  // of its schema version
  int schema_version = 0;
};

// The rows of `inputs` as `columns`, sorted by `timestamp_column`: a SELECT over the scans of
// the inputs; DuckDB inputs are attached read-only on `conn` first.
Result<std::string> MergedRowsSql(duck::Connection& conn, const std::vector<MergeInput>& inputs,
                                  const std::vector<ColumnDef>& columns,
                                  std::string_view timestamp_column) {
  std::vector<partition::ScanFile> files;
  std::map<int, const std::vector<ColumnDef>*> present;  // by schema version
  for (size_t i = 0; i < inputs.size(); ++i) {
    const MergeInput& in = inputs[i];
    partition::ScanFile file{in.path, in.format, in.schema_version, ""};
    if (in.format == WriteFormat::kDuckdb) {
      file.attached_as = "input_" + std::to_string(i);
      TS_RETURN_IF_ERROR(conn.Execute("ATTACH " + QuoteLiteral(in.path) + " AS " +
                                      QuoteIdent(file.attached_as) + " (READ_ONLY)"));
    }
    present[in.schema_version] = in.columns;
    files.push_back(std::move(file));
  }
  std::string rows;
  for (const partition::Scan& scan : partition::GroupScans(files)) {
    rows += (rows.empty() ? "" : " UNION ALL ") + std::string("SELECT ") +
            partition::ProjectionSql(columns, *present[scan.schema_version],
                                     partition::PresentColumns::kCastToSchema) +
            " FROM " + scan.from;
  }
  return "SELECT * FROM (" + rows + ") ORDER BY " + QuoteIdent(timestamp_column);
}

// Writes `rows` (a SELECT) as a DuckDB partition file at `path` with `columns`, and attaches the
// finished file read-only as "merged". Returns the FROM item of its table.
Result<std::string> WriteDuckdbOutput(duck::Connection& conn, const std::string& rows,
                                      const std::vector<ColumnDef>& columns,
                                      const std::string& path) {
  const std::string table = "output.main." + QuoteIdent(partition::kTableName);
  TS_RETURN_IF_ERROR(partition::WriteDuckdbDatabase(conn, path, "output", "", [&]() -> Status {
    TS_RETURN_IF_ERROR(
        conn.Execute("CREATE TABLE " + table + " " + partition::ColumnListDdl(columns)));
    return conn.Execute("INSERT INTO " + table + " " + rows);
  }));
  TS_RETURN_IF_ERROR(conn.Execute("ATTACH " + QuoteLiteral(path) + " AS merged (READ_ONLY)"));
  return partition::AttachedTableSql("merged");
}

// Writes every row of `inputs`, sorted by `timestamp_column`, as `columns` into a new file at
// `path` in `format`, then reads its statistics back from the file. Runs on a private in-memory
// DuckDB instance with `budget`'s settings, so nothing stays attached afterwards; a sort larger
// than the budget spills into `spill_dir` (DuckDB would otherwise pick ".tmp" in the working
// directory). kResourceExhausted when DuckDB cannot stay within the budget.
Result<MergedFile> MergeFiles(const std::vector<MergeInput>& inputs,
                              const std::vector<ColumnDef>& columns,
                              std::string_view timestamp_column, WriteFormat format,
                              const std::string& path, const MergeBudget& budget,
                              const std::string& spill_dir) {
  MergedFile merged;
  {
    TS_ASSIGN_OR_RETURN(duck::Database db,
                        duck::Database::Open(":memory:", budget.DatabaseOptions(spill_dir)));
    TS_ASSIGN_OR_RETURN(duck::Connection conn, duck::Connection::Open(db));
    TS_ASSIGN_OR_RETURN(const std::string rows,
                        MergedRowsSql(conn, inputs, columns, timestamp_column));
    std::string source;  // the FROM item the statistics are read from
    if (format == WriteFormat::kParquet) {
      TS_RETURN_IF_ERROR(conn.Execute("COPY (" + rows + ") TO " + QuoteLiteral(path) + " " +
                                      partition::ParquetCopyOptions()));
      source = partition::ParquetScanSql({path});
    } else {
      TS_ASSIGN_OR_RETURN(source, WriteDuckdbOutput(conn, rows, columns, path));
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
  std::map<int, std::vector<ColumnDef>> schemas;  // by schema version
  partition::StoreResolver stores;                // each target's row read once per run
  MergeBudget budget;
  std::timed_mutex& merge_mutex;  // held while a merge runs: one at a time per operation
};

// kCommitted, or nothing committed: kConflict (an input is no longer live) or kOverBudget (the
// merge could not stay within the memory budget; its output was never published).
enum class StepOutcome { kCommitted, kConflict, kOverBudget };

// How long a step waits for another job's merge before it heartbeats its own job again.
constexpr std::chrono::seconds kMergeWaitSlice{5};

// Takes `mutex`, heartbeating the job while another merge holds it (the heartbeat's error ends
// the wait).
Result<std::unique_lock<std::timed_mutex>> LockMerge(std::timed_mutex& mutex, JobContext& context) {
  std::unique_lock lock(mutex, std::defer_lock);
  while (!lock.try_lock_for(kMergeWaitSlice)) TS_RETURN_IF_ERROR(context.heartbeat());
  return lock;
}

struct StepResult {
  StepOutcome outcome = StepOutcome::kConflict;
  int64_t version = 0;
  int64_t output_bytes = 0;
};

// The inputs of `step` as local, checksum-verified files; `copies` pins remote ones in the cache
// while they are read.
Result<std::vector<MergeInput>> OpenInputs(RunState& run, const Step& step,
                                           storage::ObjectStore& store,
                                           std::vector<storage::LocalCopy>& copies) {
  const std::string target_id = step.inputs.front()->storage_target_id.value();
  std::vector<MergeInput> inputs;
  for (const Partition* p : step.inputs) {
    auto schema = run.schemas.find(p->schema_version);
    if (schema == run.schemas.end()) {
      return common::Internal("partition " + p->id.value() + " has schema version " +
                              std::to_string(p->schema_version) + ", which the catalog lacks");
    }
    auto copy = storage::OpenLocalCopy(store, target_id, p->object_key.value(), p->checksum_sha256,
                                       run.context.cache);
    if (copy.ok() && copy->source == storage::LocalCopy::Source::kLocal) {
      // A local file is read in place, unchecked by OpenLocalCopy: check it here.
      auto sha = storage::Sha256File(copy->path);
      if (!sha.ok()) {
        copy = sha.status();
      } else if (*sha != p->checksum_sha256) {
        return common::Internal("partition " + p->id.value() + " ('" + p->object_key.value() +
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
  return inputs;
}

// Merges `step`'s inputs into the staging file `staging` with the columns of schema version
// `schema_version`, once no other merge of this operation runs; checks that no row was lost.
// Nothing (logged) when DuckDB could not merge them within the memory budget.
Result<std::optional<MergedFile>> MergeStep(RunState& run, const Step& step,
                                            storage::ObjectStore& store, int schema_version,
                                            const std::string& staging,
                                            const observability::Logger& logger) {
  std::vector<storage::LocalCopy> copies;
  TS_ASSIGN_OR_RETURN(std::vector<MergeInput> inputs, OpenInputs(run, step, store, copies));
  const std::string spill_dir = staging + ".spill";
  TS_ASSIGN_OR_RETURN(std::unique_lock<std::timed_mutex> merging,
                      LockMerge(run.merge_mutex, run.context));
  auto merged = MergeFiles(inputs, run.schemas[schema_version], run.dataset.timestamp_column,
                           run.dataset.write_format, staging, run.budget, spill_dir);
  merging.unlock();
  std::error_code ec;
  std::filesystem::remove_all(spill_dir, ec);
  if (!merged.ok() && merged.status().code() == common::StatusCode::kResourceExhausted) {
    logger.Warn("compaction step exceeds the memory budget",
                observability::LogFields()
                    .Add("dataset", run.dataset.slug)
                    .Add("inputs", static_cast<int64_t>(step.inputs.size()))
                    .Add("rows", step.rows)
                    .Add("budgetBytes", run.budget.budget_bytes)
                    .Add("error", merged.status().message()));
    return std::optional<MergedFile>();
  }
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
  if (merged->row_count != step.rows) {
    return common::Internal("merging " + std::to_string(step.inputs.size()) + " partitions of " +
                            std::to_string(step.rows) + " rows gave " +
                            std::to_string(merged->row_count) + " rows; output discarded");
  }
  return std::optional<MergedFile>(std::move(*merged));
}

// The catalog row of a step's merged output.
catalog::NewPartition OutputPartition(const Step& step, const catalog::Dataset& dataset,
                                      const std::string& id, const common::ObjectKey& key,
                                      int schema_version, const MergedFile& merged) {
  const Partition& first = *step.inputs.front();
  catalog::NewPartition output;
  output.id = catalog::PartitionId(id);
  output.storage_target_id = first.storage_target_id;
  output.object_key = key;
  output.format = dataset.write_format;
  output.file_size_bytes = merged.size_bytes;
  output.row_count = merged.row_count;
  output.start_time = merged.min_time;
  output.end_time = merged.max_time;
  output.window_start = first.window_start;
  output.window_end = first.window_end;
  output.partition_key_json = first.partition_key_json;
  output.attributes_json = MergeAttributes(step.inputs);
  output.schema_version = schema_version;
  output.checksum_sha256 = merged.sha256_hex;
  output.column_statistics_json = partition::EncodeColumnStatistics(merged.statistics);
  return output;
}

// Publishes `staging` under `key` (invariant 3: before the commit that references it). A local
// store takes the staging file by rename; a remote one gets a copy, which then goes into the
// partition cache so that this node never downloads what it wrote.
Status PublishOutput(JobContext& context, storage::ObjectStore& store, const std::string& target_id,
                     const common::ObjectKey& key, const std::string& staging,
                     const MergedFile& merged, const observability::Logger& logger) {
  const bool remote = !store.LocalPath(key.value()).has_value();
  storage::PutOptions put;
  put.move = !remote || context.cache == nullptr;
  put.sha256_hex = merged.sha256_hex;
  TS_RETURN_IF_ERROR(
      store.PutFile(key.value(), staging, put).WithContext("publishing " + key.value()));
  if (remote && context.cache != nullptr) {
    if (Status cached = context.cache->Insert(target_id, key.value(), staging); !cached.ok()) {
      logger.Warn(
          "write-through to the partition cache failed",
          observability::LogFields().Add("key", key.value()).Add("error", cached.message()));
    }
  }
  return Status::Ok();
}

// Commits the version that swaps `step`'s inputs for `output`. kConflict when an input is no
// longer live.
Result<catalog::CommitResult> CommitStep(JobContext& context, const catalog::Dataset& dataset,
                                         const Step& step, const catalog::NewPartition& output) {
  catalog::VersionCommit commit;
  commit.dataset_id = dataset.id;
  commit.kind = catalog::VersionKind::kCompaction;
  commit.actor = context.actor;
  commit.schema_version = output.schema_version;
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
  return context.catalog.manifests().Commit(commit);
}

// Runs one step: merge, publish, commit. kConflict from the commit and a merge over the memory
// budget are outcomes, not errors.
Result<StepResult> RunStep(RunState& run, const Step& step, const partition::FaultPoints& faults,
                           const observability::Logger& logger) {
  const catalog::Dataset& dataset = run.dataset;
  const Partition& first = *step.inputs.front();
  TS_ASSIGN_OR_RETURN(std::shared_ptr<storage::ObjectStore> store,
                      run.stores.ForTarget(first.storage_target_id));
  // The output's columns: those of the newest schema version among the inputs.
  int schema_version = 0;
  for (const Partition* p : step.inputs) {
    schema_version = std::max(schema_version, p->schema_version);
  }
  const std::string id = partition::NewPartitionId();
  auto partition_key = partition::PartitionKey::FromJson(first.partition_key_json);
  if (!partition_key.ok()) return common::Internal(partition_key.status().message());
  const common::ObjectKey key = partition::PartitionObjectKey(
      dataset.slug, *partition_key, first.window_start, id, dataset.write_format);
  std::error_code ec;
  std::filesystem::create_directories(store->StagingDirectory(), ec);
  const std::string staging = (std::filesystem::path(store->StagingDirectory()) /
                               partition::FileName(id, dataset.write_format))
                                  .string();
  partition::StagingFile remove_staging(staging);  // gone already when moved
  TS_ASSIGN_OR_RETURN(std::optional<MergedFile> merge,
                      MergeStep(run, step, *store, schema_version, staging, logger));
  if (!merge) return StepResult{StepOutcome::kOverBudget};
  const MergedFile& merged = *merge;
  TS_RETURN_IF_ERROR(PublishOutput(run.context, *store, first.storage_target_id.value(), key,
                                   staging, merged, logger));
  auto discard = [&](std::string_view why) {
    if (Status deleted = store->Delete(key.value()); !deleted.ok()) {
      logger.Warn(
          "cannot delete a discarded compaction output (the sweeper will)",
          observability::LogFields().Add("key", key.value()).Add("error", deleted.message()));
    }
    logger.Info("compaction output discarded", observability::LogFields()
                                                   .Add("dataset", dataset.slug)
                                                   .Add("key", key.value())
                                                   .Add("reason", why));
  };
  const catalog::NewPartition output =
      OutputPartition(step, dataset, id, key, schema_version, merged);
  if (faults.after_publish) {
    if (Status hooked = faults.after_publish(output); !hooked.ok()) {
      discard(hooked.message());
      return hooked;
    }
  }
  auto committed = CommitStep(run.context, dataset, step, output);
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
  if (faults.after_commit) faults.after_commit();
  logger.Info("compaction step committed",
              observability::LogFields()
                  .Add("dataset", dataset.slug)
                  .Add("version", committed->version.version)
                  .Add("inputs", static_cast<int64_t>(step.inputs.size()))
                  .Add("rows", merged.row_count)
                  .Add("key", key.value()));
  return StepResult{StepOutcome::kCommitted, committed->version.version, merged.size_bytes};
}

// Adds a committed step to `totals` and saves them as the job's progress.
Status RecordStep(JobContext& context, const Step& step, const StepResult& result, Totals& totals) {
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
  return context.save_progress(progress.str());
}

// Runs `steps` (one group's, in order). A step over the memory budget is split in halves, merged
// as steps of their own; one of fewer than four inputs is left alone (counted in over_budget).
Status RunSteps(RunState& run, std::vector<Step> steps, const partition::FaultPoints& faults,
                const observability::Logger& logger, Totals& totals) {
  std::reverse(steps.begin(), steps.end());  // a stack: the next step is at the back
  while (!steps.empty()) {
    const Step step = std::move(steps.back());
    steps.pop_back();
    TS_RETURN_IF_ERROR(run.context.heartbeat());
    TS_ASSIGN_OR_RETURN(StepResult result, RunStep(run, step, faults, logger));
    switch (result.outcome) {
      case StepOutcome::kCommitted:
        TS_RETURN_IF_ERROR(RecordStep(run.context, step, result, totals));
        break;
      case StepOutcome::kConflict:
        ++totals.conflicts;
        break;
      case StepOutcome::kOverBudget: {
        if (step.inputs.size() < 4) {
          logger.Warn(
              "compaction step left unmerged: it needs more memory than "
              "TIMESTORE_COMPACTION_MEMORY_LIMIT allows",
              observability::LogFields()
                  .Add("dataset", run.dataset.slug)
                  .Add("inputs", static_cast<int64_t>(step.inputs.size()))
                  .Add("rows", step.rows));
          ++totals.over_budget;
          break;
        }
        auto [first, second] = SplitStep(step);
        steps.push_back(std::move(second));
        steps.push_back(std::move(first));
        break;
      }
    }
  }
  return Status::Ok();
}

}  // namespace

CompactionOperation::CompactionOperation(partition::FaultPoints faults)
    : faults_(std::move(faults)), logger_(observability::GetLogger("lifecycle.compaction")) {}

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
    RunState run{context,
                 dataset,
                 {},
                 {context.catalog, context.stores},
                 MergeBudget::For(options.compaction_memory_limit_bytes,
                                  std::thread::hardware_concurrency()),
                 merge_mutex_};
    TS_ASSIGN_OR_RETURN(std::vector<catalog::SchemaVersion> schemas,
                        context.catalog.datasets().ListSchemaVersions(dataset.id));
    for (catalog::SchemaVersion& s : schemas) run.schemas[s.version] = std::move(s.columns);

    for (auto& [group_key, parts] : by_group) {
      if (parts.size() < 2) continue;
      ++groups;
      TS_RETURN_IF_ERROR(
          RunSteps(run,
                   PackSteps(std::move(parts), options.compaction_target_bytes,
                             options.compaction_max_rows_per_step, run.budget.max_inputs_per_step),
                   faults_, logger_, totals));
    }
  }
  common::JsonWriter out;
  out.BeginObject().Key("groups").Int(groups);
  totals.Write(out);
  out.EndObject();
  return out.str();
}

}  // namespace timestore::lifecycle
