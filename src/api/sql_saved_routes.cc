#include "api/sql_saved_routes.h"

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <simdjson.h>

#include "api/access_control.h"
#include "api/api_error.h"
#include "api/catalog_encoding.h"
#include "api/json_body.h"
#include "api/request_audit.h"
#include "api/routes.h"
#include "common/json_writer.h"
#include "common/text.h"

namespace timestore::api {
namespace {

using common::InvalidArgument;
using common::Result;
using simdjson::dom::element;
using simdjson::dom::element_type;

constexpr size_t kMaxStatementCharacters = 100'000;
constexpr int64_t kMaxSafeInteger = (int64_t{1} << 53) - 1;  // JavaScript's Number.MAX_SAFE_INTEGER

// Unicode code points of valid UTF-8 text (simdjson validated it): bytes that do not continue one.
size_t CodePoints(std::string_view utf8) {
  size_t n = 0;
  for (char c : utf8) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

Result<catalog::SavedQueryId> IdParam(const http::Request& request) {
  std::string_view id = request.PathParam("id").value_or("");
  if (!catalog::IsValidSavedQueryId(id)) {
    return InvalidArgument("id: must be 1-128 characters of letters, digits, '.', '_', ':' or '-'");
  }
  return catalog::SavedQueryId(std::string(id));
}

// Member `key` of `object`; nothing when absent or null.
std::optional<element> OptionalMember(simdjson::dom::object object, std::string_view key) {
  element value;
  if (object.at_key(key).get(value) != simdjson::SUCCESS || value.is_null()) return std::nullopt;
  return value;
}

// An integer in [0, 2^53-1]; integral doubles such as 5.0 or 1e3 count, as in JavaScript.
Result<std::optional<int64_t>> StatsCount(simdjson::dom::object stats, std::string_view key) {
  std::optional<element> value = OptionalMember(stats, key);
  if (!value) return std::optional<int64_t>();
  std::optional<int64_t> n;
  int64_t i = 0;
  double d = 0;
  if (value->type() == element_type::INT64 && value->get(i) == simdjson::SUCCESS) {
    n = i;
  } else if (value->type() == element_type::DOUBLE && value->get(d) == simdjson::SUCCESS) {
    if (std::isfinite(d) && d >= 0 && d <= static_cast<double>(kMaxSafeInteger) &&
        d == std::floor(d)) {
      n = static_cast<int64_t>(d);
    }
  }
  if (!n || *n < 0 || *n > kMaxSafeInteger) {
    return InvalidArgument("stats." + std::string(key) +
                           ": must be a non-negative integer no greater than " +
                           std::to_string(kMaxSafeInteger));
  }
  return n;
}

Result<catalog::SavedQueryUpsert> DecodeUpsert(const http::Request& request, element body) {
  TS_ASSIGN_OR_RETURN(catalog::SavedQueryId id, IdParam(request));
  simdjson::dom::object object;
  if (body.get(object) != simdjson::SUCCESS) return InvalidArgument("body: must be a JSON object");

  catalog::SavedQueryUpsert q;
  q.id = std::move(id);
  std::string_view statement;
  if (object.at_key("statement").get(statement) != simdjson::SUCCESS ||
      common::TrimWhitespace(statement).empty()) {
    return InvalidArgument("statement: must be a non-empty string");
  }
  if (CodePoints(statement) > kMaxStatementCharacters) {
    return InvalidArgument("statement: must be at most " + std::to_string(kMaxStatementCharacters) +
                           " characters");
  }
  if (statement.find('\0') != std::string_view::npos) {
    return InvalidArgument("statement: must not contain NUL characters");
  }
  q.statement = std::string(statement);

  if (std::optional<element> label = OptionalMember(object, "label")) {
    std::string_view text;
    if (label->get(text) != simdjson::SUCCESS) {
      return InvalidArgument("label: must be a string or null");
    }
    if (text.find('\0') != std::string_view::npos) {
      return InvalidArgument("label: must not contain NUL characters");
    }
    text = common::TrimWhitespace(text);
    if (!text.empty()) q.label = std::string(text);
  }

  if (std::optional<element> stats_value = OptionalMember(object, "stats")) {
    simdjson::dom::object stats;
    if (stats_value->get(stats) != simdjson::SUCCESS) {
      return InvalidArgument("stats: must be an object or null");
    }
    TS_ASSIGN_OR_RETURN(q.stats.row_count, StatsCount(stats, "rowCount"));
    TS_ASSIGN_OR_RETURN(q.stats.elapsed_ms, StatsCount(stats, "elapsedMs"));
  }
  q.created_by = request.identity.actor;
  return q;
}

http::Response SavedQueryAnswer(const catalog::SavedQuery& q) {
  common::JsonWriter w;
  w.BeginObject().Key("savedQuery");
  WriteSavedQueryJson(w, q);
  w.EndObject();
  return http::Response::Json(w.TakeBuffer());
}

common::Status NotFound(const catalog::SavedQueryId& id) {
  return common::NotFound("saved query '" + id.value() + "' not found");
}

}  // namespace

void AddSavedQueryRoutes(http::Router& router, catalog::SavedQueryRepository& saved_queries,
                         const RequestAudit* audit, const AccessControl* access) {
  AddVersionedRoute(
      router, "GET", "/sql/saved",
      Secured(access, {Permission::kSqlRead, ""}, [&saved_queries](const http::Request&) {
        auto all = saved_queries.List();
        if (!all.ok()) return ErrorAnswer(all.status());
        common::JsonWriter w;
        w.BeginObject().Key("savedQueries").BeginArray();
        for (const catalog::SavedQuery& q : *all) WriteSavedQueryJson(w, q);
        w.EndArray().EndObject();
        return http::Response::Json(w.TakeBuffer());
      }));
  AddVersionedRoute(
      router, "GET", "/sql/saved/:id",
      Secured(access, {Permission::kSqlRead, ""}, [&saved_queries](const http::Request& request) {
        auto id = IdParam(request);
        if (!id.ok()) return ErrorAnswer(id.status());
        auto found = saved_queries.Find(*id);
        if (!found.ok()) return ErrorAnswer(found.status());
        if (!*found) return ErrorAnswer(NotFound(*id));
        return SavedQueryAnswer(**found);
      }));
  AddVersionedRoute(
      router, "PUT", "/sql/saved/:id",
      Secured(
          access, {Permission::kSqlRead, ""},
          Audited(
              audit, "sql.saved.upsert",
              AuditedJson([&saved_queries](const http::Request& request, element body,
                                           RequestAudit::Entry&) -> common::Result<http::Response> {
                TS_ASSIGN_OR_RETURN(catalog::SavedQueryUpsert upsert, DecodeUpsert(request, body));
                TS_ASSIGN_OR_RETURN(catalog::SavedQuery saved, saved_queries.Upsert(upsert));
                return SavedQueryAnswer(saved);
              }))));
  AddVersionedRoute(
      router, "DELETE", "/sql/saved/:id",
      Secured(access, {Permission::kSqlRead, ""},
              Audited(audit, "sql.saved.delete",
                      [&saved_queries](const http::Request& request,
                                       RequestAudit::Entry&) -> common::Result<http::Response> {
                        TS_ASSIGN_OR_RETURN(catalog::SavedQueryId id, IdParam(request));
                        TS_ASSIGN_OR_RETURN(bool deleted, saved_queries.Delete(id));
                        if (!deleted) return NotFound(id);
                        return http::Response::NoContent();
                      })));
}

}  // namespace timestore::api
