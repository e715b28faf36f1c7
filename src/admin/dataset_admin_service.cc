#include "admin/dataset_admin_service.h"

namespace timestore::admin {
namespace {

// Whether `dataset` may be changed under `if_match`, and whether as a compare-and-set on its
// revision (the client named its current ETag).
common::Result<bool> CompareAndSet(const catalog::Dataset& dataset, const IfMatch& if_match) {
  if (!if_match) return false;
  const std::string etag = dataset.ETag();
  for (const std::string& item : *if_match) {
    if (item == "*") return false;
    if (item == etag) return true;
  }
  return common::FailedPrecondition("If-Match: dataset '" + dataset.slug +
                                    "' has changed (its ETag is now " + etag + ")");
}

}  // namespace

common::Result<catalog::DatasetPage> DatasetAdminService::List(
    const catalog::ListDatasetsOptions& options) {
  return catalog_.datasets().List(options);
}

common::Status DatasetAdminService::CheckTargetExists(const catalog::StorageTargetId& id,
                                                      std::string_view field) {
  auto target = catalog_.storage_targets().Get(id);
  if (target.ok()) return common::Status::Ok();
  if (target.status().code() == common::StatusCode::kNotFound) {
    return common::InvalidArgument(std::string(field) + ": storage target '" + id.value() +
                                   "' not found");
  }
  return target.status();
}

common::Result<catalog::EnsuredDataset> DatasetAdminService::Create(
    const catalog::NewDataset& dataset) {
  if (dataset.default_storage_target_id) {
    TS_RETURN_IF_ERROR(
        CheckTargetExists(*dataset.default_storage_target_id, "defaultStorageTargetId"));
  }
  return catalog_.datasets().Ensure(dataset);
}

common::Result<catalog::Dataset> DatasetAdminService::Get(const DatasetRef& ref) {
  if (const auto* dataset = std::get_if<catalog::Dataset>(&ref)) return *dataset;
  return catalog_.datasets().GetByIdOrSlug(std::get<std::string>(ref));
}

common::Result<catalog::Dataset> DatasetAdminService::Update(const DatasetRef& ref,
                                                             const catalog::DatasetPatch& patch,
                                                             const IfMatch& if_match) {
  if (patch.default_storage_target_id && *patch.default_storage_target_id) {
    TS_RETURN_IF_ERROR(
        CheckTargetExists(**patch.default_storage_target_id, "defaultStorageTargetId"));
  }
  return Patch(ref, patch, if_match);
}

common::Result<catalog::Dataset> DatasetAdminService::Patch(const DatasetRef& ref,
                                                            const catalog::DatasetPatch& patch,
                                                            const IfMatch& if_match) {
  TS_ASSIGN_OR_RETURN(catalog::Dataset dataset, Get(ref));
  TS_ASSIGN_OR_RETURN(bool compare_and_set, CompareAndSet(dataset, if_match));
  return catalog_.datasets().Update(
      dataset.id, patch, compare_and_set ? std::optional<int64_t>(dataset.revision) : std::nullopt);
}

common::Result<catalog::Dataset> DatasetAdminService::Archive(const DatasetRef& ref) {
  TS_ASSIGN_OR_RETURN(catalog::Dataset dataset, Get(ref));
  if (dataset.status == catalog::DatasetStatus::kArchived) return dataset;
  catalog::DatasetPatch patch;
  patch.status = catalog::DatasetStatus::kArchived;
  return catalog_.datasets().Update(dataset.id, patch);
}

common::Result<catalog::Dataset> DatasetAdminService::AssignStorageTarget(
    const DatasetRef& ref, const catalog::StorageTargetId& target, const IfMatch& if_match) {
  TS_RETURN_IF_ERROR(catalog_.storage_targets().Get(target).status());  // kNotFound when unknown
  catalog::DatasetPatch patch;
  patch.default_storage_target_id = std::optional<catalog::StorageTargetId>(target);
  return Patch(ref, patch, if_match);
}

}  // namespace timestore::admin
