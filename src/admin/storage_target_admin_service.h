// StorageTargetAdminService: the administration of storage targets behind the admin routes:
// create and change with config validation (each kind's known members, then an object store
// opened from the config), secrets kept across changes that do not mention them, and
// compare-and-set retries when changes race. Typed in, typed out: no HTTP. Thread-safe; the
// catalog and the store registry must outlive it.
#pragma once

#include <array>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/catalog.h"
#include "catalog/types.h"
#include "common/status.h"
#include "storage/object_store_registry.h"

namespace timestore::admin {

// The config members that hold credentials: stored, never answered.
inline constexpr std::array<std::string_view, 3> kSecretConfigMembers = {
    "accessKeyId", "secretAccessKey", "sessionToken"};

// A requested change of a storage target. Each member that is set replaces the stored value,
// except the config, which is merged (see StorageTargetAdminService::Update).
struct StorageTargetChange {
  std::optional<std::string> name;
  std::optional<std::optional<std::string>> description;  // nothing: cleared
  // A JSON object: the config members to set (null ones are dropped).
  std::optional<std::string> config_json;
  bool empty() const { return !name && !description && !config_json; }
};

class StorageTargetAdminService {
 public:
  // `changed` (optional) is called after a target's definition changed, so caches of it go.
  StorageTargetAdminService(catalog::Catalog& catalog, storage::ObjectStoreRegistry& stores,
                            std::function<void(const catalog::StorageTargetId&)> changed = {});

  common::Result<std::vector<catalog::StorageTarget>> List();
  // kNotFound for an unknown target.
  common::Result<catalog::StorageTarget> Get(const catalog::StorageTargetId& id);

  // Creates `target`; its config_json is a JSON object whose null members count as absent.
  // kInvalidArgument "config.<m>: unknown member for a <kind> storage target", or "config: .."
  // when no store opens from the config; the catalog's errors (kAlreadyExists for a taken name).
  common::Result<catalog::StorageTarget> Create(catalog::NewStorageTarget target);

  // Applies `change` to target `id`. The new config is the change's members plus the stored
  // secret members it does not mention. Errors: kNotFound; kInvalidArgument for an empty change or
  // a config as in Create; kConflict when the target is the default one (its name and config come
  // from the environment) and the change touches either. A race with another change is retried
  // against the newer stored version (a bounded number of times, then kConflict).
  common::Result<catalog::StorageTarget> Update(const catalog::StorageTargetId& id,
                                                const StorageTargetChange& change);

 private:
  // OK when `config_json` opens a store of `kind`; the message names the config.
  common::Status Validate(catalog::StorageKind kind, const std::string& config_json) const;

  catalog::Catalog& catalog_;
  storage::ObjectStoreRegistry& stores_;
  const std::function<void(const catalog::StorageTargetId&)> changed_;
};

}  // namespace timestore::admin
