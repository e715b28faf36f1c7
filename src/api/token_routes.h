// Bearer tokens for auth mode `tokens`: issuing (shared by POST /admin/tokens and `timestore token
// create`), listing and revoking. The secret exists only in the answer that issues it; the catalog
// keeps its SHA-256.
//   POST   /admin/tokens            {"name","scopes":[...],"datasets"?:[...],"expiresAt"?} → 201
//   GET    /admin/tokens            every token, without secrets
//   DELETE /admin/tokens/:tokenId   revokes at once (200 with the revoked token; 404 unknown)
// All need the admin scope on unrestricted credentials; changes are audited.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "api/access_control.h"
#include "api/request_audit.h"
#include "catalog/token_repository.h"
#include "catalog/types.h"
#include "common/json_writer.h"
#include "common/status.h"
#include "http/router.h"

namespace timestore::api {

struct TokenRequest {
  std::string name;                                  // 1..200 characters
  std::vector<std::string> scopes;                   // at least one; no commas or whitespace
  std::optional<std::vector<std::string>> datasets;  // valid slugs, at least one; nothing = all
  std::optional<common::UnixMicros> expires_at;      // must be later than `now`
  std::optional<std::string> created_by;
};

struct IssuedToken {
  catalog::ApiToken token;
  std::string secret;  // shown once
};

// Validates `request` (kInvalidArgument naming the field) and stores a new token.
common::Result<IssuedToken> IssueToken(catalog::TokenRepository& tokens,
                                       const TokenRequest& request, common::UnixMicros now);

// {"id","name","scopes","datasets","createdBy","createdAt","expiresAt","revokedAt","lastUsedAt",
// "status":"active"|"expired"|"revoked"}: never the secret.
void WriteTokenJson(common::JsonWriter& w, const catalog::ApiToken& token, common::UnixMicros now);

// The token's JSON with "token": the secret added.
std::string IssuedTokenJson(const IssuedToken& issued, common::UnixMicros now);

void AddTokenRoutes(http::Router& router, catalog::TokenRepository& tokens,
                    const RequestAudit* audit = nullptr, const AccessControl* access = nullptr);

}  // namespace timestore::api
