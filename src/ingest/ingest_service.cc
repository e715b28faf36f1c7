#include "ingest/ingest_service.h"

#include <filesystem>
#include <set>
#include <tuple>

#include "common/text.h"
#include "ingest/ingest_request.h"
#include "partition/file_format.h"
#include "storage/sha256_hasher.h"

namespace timestore::ingest {

using catalog::ColumnDef;
using common::Result;
using common::Status;
using partition::ColumnBuffer;
using partition::RowBatch;

namespace {

int64_t FloorDiv(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

// Merges the request's declared fields into the dataset's current columns: existing columns must
// keep their type (kConflict names both); new ones are appended. Returns the merged list.
Result<std::vector<ColumnDef>> MergeSchema(const std::vector<ColumnDef>& current,
                                           const std::vector<ColumnDef>& declared) {
  std::vector<ColumnDef> merged = current;
  for (size_t i = 0; i < declared.size(); ++i) {
    const ColumnDef& d = declared[i];
    bool found = false;
    for (const ColumnDef& c : current) {
      if (c.name == d.name) {
        if (c.type != d.type) {
          return common::Conflict("schema.fields[" + std::to_string(i) + "]: column '" + d.name +
                                  "' is " + std::string(catalog::ColumnTypeName(c.type)) +
                                  " in the dataset; the request declares it " +
                                  std::string(catalog::ColumnTypeName(d.type)) +
                                  " (column types cannot change)");
        }
        found = true;
        break;
      }
      if (common::EqualsIgnoreCase(c.name, d.name)) {
        return common::InvalidArgument("schema.fields[" + std::to_string(i) + "].name: '" + d.name +
                                       "' collides with the existing column '" + c.name +
                                       "' (names are case-insensitive)");
      }
    }
    if (!found) merged.push_back(d);
  }
  return merged;
}

// The columns a request writes: the dataset's `existing` ones, extended by the declared ones;
// they must include the timestamp column.
Result<std::vector<ColumnDef>> RequestColumns(const IngestRequest& request,
                                              const std::vector<ColumnDef>& existing,
                                              std::string_view slug,
                                              const std::string& timestamp_column) {
  if (!request.schema && existing.empty()) {
    return common::InvalidArgument("schema: required (dataset '" + std::string(slug) +
                                   "' has none yet)");
  }
  TS_ASSIGN_OR_RETURN(std::vector<ColumnDef> columns,
                      request.schema ? MergeSchema(existing, *request.schema)
                                     : Result<std::vector<ColumnDef>>(existing));
  if (std::none_of(columns.begin(), columns.end(), [&](const ColumnDef& c) {
        return c.name == timestamp_column && c.type == catalog::ColumnType::kTimestamp;
      })) {
    return common::InvalidArgument("schema.fields: must include the timestamp column '" +
                                   timestamp_column + "' with type timestamp");
  }
  return columns;
}

}  // namespace

// One request waiting in a dataset's commit queue.
struct IngestService::PendingWrite {
  catalog::Dataset dataset;
  catalog::StorageTarget target;
  std::shared_ptr<storage::ObjectStore> store;
  int schema_version = 0;
  RowBatch rows;
  partition::PartitionKey partition_key;
  std::string attributes_json;
  std::string idempotency_key;
  std::string request_hash;
  std::optional<std::string> actor;
  IngestEncoder encode;

  bool finished = false;  // guarded by the queue's mutex
  Result<IngestResult> result{common::Internal("not answered")};
};

struct IngestService::CommitQueue {
  std::mutex mu;
  std::condition_variable changed;
  std::vector<PendingWrite*> waiting;
  size_t waiting_rows = 0;
  int flushing = 0;  // group commits in progress; at most options_.max_concurrent_flushes
};

// The validated rows of a request and the dataset and schema version they are written under.
struct IngestService::PreparedRows {
  catalog::Dataset dataset;
  int schema_version = 0;
  RowBatch rows;
};

// The rows of one new partition file: one (schema version, target, partition key, window) of a
// group commit.
struct IngestService::FileGroup {
  PendingWrite* first = nullptr;
  const RowBatch* whole = nullptr;  // set while one request's whole batch is the group
  RowBatch rows;                    // used once rows of several requests or windows mix
  std::set<size_t> writers;         // indexes into the flushed writes
  catalog::NewPartition partition;  // set once the file is published
  const RowBatch& data() const { return whole != nullptr ? *whole : rows; }
  void Materialize() {
    if (whole == nullptr) return;
    rows = RowBatch::Empty(whole->schema);
    for (size_t r = 0; r < whole->row_count(); ++r) rows.AppendRowFrom(*whole, r);
    whole = nullptr;
  }
};

IngestService::IngestService(catalog::Catalog& catalog, partition::StoreResolver& stores,
                             IngestOptions options, storage::PartitionCache* cache,
                             observability::MetricsRegistry* metrics)
    : catalog_(catalog),
      stores_(stores),
      cache_(cache),
      options_(std::move(options)),
      logger_(observability::GetLogger("ingest")),
      writer_(partition::PartitionWriter::Create()) {
  if (metrics != nullptr) {
    rows_committed_ =
        &metrics->GetCounter("timestore_ingest_rows_total", "Rows committed by ingest.");
    commits_ = &metrics->GetCounter("timestore_ingest_commits_total",
                                    "Manifest versions committed by ingest (group commits).");
    files_written_ =
        &metrics->GetCounter("timestore_ingest_files_total", "Partition files written by ingest.");
    flush_seconds_ = &metrics->GetHistogram("timestore_ingest_flush_seconds",
                                            "Time to write, upload and commit one group commit.");
  }
}

IngestService::~IngestService() = default;

Result<IngestResult> IngestService::Ingest(const IngestCall& call) {
  if (!catalog::IsValidDatasetSlug(call.slug)) {
    return common::InvalidArgument("datasetSlug: '" + std::string(call.slug.substr(0, 80)) +
                                   "' is not a valid slug (1-64 lowercase letters, digits, '-' or "
                                   "'_', starting with a letter or digit)");
  }
  TS_ASSIGN_OR_RETURN(IngestRequest request, ParseIngestRequest(call.body));
  if (call.idempotency_header && request.idempotency_key &&
      *call.idempotency_header != *request.idempotency_key) {
    return common::InvalidArgument(
        "idempotencyKey: differs from the Idempotency-Key header; send one or make them equal");
  }
  const std::string request_hash = storage::Sha256Hex(call.raw_body);
  // Without a key the body's hash is the key: an identical payload is the same batch (as the
  // original deduplicated).
  std::string key = request.idempotency_key   ? *request.idempotency_key
                    : call.idempotency_header ? *call.idempotency_header
                                              : "sha256:" + request_hash;

  // Validation first, writes after: a rejected request must not create a dataset or a schema.
  TS_ASSIGN_OR_RETURN(std::optional<catalog::Dataset> found,
                      catalog_.datasets().FindBySlug(call.slug));
  if (!found && !request.schema) {
    return common::InvalidArgument("schema: required to create dataset '" + std::string(call.slug) +
                                   "' (it does not exist yet)");
  }
  if (found) {
    TS_ASSIGN_OR_RETURN(std::optional<IngestResult> replay,
                        CheckAdmission(*found, key, request_hash));
    if (replay) return std::move(*replay);
  }
  if (request.storage_target_id) {
    TS_RETURN_IF_ERROR(catalog_.storage_targets()
                           .Get(catalog::StorageTargetId(*request.storage_target_id))
                           .status());
  }
  TS_ASSIGN_OR_RETURN(PreparedRows prepared, PrepareRows(call.slug, request, std::move(found)));
  TS_ASSIGN_OR_RETURN(catalog::StorageTarget target, ChooseTarget(request, prepared.dataset));
  TS_ASSIGN_OR_RETURN(std::shared_ptr<storage::ObjectStore> store, stores_.ForTarget(target));

  auto write = std::make_unique<PendingWrite>();
  write->dataset = std::move(prepared.dataset);
  write->target = std::move(target);
  write->store = std::move(store);
  write->schema_version = prepared.schema_version;
  write->rows = std::move(prepared.rows);
  write->partition_key = std::move(request.partition_key);
  write->attributes_json = std::move(request.attributes_json);
  write->idempotency_key = std::move(key);
  write->request_hash = request_hash;
  write->actor = call.actor;
  write->encode = call.encode;
  return Submit(std::move(write));
}

Result<std::optional<IngestResult>> IngestService::CheckAdmission(const catalog::Dataset& dataset,
                                                                  const std::string& key,
                                                                  const std::string& request_hash) {
  if (dataset.status == catalog::DatasetStatus::kArchived) {
    return common::Conflict("dataset '" + dataset.slug +
                            "' is archived and does not accept ingest");
  }
  // An earlier answer for this key?
  TS_ASSIGN_OR_RETURN(std::optional<catalog::IngestionBatch> earlier,
                      catalog_.manifests().FindIngestionBatch(dataset.id, key));
  if (earlier) {
    if (earlier->request_hash && *earlier->request_hash != request_hash) {
      return common::Conflict("idempotency key '" + key +
                              "' was already used for a different request body");
    }
    return std::optional<IngestResult>(
        IngestResult{dataset.id, true, std::nullopt, earlier->version, earlier->response_json});
  }
  // Back-pressure before any work: too many small files waiting for compaction.
  if (options_.max_small_partitions > 0) {
    TS_ASSIGN_OR_RETURN(int64_t small, catalog_.manifests().CountSmallLivePartitions(
                                           dataset.id, options_.small_partition_bytes));
    if (small > options_.max_small_partitions) {
      return common::Unavailable("dataset '" + dataset.slug + "' has " + std::to_string(small) +
                                 " small partitions waiting for compaction (limit " +
                                 std::to_string(options_.max_small_partitions) + "); retry later");
    }
  }
  return std::optional<IngestResult>();
}

Result<IngestService::PreparedRows> IngestService::PrepareRows(
    std::string_view slug, const IngestRequest& request, std::optional<catalog::Dataset> found) {
  // The schema: the current one, extended by new declared columns. When another writer changes the
  // schema between the read and the write below, everything is checked again against the new one.
  const std::string timestamp_column = found ? found->timestamp_column : "timestamp";
  for (int attempt = 0;; ++attempt) {
    std::optional<catalog::SchemaVersion> current;
    if (found && found->current_schema_version) {
      TS_ASSIGN_OR_RETURN(current, catalog_.datasets().FindSchemaVersion(
                                       found->id, *found->current_schema_version));
    }
    const std::vector<ColumnDef> existing = current ? current->columns : std::vector<ColumnDef>{};
    TS_ASSIGN_OR_RETURN(std::vector<ColumnDef> columns,
                        RequestColumns(request, existing, slug, timestamp_column));
    DecodeOptions decode;
    decode.timestamp_column = timestamp_column;
    decode.time_range = request.time_range;
    decode.max_rows = options_.max_rows_per_request;
    TS_ASSIGN_OR_RETURN(RowBatch rows, DecodeRows(request, columns, decode));
    if (rows.row_count() == 0) return common::InvalidArgument("rows: at least one row is required");

    // The request is valid: create what it needs.
    if (!found) {
      catalog::NewDataset nd;
      nd.slug = std::string(slug);
      nd.name = request.dataset_name.value_or(std::string(slug));
      nd.write_format = options_.default_write_format;
      if (request.storage_target_id) {
        nd.default_storage_target_id = catalog::StorageTargetId(*request.storage_target_id);
      }
      auto created = catalog_.datasets().Create(nd);
      if (created.ok()) {
        found = std::move(created).value();
        logger_.Info("dataset created", observability::LogFields().Add("slug", nd.slug));
      } else if (created.status().code() != common::StatusCode::kAlreadyExists) {
        return created.status();
      } else {
        // A concurrent first ingest created it: validate against its schema.
        TS_ASSIGN_OR_RETURN(found, catalog_.datasets().FindBySlug(slug));
        if (!found || attempt >= 4)
          return common::Unavailable("dataset is changing concurrently; retry");
        continue;
      }
    }
    if (current && columns == current->columns) {
      return PreparedRows{std::move(*found), current->version, std::move(rows)};
    }
    auto added = catalog_.datasets().AddSchemaVersion(found->id, columns,
                                                      found->current_schema_version.value_or(0));
    if (added.ok()) {
      found->current_schema_version = added->version;
      return PreparedRows{std::move(*found), added->version, std::move(rows)};
    }
    if (added.status().code() != common::StatusCode::kConflict || attempt >= 4)
      return added.status();
    TS_ASSIGN_OR_RETURN(found, catalog_.datasets().FindById(found->id));
    if (!found) return common::NotFound("dataset '" + std::string(slug) + "' not found");
  }
}

Result<catalog::StorageTarget> IngestService::ChooseTarget(const IngestRequest& request,
                                                           const catalog::Dataset& dataset) {
  // Where the files go: the request's target, else the dataset's, else the service default.
  if (request.storage_target_id) {
    return catalog_.storage_targets().Get(catalog::StorageTargetId(*request.storage_target_id));
  }
  if (dataset.default_storage_target_id) {
    return catalog_.storage_targets().Get(*dataset.default_storage_target_id);
  }
  TS_ASSIGN_OR_RETURN(std::optional<catalog::StorageTarget> target,
                      catalog_.storage_targets().FindDefault());
  if (!target) return common::Unavailable("no default storage target is configured yet");
  return std::move(*target);
}

Result<IngestResult> IngestService::Submit(std::unique_ptr<PendingWrite> write) {
  CommitQueue* queue = nullptr;
  {
    std::lock_guard lock(queues_mu_);
    auto& slot = queues_[write->dataset.id.value()];
    if (!slot) slot = std::make_unique<CommitQueue>();
    queue = slot.get();
  }
  std::unique_lock lock(queue->mu);
  queue->waiting.push_back(write.get());
  queue->waiting_rows += write->rows.row_count();
  queue->changed.notify_all();
  while (!write->finished) {
    if (queue->flushing >= options_.max_concurrent_flushes || queue->waiting.empty()) {
      queue->changed.wait(lock);
      continue;
    }
    // This thread leads the next group commit.
    ++queue->flushing;
    if (options_.group_commit_window.count() > 0) {
      queue->changed.wait_for(lock, options_.group_commit_window,
                              [&] { return queue->waiting_rows >= options_.max_rows_per_commit; });
    }
    std::vector<PendingWrite*> batch;
    size_t rows = 0;
    auto it = queue->waiting.begin();
    while (it != queue->waiting.end() &&
           (batch.empty() || rows + (*it)->rows.row_count() <= options_.max_rows_per_commit)) {
      rows += (*it)->rows.row_count();
      batch.push_back(*it);
      ++it;
    }
    queue->waiting.erase(queue->waiting.begin(), it);
    queue->waiting_rows -= rows;
    if (batch.empty()) {  // another leader took everything while this one waited
      --queue->flushing;
      continue;
    }
    lock.unlock();
    Flush(batch);
    lock.lock();
    for (PendingWrite* w : batch) w->finished = true;
    --queue->flushing;
    queue->changed.notify_all();
  }
  return std::move(write->result);
}

IngestService::FileGroups IngestService::GroupRows(const std::vector<PendingWrite*>& writes,
                                                   int64_t window) {
  FileGroups groups;
  for (size_t wi = 0; wi < writes.size(); ++wi) {
    PendingWrite* w = writes[wi];
    const int ts = w->rows.ColumnIndex(w->dataset.timestamp_column);
    const ColumnBuffer& times = w->rows.columns[static_cast<size_t>(ts)];
    const size_t n = w->rows.row_count();
    const int64_t first_window = FloorDiv(times.Int64At(0), window);
    bool single_window = true;
    for (size_t r = 1; r < n && single_window; ++r) {
      single_window = FloorDiv(times.Int64At(r), window) == first_window;
    }
    const std::string key_json = w->partition_key.Json();
    auto group_of = [&](int64_t win) -> FileGroup& {
      auto [it, inserted] =
          groups.try_emplace({w->schema_version, w->target.id.value(), key_json, win});
      if (inserted) {
        it->second.first = w;
        it->second.rows = RowBatch::Empty(w->rows.schema);
      }
      it->second.writers.insert(wi);
      return it->second;
    };
    if (single_window) {
      // The common case: the whole request falls in one window. Its batch is used as it is
      // unless another request shares the group.
      FileGroup& g = group_of(first_window);
      if (g.writers.size() == 1 && g.rows.row_count() == 0) {
        g.whole = &w->rows;
        continue;
      }
      g.Materialize();
      for (size_t r = 0; r < n; ++r) g.rows.AppendRowFrom(w->rows, r);
      continue;
    }
    for (size_t r = 0; r < n; ++r) {
      FileGroup& g = group_of(FloorDiv(times.Int64At(r), window));
      g.Materialize();
      g.rows.AppendRowFrom(w->rows, r);
    }
  }
  return groups;
}

void IngestService::Flush(std::vector<PendingWrite*> writes) {
  const auto started = std::chrono::steady_clock::now();
  // Writes whose key turns out to be taken (a concurrent duplicate in another process) are answered
  // from the stored record, and the rest is written again without them.
  for (int round = 0; !writes.empty() && round < 3; ++round) {
    const catalog::Dataset& dataset = writes.front()->dataset;
    const int64_t window = dataset.partition_window_seconds * 1'000'000;
    FileGroups groups = GroupRows(writes, window);
    if (Status written = WriteFiles(groups, window); !written.ok()) {
      logger_.Error(
          "ingest write failed",
          observability::LogFields().Add("dataset", dataset.slug).Add("error", written.message()));
      for (PendingWrite* w : writes) w->result = common::Unavailable(written.message());
      return;
    }
    const Status committed = Commit(writes, groups);
    if (committed.ok()) {
      if (flush_seconds_ != nullptr) {
        flush_seconds_->Observe(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
      }
      return;
    }
    if (committed.code() != common::StatusCode::kAlreadyExists) {
      for (PendingWrite* w : writes) w->result = committed;
      return;
    }
    // Some key was committed meanwhile by another process: answer those from the record.
    std::vector<PendingWrite*> remaining;
    for (PendingWrite* w : writes) {
      auto earlier = catalog_.manifests().FindIngestionBatch(w->dataset.id, w->idempotency_key);
      if (!earlier.ok()) {
        w->result = earlier.status();
      } else if (earlier->has_value()) {
        w->result = IngestResult{w->dataset.id, true, std::nullopt, (*earlier)->version,
                                 (*earlier)->response_json};
      } else {
        remaining.push_back(w);
      }
    }
    writes = std::move(remaining);
  }
  for (PendingWrite* w : writes) {
    w->result = common::Unavailable("ingest commit kept conflicting; retry the request");
  }
}

Status IngestService::WriteFiles(FileGroups& groups, int64_t window) {
  // Each group's file is published under a fresh key (invariant 3: before the commit).
  for (auto& [gk, g] : groups) {
    const std::string id = partition::NewPartitionId();
    TS_RETURN_IF_ERROR(PublishFile(g, id, std::get<3>(gk) * window, window));
    if (options_.faults.after_publish) {
      TS_RETURN_IF_ERROR(options_.faults.after_publish(g.partition));
    }
    if (files_written_ != nullptr) files_written_->Increment();
  }
  return Status::Ok();
}

Status IngestService::PublishFile(FileGroup& g, const std::string& id, int64_t window_start,
                                  int64_t window) {
  const PendingWrite& w = *g.first;
  const catalog::WriteFormat format = w.dataset.write_format;
  const common::ObjectKey object_key =
      partition::PartitionObjectKey(w.dataset.slug, w.partition_key, window_start, id, format);
  const std::string staging =
      (std::filesystem::path(w.store->StagingDirectory()) / partition::FileName(id, format))
          .string();
  auto written = writer_.ok()
                     ? writer_->Write(g.data(), w.dataset.timestamp_column, format, staging)
                     : Result<partition::WrittenPartitionFile>(writer_.status());
  if (!written.ok()) return written.status().WithContext("writing a partition file");
  // A local store takes the staging file by rename. A remote one gets a copy; the staging file
  // then goes into the partition cache, so this node never downloads what it wrote.
  const bool remote = !w.store->LocalPath(object_key.value()).has_value();
  storage::PutOptions put;
  put.move = !remote || cache_ == nullptr;
  put.sha256_hex = written->sha256_hex;
  Status published = w.store->PutFile(object_key.value(), staging, put);
  if (published.ok() && remote && cache_ != nullptr) {
    if (Status cached = cache_->Insert(w.target.id.value(), object_key.value(), staging);
        !cached.ok()) {
      logger_.Warn(
          "write-through to the partition cache failed",
          observability::LogFields().Add("key", object_key.value()).Add("error", cached.message()));
    }
  }
  std::error_code ec;
  std::filesystem::remove(staging, ec);
  if (!published.ok()) return published.WithContext("publishing " + object_key.value());

  catalog::NewPartition& p = g.partition;
  p.id = catalog::PartitionId(id);
  p.storage_target_id = w.target.id;
  p.object_key = object_key;
  p.format = format;
  p.file_size_bytes = written->size_bytes;
  p.row_count = written->stats.row_count;
  p.start_time = written->stats.min_time;
  p.end_time = written->stats.max_time;
  p.window_start = window_start;
  p.window_end = window_start + window;
  p.partition_key_json = w.partition_key.Json();
  p.attributes_json = w.attributes_json;
  p.schema_version = w.schema_version;
  p.checksum_sha256 = written->sha256_hex;
  p.column_statistics_json = partition::EncodeColumnStatistics(written->stats.column_statistics);
  return Status::Ok();
}

Status IngestService::Commit(const std::vector<PendingWrite*>& writes, const FileGroups& groups) {
  // One version for the whole group, with every request's idempotency record and answer.
  catalog::VersionCommit commit;
  commit.dataset_id = writes.front()->dataset.id;
  commit.kind = catalog::VersionKind::kIngest;
  commit.actor = writes.front()->actor;
  // The newest schema among the requests sharing the commit (schemas only grow).
  commit.schema_version = 0;
  for (const PendingWrite* w : writes) {
    commit.schema_version = std::max(*commit.schema_version, w->schema_version);
  }
  for (const auto& [gk, g] : groups) commit.add.push_back(g.partition);
  std::vector<IngestResult> results(writes.size());
  for (size_t wi = 0; wi < writes.size(); ++wi) {
    PendingWrite* w = writes[wi];
    std::set<std::string> mine;
    for (const auto& [gk, g] : groups) {
      if (g.writers.count(wi) != 0) mine.insert(g.partition.id.value());
    }
    commit.idempotency.push_back(catalog::VersionCommit::Idempotency{
        w->idempotency_key, w->request_hash, 200,
        [w, mine, &result = results[wi]](const catalog::CommitResult& r) {
          IngestOutcome outcome;
          outcome.dataset = w->dataset;
          outcome.dataset.current_version = r.version.version;
          outcome.storage_target = w->target;
          outcome.version = r.version;
          outcome.rows_ingested = static_cast<int64_t>(w->rows.row_count());
          for (const catalog::Partition& p : r.added) {
            if (mine.count(p.id.value()) != 0) outcome.partitions.push_back(p);
          }
          result = IngestResult{w->dataset.id, false, std::nullopt, r.version.version,
                                w->encode(outcome)};
          result.outcome = std::move(outcome);
          return result.answer;
        }});
  }
  auto committed = catalog_.manifests().Commit(commit);
  if (!committed.ok()) return committed.status();
  if (options_.faults.after_commit) options_.faults.after_commit();
  size_t rows = 0;
  for (size_t wi = 0; wi < writes.size(); ++wi) {
    writes[wi]->result = std::move(results[wi]);
    rows += writes[wi]->rows.row_count();
  }
  if (rows_committed_ != nullptr) rows_committed_->Increment(static_cast<double>(rows));
  if (commits_ != nullptr) commits_->Increment();
  return Status::Ok();
}

Result<Manifest> IngestService::GetManifest(std::string_view slug, std::optional<int64_t> version) {
  TS_ASSIGN_OR_RETURN(catalog::Dataset dataset, catalog_.datasets().GetBySlug(slug));
  return ManifestOf(std::move(dataset), version);
}

Result<Manifest> IngestService::GetManifestByIdOrSlug(std::string_view id_or_slug,
                                                      std::optional<int64_t> version) {
  TS_ASSIGN_OR_RETURN(catalog::Dataset dataset, catalog_.datasets().GetByIdOrSlug(id_or_slug));
  return ManifestOf(std::move(dataset), version);
}

Result<Manifest> IngestService::ManifestOf(catalog::Dataset dataset,
                                           std::optional<int64_t> version) {
  Manifest manifest;
  manifest.version = version.value_or(dataset.current_version);
  TS_ASSIGN_OR_RETURN(manifest.partitions, catalog_.manifests().ListLivePartitions(
                                               dataset.id, manifest.version, std::nullopt));
  if (manifest.version != 0) {
    TS_ASSIGN_OR_RETURN(manifest.summary,
                        catalog_.manifests().GetVersion(dataset.id, manifest.version));
  }
  manifest.dataset = std::move(dataset);
  return manifest;
}

}  // namespace timestore::ingest
