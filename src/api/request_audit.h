// RequestAudit: writes one catalog::AuditEvent per audited request (ingest, query, SQL read, admin
// changes). Like RequestMetrics it is called by the routes, which see every outcome. A failed
// write never fails the request: it is logged as a warning. Thread-safe; the repository and the
// dataset resolver must outlive it.
#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "catalog/audit_repository.h"
#include "catalog/types.h"
#include "http/request.h"
#include "http/response.h"
#include "http/router.h"
#include "observability/logger.h"

namespace timestore::api {

// The "message" of a Fastify-shaped error body, or the body itself when it has none.
std::string ErrorMessageOf(const http::Response& response);

class RequestAudit {
 public:
  // The dataset whose id or slug is `name`, or nothing (absent, or the catalog failed).
  using ResolveDataset = std::function<std::optional<catalog::Dataset>(std::string_view name)>;

  // `repository` may be null: nothing is recorded then.
  RequestAudit(catalog::AuditRepository* repository, ResolveDataset resolve_dataset);

  struct Entry {
    std::string action;  // "ingest", "query", "sql.read", "lifecycle.run", ...
    // The dataset as the request named it (id or slug); when `dataset_id` is absent both are
    // resolved through the catalog (the event keeps the name as given when none matches).
    std::optional<std::string> dataset_slug;
    std::optional<catalog::DatasetId> dataset_id;
    bool success = true;
    std::string metadata_json = "{}";  // a JSON object
  };

  // Who asked: kept apart from the request for answers recorded after the handler returned.
  struct Caller {
    std::optional<std::string> actor;
    std::vector<std::string> scopes;
    std::string request_id;
  };
  static Caller CallerOf(const http::Request& request);

  // Records `entry` with the actor, scopes and request id of the caller. Synchronous (one INSERT,
  // plus a lookup the first time a dataset name is seen); never fails.
  void Record(const Caller& caller, Entry entry) const;
  void Record(const http::Request& request, Entry entry) const {
    Record(CallerOf(request), std::move(entry));
  }

  // Wraps `handler` so its (non-streamed) answer is recorded as `action`: success is a 2xx,
  // failures carry {"error": message}. `dataset_of` (optional) names the dataset of a request.
  using DatasetOf = std::function<std::optional<std::string>(const http::Request&)>;
  http::Handler Wrap(std::string action, DatasetOf dataset_of, http::Handler handler) const;

 private:
  std::optional<catalog::Dataset> Resolve(const std::string& name) const;

  catalog::AuditRepository* const repository_;
  const ResolveDataset resolve_dataset_;
  observability::Logger logger_;
  mutable std::mutex mu_;
  // Id or slug → dataset seen (datasets are never deleted or renamed); bounded by
  // kMaxCachedDatasets (cleared when full). Guarded by mu_.
  mutable std::unordered_map<std::string, catalog::Dataset> datasets_;
  static constexpr size_t kMaxCachedDatasets = 10000;
};

// audit->Wrap(...), or `handler` itself when `audit` is null.
http::Handler Audited(const RequestAudit* audit, std::string action,
                      RequestAudit::DatasetOf dataset_of, http::Handler handler);

// DatasetOf for a route whose path names the dataset in parameter `name`.
RequestAudit::DatasetOf DatasetFromPath(std::string name);

}  // namespace timestore::api
