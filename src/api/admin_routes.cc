#include "api/admin_routes.h"

namespace timestore::api {

void AddAdminRoutes(http::Router& router, admin::DatasetAdminService& datasets,
                    admin::StorageTargetAdminService& targets, const AccessControl* access,
                    const RequestAudit* audit, const AdminRouteOptions& options) {
  AddAdminDatasetRoutes(router, datasets, access, audit, options);
  AddAdminStorageTargetRoutes(router, targets, access, audit);
}

}  // namespace timestore::api
