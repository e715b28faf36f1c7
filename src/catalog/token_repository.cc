#include "catalog/token_repository.h"

#include <string>

#include "catalog/rows.h"

namespace timestore::catalog {
namespace {

using common::Result;

constexpr std::string_view kTokenColumns =
    "id, name, scopes, datasets IS NULL, datasets, created_by, " TS_MICROS(
        "created_at") ", " TS_MICROS("expires_at") ", " TS_MICROS("revoked_at") ", " TS_MICROS("last_used_at");

ApiToken ReadToken(const PgResult& r, int row) {
  ApiToken t;
  t.id = ApiTokenId(std::string(r.GetText(row, 0)));
  t.name = r.GetText(row, 1);
  t.scopes = r.GetTextArray(row, 2);
  if (!r.GetBool(row, 3)) t.datasets = r.GetTextArray(row, 4);
  t.created_by = r.GetOptionalText(row, 5);
  t.created_at = r.GetInt64(row, 6);
  t.expires_at = r.GetOptionalInt64(row, 7);
  t.revoked_at = r.GetOptionalInt64(row, 8);
  t.last_used_at = r.GetOptionalInt64(row, 9);
  return t;
}

std::string Columns() { return std::string(kTokenColumns); }

}  // namespace

Result<ApiToken> TokenRepository::Create(const NewApiToken& token) {
  TS_ASSIGN_OR_RETURN(PgLease lease, pool_.Acquire());
  PgParams params;
  params.Add(token.name).Add(token.token_hash).AddTextArray(token.scopes);
  if (token.datasets) {
    params.AddTextArray(*token.datasets);
  } else {
    params.AddNull();
  }
  params.Add(token.created_by).Add(token.expires_at);
  auto res = lease->Exec(
      "INSERT INTO api_tokens (name, token_hash, scopes, datasets, created_by, expires_at) "
      "VALUES ($1, $2, $3, $4, $5, " TS_FROM_MICROS("$6") ") RETURNING " +
          Columns(),
      params);
  if (!res.ok()) {
    if (res.status().code() == common::StatusCode::kAlreadyExists) {
      return common::AlreadyExists("a token with this secret exists already");
    }
    return res.status();
  }
  return ReadToken(*res, 0);
}

Result<std::optional<ApiToken>> TokenRepository::FindUsable(std::string_view token_hash) {
  TS_ASSIGN_OR_RETURN(PgLease lease, pool_.Acquire());
  // The CTE's UPDATE sees the row as of the statement start, so the answer is the same whether or
  // not it writes.
  TS_ASSIGN_OR_RETURN(
      PgResult res,
      lease->Exec("WITH found AS (SELECT " + Columns() +
                      " FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL "
                      "AND (expires_at IS NULL OR expires_at > now())), "
                      "touched AS (UPDATE api_tokens SET last_used_at = now() "
                      "WHERE token_hash = $1 AND revoked_at IS NULL AND (last_used_at IS NULL "
                      "OR last_used_at < now() - interval '60 seconds') RETURNING 1) "
                      "SELECT * FROM found",
                  PgParams().Add(token_hash)));
  if (res.rows() == 0) return std::optional<ApiToken>();
  return std::optional<ApiToken>(ReadToken(res, 0));
}

Result<std::vector<ApiToken>> TokenRepository::List() {
  TS_ASSIGN_OR_RETURN(PgLease lease, pool_.Acquire());
  TS_ASSIGN_OR_RETURN(PgResult res, lease->Exec("SELECT " + Columns() +
                                                " FROM api_tokens ORDER BY created_at DESC, id"));
  return rows::ReadAll(res, &ReadToken);
}

Result<std::optional<ApiToken>> TokenRepository::Find(const ApiTokenId& id) {
  TS_ASSIGN_OR_RETURN(PgLease lease, pool_.Acquire());
  TS_ASSIGN_OR_RETURN(PgResult res,
                      lease->Exec("SELECT " + Columns() + " FROM api_tokens WHERE id = $1",
                                  PgParams().Add(id.value())));
  if (res.rows() == 0) return std::optional<ApiToken>();
  return std::optional<ApiToken>(ReadToken(res, 0));
}

Result<std::optional<ApiToken>> TokenRepository::Revoke(const ApiTokenId& id) {
  TS_ASSIGN_OR_RETURN(PgLease lease, pool_.Acquire());
  TS_ASSIGN_OR_RETURN(
      PgResult res,
      lease->Exec("UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 "
                  "RETURNING " +
                      Columns(),
                  PgParams().Add(id.value())));
  if (res.rows() == 0) return std::optional<ApiToken>();
  return std::optional<ApiToken>(ReadToken(res, 0));
}

}  // namespace timestore::catalog
