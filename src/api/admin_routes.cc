#include "api/admin_routes.h"

namespace timestore::api {

void AddAdminRoutes(http::Router& router, catalog::Catalog& catalog,
                    storage::ObjectStoreRegistry& stores, const AccessControl* access,
                    const RequestAudit* audit, const AdminRouteOptions& options) {
  AddAdminDatasetRoutes(router, catalog, access, audit, options);
  AddAdminStorageTargetRoutes(router, catalog, stores, access, audit, options);
}

}  // namespace timestore::api
