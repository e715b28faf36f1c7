#include "query/manifest_cache.h"

#include <algorithm>
#include <set>

#include <simdjson.h>

namespace timestore::query {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

std::optional<StatValue> DecodeScalar(element value) {
  StatValue v;
  switch (value.type()) {
    case element_type::STRING:
      v.kind = StatValue::Kind::kString;
      v.text = std::string(value.get_string().value_unsafe());
      v.micros = common::ParseIso8601(v.text);
      return v;
    case element_type::DOUBLE:
    case element_type::INT64:
    case element_type::UINT64:
      v.kind = StatValue::Kind::kNumber;
      v.number = value.get_double().value_unsafe();
      v.text = simdjson::minify(value);
      return v;
    case element_type::BOOL:
      v.kind = StatValue::Kind::kBoolean;
      v.boolean = value.get_bool().value_unsafe();
      v.text = v.boolean ? "true" : "false";
      return v;
    default:
      return std::nullopt;
  }
}

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
  simdjson::dom::parser parser;
  element doc;
  if (parser.parse(partition.column_statistics_json).get(doc) == simdjson::SUCCESS &&
      doc.type() == element_type::OBJECT) {
    const simdjson::dom::object columns = doc.get_object().value_unsafe();
    for (auto field : columns) {
      if (field.value.type() != element_type::OBJECT) continue;
      ColumnStatistics stats;
      element member;
      if (field.value["min"].get(member) == simdjson::SUCCESS) stats.min = DecodeScalar(member);
      if (field.value["max"].get(member) == simdjson::SUCCESS) stats.max = DecodeScalar(member);
      int64_t nulls = 0;
      if (field.value["nullCount"].get(nulls) == simdjson::SUCCESS) stats.null_count = nulls;
      entry->statistics.emplace(std::string(field.key), std::move(stats));
    }
  }
  if (parser.parse(partition.partition_key_json).get(doc) == simdjson::SUCCESS &&
      doc.type() == element_type::OBJECT) {
    const simdjson::dom::object key = doc.get_object().value_unsafe();
    for (auto field : key) {
      if (auto v = DecodeScalar(field.value)) entry->key.emplace(std::string(field.key), *v);
    }
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
