#include "api/token_routes.h"

#include <string_view>
#include <utility>

#include <simdjson.h>

#include "api/api_error.h"
#include "api/json_body.h"
#include "api/routes.h"
#include "common/json_describe.h"
#include "common/time.h"

namespace timestore::api {
namespace {

using common::ExpectedJson;
using common::InvalidArgument;
using common::Result;
using simdjson::dom::element;
using simdjson::dom::element_type;

constexpr size_t kMaxNameLength = 200;
constexpr size_t kMaxScopes = 64;
constexpr size_t kMaxDatasets = 1000;

bool IsValidScope(std::string_view scope) {
  if (scope.empty() || scope.size() > 200) return false;
  for (char c : scope) {
    if (c == ',' || static_cast<unsigned char>(c) <= ' ' || c == 0x7f) return false;
  }
  return true;
}

Result<TokenRequest> ParseTokenRequest(element body) {
  if (body.type() != element_type::OBJECT) return ExpectedJson("body", "an object", body);
  TokenRequest request;
  bool has_name = false;
  bool has_scopes = false;
  const simdjson::dom::object members = body.get_object().value_unsafe();
  for (auto [key, value] : members) {
    if (key == "name") {
      TS_ASSIGN_OR_RETURN(request.name, JsonString("name", value));
      has_name = true;
    } else if (key == "scopes") {
      TS_ASSIGN_OR_RETURN(request.scopes, JsonStringArray("scopes", value));
      has_scopes = true;
    } else if (key == "datasets") {
      if (!value.is_null()) {
        TS_ASSIGN_OR_RETURN(request.datasets, JsonStringArray("datasets", value));
      }
    } else if (key == "expiresAt") {
      if (value.is_null()) continue;
      if (value.type() != element_type::STRING) {
        return ExpectedJson("expiresAt", "an ISO 8601 timestamp", value);
      }
      auto at = common::ParseIso8601(value.get_string().value_unsafe());
      if (!at) return ExpectedJson("expiresAt", "an ISO 8601 timestamp", value);
      request.expires_at = *at;
    } else {
      return InvalidArgument("body: unknown field '" + std::string(key) +
                             "' (expected name, scopes, datasets, expiresAt)");
    }
  }
  if (!has_name) return InvalidArgument("name: required");
  if (!has_scopes) return InvalidArgument("scopes: required");
  return request;
}

Result<catalog::ApiTokenId> TokenIdParam(const http::Request& request) {
  const std::string_view id = request.PathParam("tokenId").value_or("");
  if (id.empty() || id.size() > 128) return InvalidArgument("tokenId: must be a token id");
  return catalog::ApiTokenId(std::string(id));
}

void WriteOptionalTime(common::JsonWriter& w, const std::optional<common::UnixMicros>& t) {
  if (t) {
    w.String(common::FormatIso8601(*t));
  } else {
    w.Null();
  }
}

std::string TokenAnswer(const catalog::ApiToken& token, common::UnixMicros now) {
  common::JsonWriter w;
  w.BeginObject().Key("token");
  WriteTokenJson(w, token, now);
  w.EndObject();
  return w.TakeBuffer();
}

// The audit entry of a token change: its id, name and scopes (never the secret).
RequestAudit::Entry TokenAuditEntry(std::string action, const catalog::ApiToken& token) {
  RequestAudit::Entry entry;
  entry.action = std::move(action);
  common::JsonWriter w;
  w.BeginObject().Key("tokenId").String(token.id.value()).Key("name").String(token.name);
  w.Key("scopes").BeginArray();
  for (const std::string& s : token.scopes) w.String(s);
  w.EndArray().EndObject();
  entry.metadata_json = w.TakeBuffer();
  return entry;
}

}  // namespace

Result<IssuedToken> IssueToken(catalog::TokenRepository& tokens, const TokenRequest& request,
                               common::UnixMicros now) {
  if (request.name.empty() || request.name.size() > kMaxNameLength) {
    return InvalidArgument("name: must be 1 to 200 characters");
  }
  if (request.scopes.empty() || request.scopes.size() > kMaxScopes) {
    return InvalidArgument("scopes: must list 1 to 64 scopes");
  }
  for (size_t i = 0; i < request.scopes.size(); ++i) {
    if (!IsValidScope(request.scopes[i])) {
      return InvalidArgument("scopes[" + std::to_string(i) + "]: '" + request.scopes[i] +
                             "' is not a scope name (1-200 characters, no commas or whitespace)");
    }
  }
  if (request.datasets) {
    if (request.datasets->empty() || request.datasets->size() > kMaxDatasets) {
      return InvalidArgument(
          "datasets: must list 1 to 1000 dataset slugs (leave it out for every dataset)");
    }
    for (size_t i = 0; i < request.datasets->size(); ++i) {
      if (!catalog::IsValidDatasetSlug((*request.datasets)[i])) {
        return InvalidArgument("datasets[" + std::to_string(i) + "]: '" + (*request.datasets)[i] +
                               "' is not a dataset slug");
      }
    }
  }
  if (request.expires_at && *request.expires_at <= now) {
    return InvalidArgument("expiresAt: must be in the future");
  }
  IssuedToken issued;
  issued.secret = NewTokenSecret();
  catalog::NewApiToken token;
  token.name = request.name;
  token.token_hash = HashToken(issued.secret);
  token.scopes = request.scopes;
  token.datasets = request.datasets;
  token.created_by = request.created_by;
  token.expires_at = request.expires_at;
  TS_ASSIGN_OR_RETURN(issued.token, tokens.Create(token));
  return issued;
}

void WriteTokenJson(common::JsonWriter& w, const catalog::ApiToken& token, common::UnixMicros now) {
  w.BeginObject();
  w.Key("id").String(token.id.value());
  w.Key("name").String(token.name);
  w.Key("scopes").BeginArray();
  for (const std::string& s : token.scopes) w.String(s);
  w.EndArray();
  w.Key("datasets");
  if (token.datasets) {
    w.BeginArray();
    for (const std::string& d : *token.datasets) w.String(d);
    w.EndArray();
  } else {
    w.Null();
  }
  w.Key("createdBy");
  token.created_by ? w.String(*token.created_by) : w.Null();
  w.Key("createdAt").String(common::FormatIso8601(token.created_at));
  w.Key("expiresAt");
  WriteOptionalTime(w, token.expires_at);
  w.Key("revokedAt");
  WriteOptionalTime(w, token.revoked_at);
  w.Key("lastUsedAt");
  WriteOptionalTime(w, token.last_used_at);
  const char* status = token.revoked_at                               ? "revoked"
                       : token.expires_at && *token.expires_at <= now ? "expired"
                                                                      : "active";
  w.Key("status").String(status);
  w.EndObject();
}

std::string IssuedTokenJson(const IssuedToken& issued, common::UnixMicros now) {
  common::JsonWriter token;
  WriteTokenJson(token, issued.token, now);
  std::string json = token.TakeBuffer();
  // The token object with the secret as one more member.
  json.pop_back();
  common::JsonWriter secret;
  secret.String(issued.secret);
  return json + ",\"token\":" + secret.TakeBuffer() + "}";
}

void AddTokenRoutes(http::Router& router, catalog::TokenRepository& tokens,
                    const RequestAudit* audit, const AccessControl* access) {
  const Requirement admin{Permission::kAdmin, ""};
  AddVersionedRoute(
      router, "POST", "/admin/tokens",
      Secured(access, admin,
              JsonRoute([&tokens, audit](const http::Request& request, element body) {
                auto parsed = ParseTokenRequest(body);
                if (!parsed.ok()) return ErrorAnswer(parsed.status());
                parsed->created_by = request.identity.actor;
                const common::UnixMicros now = common::NowMicros();
                auto issued = IssueToken(tokens, *parsed, now);
                if (!issued.ok()) return ErrorAnswer(issued.status());
                if (audit != nullptr) {
                  audit->Record(request, TokenAuditEntry("token.create", issued->token));
                }
                http::Response response = http::Response::Json(IssuedTokenJson(*issued, now), 201);
                response.headers.emplace_back("Cache-Control", "no-store");
                return response;
              })));
  AddVersionedRoute(router, "GET", "/admin/tokens",
                    Secured(access, admin, [&tokens](const http::Request&) {
                      auto all = tokens.List();
                      if (!all.ok()) return ErrorAnswer(all.status());
                      const common::UnixMicros now = common::NowMicros();
                      common::JsonWriter w;
                      w.BeginObject().Key("tokens").BeginArray();
                      for (const catalog::ApiToken& t : *all) WriteTokenJson(w, t, now);
                      w.EndArray().EndObject();
                      return http::Response::Json(w.TakeBuffer());
                    }));
  AddVersionedRoute(
      router, "DELETE", "/admin/tokens/:tokenId",
      Secured(access, admin, [&tokens, audit](const http::Request& request) {
        auto id = TokenIdParam(request);
        if (!id.ok()) return ErrorAnswer(id.status());
        auto revoked = tokens.Revoke(*id);
        if (!revoked.ok()) return ErrorAnswer(revoked.status());
        if (!*revoked)
          return ErrorAnswer(common::NotFound("token '" + id->value() + "' not found"));
        if (audit != nullptr) audit->Record(request, TokenAuditEntry("token.revoke", **revoked));
        return http::Response::Json(TokenAnswer(**revoked, common::NowMicros()));
      }));
}

}  // namespace timestore::api
