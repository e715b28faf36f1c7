#include "query/dataset_reader.h"

#include <algorithm>
#include <atomic>
#include <thread>

namespace timestore::query {

common::Result<catalog::Dataset> DatasetReader::GetDataset(std::string_view slug) {
  return catalog_.datasets().GetBySlug(slug);
}

common::Result<std::shared_ptr<const SchemaVersions>> DatasetReader::Schemas(
    const catalog::Dataset& dataset) {
  const int wanted = dataset.current_schema_version.value_or(0);
  {
    std::lock_guard lock(mu_);
    auto it = schemas_.find(dataset.id.value());
    if (it != schemas_.end() && (wanted == 0 || it->second->contains(wanted))) return it->second;
  }
  TS_ASSIGN_OR_RETURN(std::vector<catalog::SchemaVersion> versions,
                      catalog_.datasets().ListSchemaVersions(dataset.id));
  auto loaded = std::make_shared<SchemaVersions>();
  for (catalog::SchemaVersion& v : versions) loaded->emplace(v.version, std::move(v.columns));
  std::lock_guard lock(mu_);
  schemas_[dataset.id.value()] = loaded;
  return std::shared_ptr<const SchemaVersions>(loaded);
}

std::vector<catalog::ColumnDef> DatasetReader::CurrentColumns(const catalog::Dataset& dataset,
                                                              const SchemaVersions& schemas) {
  if (!dataset.current_schema_version) return {};
  auto it = schemas.find(*dataset.current_schema_version);
  return it == schemas.end() ? std::vector<catalog::ColumnDef>() : it->second;
}

common::Result<std::shared_ptr<storage::ObjectStore>> DatasetReader::StoreOf(
    const catalog::StorageTargetId& id) {
  catalog::StorageTarget target;
  bool known = false;
  {
    std::lock_guard lock(mu_);
    if (auto it = targets_.find(id.value()); it != targets_.end()) {
      target = it->second;
      known = true;
    }
  }
  if (!known) {
    TS_ASSIGN_OR_RETURN(target, catalog_.storage_targets().Get(id));
    std::lock_guard lock(mu_);
    targets_[id.value()] = target;
  }
  return stores_.Get(target.id.value(), catalog::StorageKindName(target.kind), target.config_json);
}

common::Result<ResolvedFiles> DatasetReader::Resolve(
    const std::vector<std::shared_ptr<const PartitionEntry>>& partitions) {
  ResolvedFiles out;
  out.files.resize(partitions.size());
  struct Remote {
    size_t index;
    std::shared_ptr<storage::ObjectStore> store;
  };
  std::vector<Remote> remote;
  for (size_t i = 0; i < partitions.size(); ++i) {
    const catalog::Partition& p = partitions[i]->partition;
    SourceFile& f = out.files[i];
    f.format = p.format;
    f.schema_version = p.schema_version;
    TS_ASSIGN_OR_RETURN(std::shared_ptr<storage::ObjectStore> store, StoreOf(p.storage_target_id));
    if (std::optional<std::string> path = store->LocalPath(p.object_key)) {
      f.path = std::move(*path);
      ++out.local;
    } else {
      remote.push_back({i, std::move(store)});
    }
  }
  if (remote.empty()) return out;
  if (cache_ == nullptr) return common::Internal("remote partitions need a partition cache");

  // Fetch with up to fetch_concurrency_ threads; each slot is written by one thread only.
  std::vector<common::Result<storage::CachedFile>> fetched;
  fetched.reserve(remote.size());
  for (size_t k = 0; k < remote.size(); ++k) fetched.emplace_back(common::Internal("not fetched"));
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t k = next++; k < remote.size(); k = next++) {
      const catalog::Partition& p = partitions[remote[k].index]->partition;
      fetched[k] = cache_->Fetch(*remote[k].store, p.storage_target_id.value(), p.object_key,
                                 p.checksum_sha256);
    }
  };
  const size_t threads = std::min(remote.size(), static_cast<size_t>(fetch_concurrency_));
  {
    std::vector<std::jthread> pool;
    for (size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
    worker();
  }
  for (size_t k = 0; k < remote.size(); ++k) {
    if (!fetched[k].ok()) {
      return fetched[k].status().WithContext("partition " +
                                             partitions[remote[k].index]->partition.id.value());
    }
    storage::CachedFile file = std::move(fetched[k]).value();
    out.files[remote[k].index].path = file.path();
    ++(file.was_cached() ? out.from_cache : out.fetched);
    out.pins.push_back(std::move(file));
  }
  return out;
}

}  // namespace timestore::query
