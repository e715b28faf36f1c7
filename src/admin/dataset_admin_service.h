// DatasetAdminService: the administration of dataset definitions behind the admin routes: list,
// create with replay (an identical definition answers the existing dataset), change under an
// If-Match precondition, archive, and storage target assignment. Typed in, typed out: no HTTP,
// no JSON. Thread-safe; the catalog must outlive it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "catalog/catalog.h"
#include "catalog/types.h"
#include "common/status.h"

namespace timestore::admin {

// The dataset a call is about: already resolved by the caller (the access check read it), or its
// id or slug, looked up by the service.
using DatasetRef = std::variant<catalog::Dataset, std::string>;

// An If-Match precondition: the ETags the client accepts ("*": any). Nothing: no precondition.
using IfMatch = std::optional<std::vector<std::string>>;

class DatasetAdminService {
 public:
  explicit DatasetAdminService(catalog::Catalog& catalog) : catalog_(catalog) {}

  // One page of datasets; kInvalidArgument for a bad limit or cursor.
  common::Result<catalog::DatasetPage> List(const catalog::ListDatasetsOptions& options);

  // Creates `dataset`, or answers the existing one with created=false when the slug already holds
  // exactly this definition (a replay). kInvalidArgument "defaultStorageTargetId: storage target
  // '..' not found" for an unknown target; kAlreadyExists when the slug holds another definition.
  common::Result<catalog::EnsuredDataset> Create(const catalog::NewDataset& dataset);

  // The dataset `ref` names; kNotFound when absent.
  common::Result<catalog::Dataset> Get(const DatasetRef& ref);

  // Applies `patch` to the dataset `ref` names. With an If-Match naming its current ETag, the
  // change is a compare-and-set on that revision (kFailedPrecondition when another change came
  // first); an If-Match that admits neither "*" nor the current ETag is kFailedPrecondition naming
  // the current ETag. kInvalidArgument naming defaultStorageTargetId for an unknown target.
  common::Result<catalog::Dataset> Update(const DatasetRef& ref, const catalog::DatasetPatch& patch,
                                          const IfMatch& if_match);

  // Archives the dataset `ref` names; an archived one is answered unchanged (idempotent).
  common::Result<catalog::Dataset> Archive(const DatasetRef& ref);

  // Makes `target` the dataset's default storage target, under `if_match` as Update. kNotFound for
  // an unknown target (checked first) or dataset.
  common::Result<catalog::Dataset> AssignStorageTarget(const DatasetRef& ref,
                                                       const catalog::StorageTargetId& target,
                                                       const IfMatch& if_match);

 private:
  // OK when the target exists; kInvalidArgument naming `field` when it does not.
  common::Status CheckTargetExists(const catalog::StorageTargetId& id, std::string_view field);
  // Update without the storage target check.
  common::Result<catalog::Dataset> Patch(const DatasetRef& ref, const catalog::DatasetPatch& patch,
                                         const IfMatch& if_match);

  catalog::Catalog& catalog_;
};

}  // namespace timestore::admin
