// Admin routes for dataset definitions and storage targets (each also under /v1); every route needs
// the admin permission, every change writes an audit event:
//   GET   /admin/datasets                     ?status=active|archived&search=&limit=1..500&cursor=
//                                             -> {"datasets":[...],"nextCursor":string|null}
//   POST  /admin/datasets                     create (201), identical replay (200), slug taken by
//                                             another definition (409) -> {"dataset"} + ETag
//   GET   /admin/datasets/:datasetId          -> {"dataset"} + ETag
//   PATCH /admin/datasets/:datasetId          If-Match (optional; 412 when stale) -> {"dataset"}
//   POST  /admin/datasets/:datasetId/archive  idempotent -> {"dataset"}
//   PUT   /admin/datasets/:datasetId/storage-target  {"storageTargetId"} -> {"dataset"}
//   GET   /admin/storage-targets              -> {"storageTargets":[...]}
//   GET   /admin/storage-targets/:targetId    -> {"storageTarget"}
//   POST  /admin/storage-targets              {"name","kind","description"?,"config"} (201)
//   PATCH /admin/storage-targets/:targetId    {"name"?,"description"?,"config"?}
// :datasetId is a dataset id or slug. Storage target secrets (accessKeyId, secretAccessKey,
// sessionToken) are never answered: the config shows "<member>Set": true|false instead.
// The routes decode, call admin::DatasetAdminService / StorageTargetAdminService, and encode.
#pragma once

#include "admin/dataset_admin_service.h"
#include "admin/storage_target_admin_service.h"
#include "api/access_control.h"
#include "api/request_audit.h"
#include "catalog/types.h"
#include "http/router.h"

namespace timestore::api {

struct AdminRouteOptions {
  // The write format of a dataset created without "writeFormat" (TIMESTORE_WRITE_FORMAT).
  catalog::WriteFormat default_write_format = catalog::WriteFormat::kParquet;
};

// The services must outlive the router; `access` (null: no checks) and `audit` (null: nothing
// recorded) too.
void AddAdminRoutes(http::Router& router, admin::DatasetAdminService& datasets,
                    admin::StorageTargetAdminService& targets, const AccessControl* access,
                    const RequestAudit* audit, const AdminRouteOptions& options = {});

// The two halves of AddAdminRoutes.
void AddAdminDatasetRoutes(http::Router& router, admin::DatasetAdminService& datasets,
                           const AccessControl* access, const RequestAudit* audit,
                           const AdminRouteOptions& options);
void AddAdminStorageTargetRoutes(http::Router& router, admin::StorageTargetAdminService& targets,
                                 const AccessControl* access, const RequestAudit* audit);

}  // namespace timestore::api
