// TokenRepository: the bearer tokens of auth mode `tokens` (table api_tokens). Secrets never reach
// the catalog: callers hash them (api::HashToken) and look tokens up by hash. Thread-safe; every
// call borrows a connection from the pool, which must outlive the repository.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "catalog/pg_pool.h"
#include "catalog/types.h"
#include "common/status.h"

namespace timestore::catalog {

class TokenRepository {
 public:
  explicit TokenRepository(PgPool& pool) : pool_(pool) {}

  // Stores a new token. kAlreadyExists when the hash is taken (a reused secret).
  common::Result<ApiToken> Create(const NewApiToken& token);

  // The token whose secret hashes to `token_hash` and that is neither revoked nor expired at the
  // catalog's clock, or nothing. Marks it used (last_used_at, at most once a minute, so a busy
  // token does not write on every request). One round trip.
  common::Result<std::optional<ApiToken>> FindUsable(std::string_view token_hash);

  // Every token, revoked and expired ones included, newest first.
  common::Result<std::vector<ApiToken>> List();
  common::Result<std::optional<ApiToken>> Find(const ApiTokenId& id);

  // Revokes the token now. The revoked token (already revoked: unchanged, revoked_at kept);
  // nothing when there is no such token.
  common::Result<std::optional<ApiToken>> Revoke(const ApiTokenId& id);

 private:
  PgPool& pool_;
};

}  // namespace timestore::catalog
