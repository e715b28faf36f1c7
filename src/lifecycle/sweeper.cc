#include "lifecycle/sweeper.h"

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "common/json_writer.h"
#include "lifecycle/retention.h"
#include "partition/store_resolver.h"

namespace timestore::lifecycle {

using common::Result;
using common::Status;
using common::UnixMicros;

namespace {

constexpr std::string_view kExportsPrefix = "exports/";

struct Tally {
  int64_t files_deleted = 0;
  int64_t bytes_deleted = 0;
  int64_t orphans_deleted = 0;
  std::vector<std::string> keys;  // the first kSweepResultKeys deleted

  void Add(const std::string& key, int64_t bytes) {
    bytes_deleted += bytes;
    if (keys.size() < kSweepResultKeys) keys.push_back(key);
  }

  std::string Json() const {
    common::JsonWriter w;
    w.BeginObject()
        .Key("filesDeleted")
        .Int(files_deleted)
        .Key("bytesDeleted")
        .Int(bytes_deleted)
        .Key("orphansDeleted")
        .Int(orphans_deleted)
        .Key("keys")
        .BeginArray();
    for (const std::string& k : keys) w.String(k);
    w.EndArray().EndObject();
    return w.str();
  }
};

Result<std::vector<catalog::Dataset>> DatasetsInScope(JobContext& context) {
  std::vector<catalog::Dataset> out;
  if (context.job.dataset_id) {
    TS_ASSIGN_OR_RETURN(std::optional<catalog::Dataset> d,
                        context.catalog.datasets().FindById(*context.job.dataset_id));
    if (!d) return common::NotFound("dataset " + context.job.dataset_id->value() + " not found");
    out.push_back(std::move(*d));
    return out;
  }
  catalog::ListDatasetsOptions page;
  page.limit = 500;
  while (true) {
    TS_ASSIGN_OR_RETURN(catalog::DatasetPage listed, context.catalog.datasets().List(page));
    for (catalog::Dataset& d : listed.items) out.push_back(std::move(d));
    if (!listed.next_cursor) return out;
    page.cursor = std::move(listed.next_cursor);
  }
}

// The dataset's grace: its policy's deleteGraceMinutes, else the sweeper's default. A stored
// policy that no longer parses falls back to the default rather than blocking every sweep.
std::chrono::microseconds GraceFor(JobContext& context, const catalog::Dataset& dataset) {
  auto stored = LoadRetentionPolicy(context.catalog, dataset.id, context.options);
  if (stored.ok() && !stored->is_default && stored->policy.delete_grace_minutes) {
    return std::chrono::minutes(*stored->policy.delete_grace_minutes);
  }
  return context.options.sweep_grace;
}

Status SweepRemovedFiles(JobContext& context, partition::StoreResolver& stores,
                         const catalog::Dataset& dataset, UnixMicros now,
                         const std::function<Status()>& after_delete_batch, Tally& tally) {
  const UnixMicros cutoff = now - GraceFor(context, dataset).count();
  while (true) {
    TS_ASSIGN_OR_RETURN(std::vector<catalog::Partition> batch,
                        context.catalog.sweep().ListSweepable(dataset.id, cutoff, kSweepBatchSize));
    if (batch.empty()) return Status::Ok();
    std::vector<catalog::PartitionId> ids;
    ids.reserve(batch.size());
    for (const catalog::Partition& p : batch) {
      TS_ASSIGN_OR_RETURN(std::shared_ptr<storage::ObjectStore> store,
                          stores.ForTarget(p.storage_target_id));
      if (Status deleted = store->Delete(p.object_key.value()); !deleted.ok()) {
        return deleted.WithContext("deleting " + p.object_key.value());
      }
      ids.push_back(p.id);
      ++tally.files_deleted;
      tally.Add(p.object_key.value(), p.file_size_bytes);
    }
    if (after_delete_batch) TS_RETURN_IF_ERROR(after_delete_batch());
    TS_RETURN_IF_ERROR(context.catalog.sweep().MarkFilesDeleted(ids, now).status());
    TS_RETURN_IF_ERROR(context.heartbeat());
    if (batch.size() < static_cast<size_t>(kSweepBatchSize)) return Status::Ok();
  }
}

// True for keys the ingest and compaction writers produce under `prefix` ("<slug>/"): the next
// segment is a "<name>=<value>" partition-key or window segment.
bool LooksLikePartitionKey(std::string_view key, std::string_view prefix) {
  if (key.substr(0, kExportsPrefix.size()) == kExportsPrefix) return false;
  const std::string_view rest = key.substr(prefix.size());
  const std::string_view segment = rest.substr(0, rest.find('/'));
  return segment.size() < rest.size() && segment.find('=') != std::string_view::npos;
}

Status DeleteOrphans(JobContext& context, storage::ObjectStore& store,
                     const catalog::StorageTargetId& target,
                     const std::vector<storage::ObjectInfo>& candidates, Tally& tally) {
  std::vector<std::string> keys;
  keys.reserve(candidates.size());
  std::map<std::string, int64_t, std::less<>> sizes;
  for (const storage::ObjectInfo& o : candidates) {
    keys.push_back(o.key);
    sizes.emplace(o.key, o.size_bytes);
  }
  TS_ASSIGN_OR_RETURN(std::vector<std::string> orphans,
                      context.catalog.sweep().FindUnreferencedKeys(target, keys));
  for (const std::string& key : orphans) {
    if (Status deleted = store.Delete(key); !deleted.ok()) {
      return deleted.WithContext("deleting orphan " + key);
    }
    ++tally.orphans_deleted;
    tally.Add(key, sizes[key]);
  }
  return context.heartbeat();
}

Status SweepOrphans(JobContext& context, partition::StoreResolver& stores,
                    const std::vector<catalog::StorageTarget>& targets,
                    const catalog::Dataset& dataset, UnixMicros now, Tally& tally) {
  const std::string prefix = dataset.slug + "/";
  if (prefix.starts_with(kExportsPrefix)) return Status::Ok();  // the export operation's keys
  const UnixMicros written_before =
      now - std::chrono::duration_cast<std::chrono::microseconds>(context.options.sweep_orphan_age)
                .count();
  for (const catalog::StorageTarget& target : targets) {
    TS_ASSIGN_OR_RETURN(std::shared_ptr<storage::ObjectStore> store, stores.ForTarget(target));
    // Listed before the catalog is asked (see the header).
    TS_ASSIGN_OR_RETURN(std::vector<storage::ObjectInfo> objects, store->List(prefix));
    std::vector<storage::ObjectInfo> batch;
    for (storage::ObjectInfo& o : objects) {
      if (o.modified_at >= written_before || !LooksLikePartitionKey(o.key, prefix)) continue;
      batch.push_back(std::move(o));
      if (batch.size() == static_cast<size_t>(kSweepBatchSize)) {
        TS_RETURN_IF_ERROR(DeleteOrphans(context, *store, target.id, batch, tally));
        batch.clear();
      }
    }
    if (!batch.empty()) TS_RETURN_IF_ERROR(DeleteOrphans(context, *store, target.id, batch, tally));
  }
  return Status::Ok();
}

}  // namespace

Result<std::string> SweepOperation::Run(JobContext& context) const {
  const UnixMicros now = context.now();
  TS_ASSIGN_OR_RETURN(std::vector<catalog::Dataset> datasets, DatasetsInScope(context));
  TS_ASSIGN_OR_RETURN(std::vector<catalog::StorageTarget> targets,
                      context.catalog.storage_targets().List());
  partition::StoreResolver stores(context.catalog, context.stores);  // rows read once per sweep
  Tally tally;
  for (const catalog::Dataset& d : datasets) {
    TS_RETURN_IF_ERROR(SweepRemovedFiles(context, stores, d, now, after_delete_batch_, tally));
  }
  for (const catalog::Dataset& d : datasets) {
    TS_RETURN_IF_ERROR(SweepOrphans(context, stores, targets, d, now, tally));
  }
  return tally.Json();
}

}  // namespace timestore::lifecycle
