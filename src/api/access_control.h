// AccessControl: who a request comes from (Identify, the server's identify hook) and what it may do
// (Check, Secured). Three modes (config::AuthMode):
// - none: no checks; the x-iam-* headers still name the actor for attribution. Only for loopback
//   binds (Service refuses anything else unless TIMESTORE_ALLOW_INSECURE=true).
// - headers: trust x-iam-scopes (comma-separated) and x-iam-user / x-user-id / x-actor-id, as the
//   original did behind its gateway. A request with none of them has no credentials.
// - tokens: `Authorization: Bearer <token>`, looked up by SHA-256 hash in api_tokens on every
//   request (revocation is immediate); TIMESTORE_ADMIN_TOKEN is one more token with the admin
//   scope. x-iam-* headers are ignored.
// Rules: no credentials or refused ones → 401; a missing scope → 403 naming it. The admin scope
// passes every check. A dataset's own read/write scopes (iam.readScopes / iam.writeScopes) replace
// the global read/write scope for it. Credentials limited to some datasets (a token's `datasets`)
// pass only for those: on routes that name no dataset only SQL is open to them (it sees just those
// datasets), never metrics or the global admin routes.
// Thread-safe; the repositories must outlive it.
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "api/request_audit.h"
#include "catalog/dataset_repository.h"
#include "catalog/token_repository.h"
#include "catalog/types.h"
#include "common/status.h"
#include "config/service_config.h"
#include "http/request.h"
#include "http/router.h"

namespace timestore::api {

enum class Permission { kRead, kWrite, kAdmin, kSqlRead, kMetrics };

// What a route needs: a permission and, for routes about one dataset, the path parameter naming it
// (slug or id).
struct Requirement {
  Permission permission;
  std::string dataset_param;  // empty: the route names no dataset
};

// Every token secret is this prefix + 43 base64url characters (256 random bits).
inline constexpr std::string_view kTokenPrefix = "tst_";

// SHA-256 of `token` in lowercase hex: what api_tokens keeps instead of the secret.
std::string HashToken(std::string_view token);

// A new random token secret ("tst_..."), from the OS's CSPRNG.
std::string NewTokenSecret();

class AccessControl {
 public:
  // `audit` (optional) records every refused request as "access.denied".
  AccessControl(config::AuthConfig config, catalog::DatasetRepository& datasets,
                catalog::TokenRepository& tokens, const RequestAudit* audit = nullptr);

  const config::AuthConfig& config() const { return config_; }
  // The scope name `permission` requires globally (the TIMESTORE_*_SCOPE variables).
  const std::string& ScopeOf(Permission permission) const;

  // The identity of `request` (ServerOptions::identify). Never throws; a catalog failure becomes an
  // identity whose error is kUnavailable.
  http::Identity Identify(const http::Request& request) const;

  // OK when `identity` may exercise `permission`; on `dataset` when given (its own scopes apply),
  // or on the dataset named `dataset_name` that does not exist (yet). kUnauthenticated without
  // credentials, kPermissionDenied naming the missing scope.
  common::Status Check(const http::Identity& identity, Permission permission,
                       const catalog::Dataset* dataset,
                       std::optional<std::string_view> dataset_name = std::nullopt) const;

  // The dataset whose slug or id is `name`, or nothing.
  common::Result<std::optional<catalog::Dataset>> FindDataset(std::string_view name) const;

  // Records the refusal of `request` (the 401/403/503 `verdict`) in the audit trail.
  void RecordDenial(const http::Request& request, const Requirement& requirement,
                    const common::Status& verdict) const;

  // The slugs `identity` may read, or nothing when it may read every dataset (mode none, or an
  // unrestricted admin). For SQL: every other dataset is as if it did not exist.
  common::Result<std::optional<std::set<std::string>>> ReadableDatasets(
      const http::Identity& identity) const;

 private:
  http::Identity IdentifyByHeaders(const http::Request& request) const;
  http::Identity IdentifyByToken(const http::Request& request) const;

  const config::AuthConfig config_;
  const std::string admin_token_hash_;  // empty without TIMESTORE_ADMIN_TOKEN
  catalog::DatasetRepository& datasets_;
  catalog::TokenRepository& tokens_;
  const RequestAudit* const audit_;
};

// `handler`, run only when the request meets `requirement`; otherwise the Fastify-shaped 401
// (with `WWW-Authenticate: Bearer` in tokens mode), 403 or 503, recorded as "access.denied". For a
// dataset route the dataset is looked up by slug or id from the path parameter, and the one found
// is handed to `handler` through ResolvedDataset (one catalog read per request). `access` null, or
// auth mode none: no checks and no lookup.
http::Handler Secured(const AccessControl* access, Requirement requirement, http::Handler handler);

// The dataset Secured resolved for `request`, while the handler it wrapped runs on this thread
// (the wrappers between Secured and the handler pass the same Request object along). Null when
// there was no lookup (no checks, a route naming no dataset) or no dataset had that name.
const catalog::Dataset* ResolvedDataset(const http::Request& request);

// The dataset a route's path parameter `param` names: the one Secured resolved, else looked up
// with `lookup` (kNotFound when absent, as DatasetRepository::GetByIdOrSlug).
common::Result<catalog::Dataset> RouteDataset(
    const http::Request& request, std::string_view param,
    const std::function<common::Result<catalog::Dataset>(std::string_view)>& lookup);

}  // namespace timestore::api
