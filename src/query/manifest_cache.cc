#include "query/manifest_cache.h"

#include <algorithm>
#include <set>

#include "partition/partition_key.h"

namespace timestore::query {
namespace {

bool ByStartThenId(const std::shared_ptr<const PartitionEntry>& a,
                   const std::shared_ptr<const PartitionEntry>& b) {
  if (a->partition.start_time != b->partition.start_time) {
    return a->partition.start_time < b->partition.start_time;
  }
  return a->partition.id.value() < b->partition.id.value();
}

}  // namespace

std::shared_ptr<const PartitionEntry> DecodePartition(catalog::Partition partition) {
  auto entry = std::make_shared<PartitionEntry>();
  for (auto& [column, stats] :
       partition::DecodeColumnStatistics(partition.column_statistics_json)) {
    entry->statistics.emplace(std::move(column), std::move(stats));
  }
  if (auto key = partition::PartitionKey::FromJson(partition.partition_key_json); key.ok()) {
    for (const auto& [name, value] : key->entries()) entry->key.emplace(name, value);
  }
  entry->partition = std::move(partition);
  return entry;
}

common::Result<std::shared_ptr<const ManifestSnapshot>> ManifestCache::Get(
    const catalog::DatasetId& dataset, int64_t version) {
  const Key key{dataset.value(), version};
  std::shared_ptr<const ManifestSnapshot> base;
  {
    std::lock_guard lock(mu_);
    if (auto it = snapshots_.find(key); it != snapshots_.end()) {
      lru_.splice(lru_.end(), lru_, it->second.lru);
      return it->second.snapshot;
    }
    // The newest cached older version of the dataset, to catch up from.
    auto it = snapshots_.lower_bound(key);
    if (it != snapshots_.begin()) {
      --it;
      if (it->first.first == dataset.value()) base = it->second.snapshot;
    }
  }

  auto snapshot = std::make_shared<ManifestSnapshot>();
  snapshot->dataset_id = dataset;
  snapshot->version = version;
  if (version == 0) {
    // Nothing committed yet: the empty manifest.
  } else if (base != nullptr) {
    TS_ASSIGN_OR_RETURN(std::vector<catalog::Partition> changes,
                        manifests_.ListPartitionChanges(dataset, base->version, version));
    std::set<std::string> changed;
    for (const catalog::Partition& p : changes) changed.insert(p.id.value());
    for (const auto& entry : base->partitions) {
      if (!changed.contains(entry->partition.id.value())) snapshot->partitions.push_back(entry);
    }
    for (catalog::Partition& p : changes) {
      const bool live = p.added_in_version <= version &&
                        (!p.removed_in_version || *p.removed_in_version > version);
      if (live) snapshot->partitions.push_back(DecodePartition(std::move(p)));
    }
    std::sort(snapshot->partitions.begin(), snapshot->partitions.end(), ByStartThenId);
  } else {
    TS_ASSIGN_OR_RETURN(std::vector<catalog::Partition> live,
                        manifests_.ListLivePartitions(dataset, version, std::nullopt));
    snapshot->partitions.reserve(live.size());
    for (catalog::Partition& p : live)
      snapshot->partitions.push_back(DecodePartition(std::move(p)));
  }

  std::lock_guard lock(mu_);
  if (version != 0) ++(base != nullptr ? incremental_loads_ : full_loads_);
  if (auto it = snapshots_.find(key); it != snapshots_.end()) return it->second.snapshot;
  InsertLocked(key, snapshot);
  return std::shared_ptr<const ManifestSnapshot>(snapshot);
}

void ManifestCache::InsertLocked(const Key& key, std::shared_ptr<const ManifestSnapshot> snapshot) {
  while (!lru_.empty() && snapshots_.size() >= max_snapshots_) {
    snapshots_.erase(lru_.front());
    lru_.pop_front();
  }
  lru_.push_back(key);
  snapshots_.emplace(key, Slot{std::move(snapshot), std::prev(lru_.end())});
}

int64_t ManifestCache::full_loads() const {
  std::lock_guard lock(mu_);
  return full_loads_;
}

int64_t ManifestCache::incremental_loads() const {
  std::lock_guard lock(mu_);
  return incremental_loads_;
}

}  // namespace timestore::query
