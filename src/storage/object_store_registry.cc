#include "storage/object_store_registry.h"

#include "storage/open_object_store.h"

namespace timestore::storage {

common::Result<std::shared_ptr<ObjectStore>> ObjectStoreRegistry::Get(
    const std::string& target_id, std::string_view kind, std::string_view config_json) {
  std::lock_guard lock(mu_);
  auto it = stores_.find(target_id);
  if (it != stores_.end() && it->second.kind == kind && it->second.config_json == config_json) {
    return it->second.store;
  }
  TS_ASSIGN_OR_RETURN(std::unique_ptr<ObjectStore> opened,
                      OpenObjectStore(kind, config_json, s3_defaults_, metrics_));
  std::shared_ptr<ObjectStore> store(std::move(opened));
  stores_[target_id] = Entry{std::string(kind), std::string(config_json), store};
  return store;
}

common::Status ObjectStoreRegistry::Validate(std::string_view kind,
                                             std::string_view config_json) const {
  return OpenObjectStore(kind, config_json, s3_defaults_, nullptr).status();
}

}  // namespace timestore::storage
