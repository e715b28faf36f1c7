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

// The scopes a request claims: the comma-separated x-iam-scopes header, trimmed, empty items
// dropped. Not verified: authentication comes later.
std::vector<std::string> ScopesOf(const http::Request& request);

// The "message" of a Fastify-shaped error body, or the body itself when it has none.
std::string ErrorMessageOf(const http::Response& response);

class RequestAudit {
 public:
  // The id of the dataset called `slug`, or nothing (absent, or the catalog failed).
  using ResolveSlug = std::function<std::optional<catalog::DatasetId>(std::string_view slug)>;

  // `repository` may be null: nothing is recorded then.
  RequestAudit(catalog::AuditRepository* repository, ResolveSlug resolve_slug);

  struct Entry {
    std::string action;  // "ingest", "query", "sql.read", "lifecycle.run", ...
    std::optional<std::string> dataset_slug;
    std::optional<catalog::DatasetId> dataset_id;  // resolved from the slug when absent
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
  // plus one SELECT the first time a slug is seen); never fails.
  void Record(const Caller& caller, Entry entry) const;
  void Record(const http::Request& request, Entry entry) const {
    Record(CallerOf(request), std::move(entry));
  }

  // Wraps `handler` so its (non-streamed) answer is recorded as `action`: success is a 2xx,
  // failures carry {"error": message}. `dataset_of` (optional) names the dataset of a request.
  using DatasetOf = std::function<std::optional<std::string>(const http::Request&)>;
  http::Handler Wrap(std::string action, DatasetOf dataset_of, http::Handler handler) const;

 private:
  std::optional<catalog::DatasetId> Resolve(const std::string& slug) const;

  catalog::AuditRepository* const repository_;
  const ResolveSlug resolve_slug_;
  observability::Logger logger_;
  mutable std::mutex mu_;
  // Slug → id of datasets seen; bounded by kMaxCachedSlugs (cleared when full).
  mutable std::unordered_map<std::string, catalog::DatasetId> ids_;
  static constexpr size_t kMaxCachedSlugs = 10000;
};

// audit->Wrap(...), or `handler` itself when `audit` is null.
http::Handler Audited(const RequestAudit* audit, std::string action,
                      RequestAudit::DatasetOf dataset_of, http::Handler handler);

// DatasetOf for a route whose path names the dataset in parameter `name`.
RequestAudit::DatasetOf DatasetFromPath(std::string name);

}  // namespace timestore::api
