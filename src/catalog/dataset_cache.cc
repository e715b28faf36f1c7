#include "catalog/dataset_cache.h"

namespace timestore::catalog {

std::optional<Dataset> DatasetCache::Find(std::string_view name) const {
  std::lock_guard lock(mu_);
  if (!enabled_) return std::nullopt;
  auto it = by_id_.find(name);
  if (it == by_id_.end()) {
    auto slug = id_by_slug_.find(name);
    if (slug == id_by_slug_.end()) return std::nullopt;
    it = by_id_.find(slug->second);
  }
  if (it == by_id_.end() || Clock::now() - it->second.stored > max_age_) return std::nullopt;
  return it->second.dataset;
}

uint64_t DatasetCache::generation() const {
  std::lock_guard lock(mu_);
  return generation_;
}

void DatasetCache::Put(const Dataset& dataset, uint64_t generation_before_read) {
  std::lock_guard lock(mu_);
  if (!enabled_ || generation_ != generation_before_read) return;
  EraseLocked(dataset.id.value());
  by_id_[dataset.id.value()] = Entry{dataset, Clock::now()};
  id_by_slug_[dataset.slug] = dataset.id.value();
}

void DatasetCache::Invalidate(const DatasetId& id) {
  std::lock_guard lock(mu_);
  ++generation_;
  EraseLocked(id.value());
}

void DatasetCache::SetEnabled(bool enabled) {
  std::lock_guard lock(mu_);
  ++generation_;
  enabled_ = enabled;
  by_id_.clear();
  id_by_slug_.clear();
}

bool DatasetCache::enabled() const {
  std::lock_guard lock(mu_);
  return enabled_;
}

void DatasetCache::EraseLocked(const std::string& id) {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return;
  id_by_slug_.erase(it->second.dataset.slug);
  by_id_.erase(it);
}

}  // namespace timestore::catalog
