#include "partition/store_resolver.h"

namespace timestore::partition {

common::Result<catalog::StorageTarget> StoreResolver::Target(const catalog::StorageTargetId& id) {
  {
    std::lock_guard lock(mu_);
    if (auto it = targets_.find(id.value()); it != targets_.end()) return it->second;
  }
  TS_ASSIGN_OR_RETURN(catalog::StorageTarget target, catalog_.storage_targets().Get(id));
  std::lock_guard lock(mu_);
  targets_[id.value()] = target;
  return target;
}

common::Result<std::shared_ptr<storage::ObjectStore>> StoreResolver::ForTarget(
    const catalog::StorageTargetId& id) {
  TS_ASSIGN_OR_RETURN(catalog::StorageTarget target, Target(id));
  return Open(target);
}

common::Result<std::shared_ptr<storage::ObjectStore>> StoreResolver::ForTarget(
    const catalog::StorageTarget& target) {
  {
    std::lock_guard lock(mu_);
    targets_[target.id.value()] = target;
  }
  return Open(target);
}

common::Result<std::shared_ptr<storage::ObjectStore>> StoreResolver::Open(
    const catalog::StorageTarget& target) {
  return registry_.Get(target.id.value(), catalog::StorageKindName(target.kind),
                       target.config_json);
}

void StoreResolver::Forget(const catalog::StorageTargetId& id) {
  std::lock_guard lock(mu_);
  targets_.erase(id.value());
}

}  // namespace timestore::partition
