// StoreResolver: the one way from a storage target id to its opened object store. It reads the
// target's row from the catalog (remembered until Forget, or for the resolver's lifetime) and opens
// the store through the shared ObjectStoreRegistry, keyed by target id, which opens it again when
// the target's configuration changed. A long-lived instance serves a process (ingest, queries); an
// operation may make one per job to read each target row once. Thread-safe; the catalog and the
// registry must outlive it.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "catalog/catalog.h"
#include "catalog/types.h"
#include "common/status.h"
#include "storage/object_store.h"
#include "storage/object_store_registry.h"

namespace timestore::partition {

class StoreResolver {
 public:
  StoreResolver(catalog::Catalog& catalog, storage::ObjectStoreRegistry& registry)
      : catalog_(catalog), registry_(registry) {}
  StoreResolver(const StoreResolver&) = delete;
  StoreResolver& operator=(const StoreResolver&) = delete;

  // The store of target `id`. kNotFound for an unknown target; the catalog's errors; the
  // registry's (see storage::OpenObjectStore) for a configuration that cannot be opened.
  common::Result<std::shared_ptr<storage::ObjectStore>> ForTarget(
      const catalog::StorageTargetId& id);

  // The store of `target`, a row the caller has just read (it replaces a remembered one).
  common::Result<std::shared_ptr<storage::ObjectStore>> ForTarget(
      const catalog::StorageTarget& target);

  // The row of target `id` (remembered after the first read). Errors as ForTarget.
  common::Result<catalog::StorageTarget> Target(const catalog::StorageTargetId& id);

  // Drops the remembered row of `id`, so that the next call reads it again (after an update).
  void Forget(const catalog::StorageTargetId& id);

 private:
  // Opens (or finds) the store of `target` in the registry.
  common::Result<std::shared_ptr<storage::ObjectStore>> Open(const catalog::StorageTarget& target);

  catalog::Catalog& catalog_;
  storage::ObjectStoreRegistry& registry_;
  std::mutex mu_;
  std::map<std::string, catalog::StorageTarget> targets_;  // by id; guarded by mu_
};

}  // namespace timestore::partition
