#include "api/audit_routes.h"

#include <charconv>
#include <string>
#include <string_view>

#include "api/access_control.h"
#include "api/api_error.h"
#include "api/routes.h"
#include "common/json_writer.h"
#include "common/time.h"

namespace timestore::api {
namespace {

constexpr int kDefaultLimit = 50;
constexpr int kMaxLimit = 500;

common::Result<int64_t> ParseInt(std::string_view raw, std::string_view field,
                                 std::string_view expected) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), v);
  if (raw.empty() || ec != std::errc() || end != raw.data() + raw.size()) {
    return common::InvalidArgument(std::string(field) + ": must be " + std::string(expected));
  }
  return v;
}

common::Result<std::optional<common::UnixMicros>> TimeParam(const http::Request& request,
                                                            std::string_view field) {
  auto raw = request.QueryParam(field);
  if (!raw || raw->empty()) return std::optional<common::UnixMicros>();
  auto t = common::ParseIso8601(*raw);
  if (!t) return common::InvalidArgument(std::string(field) + ": must be an ISO-8601 timestamp");
  return std::optional<common::UnixMicros>(*t);
}

// The filters and page of a listing request (without the dataset).
common::Result<catalog::ListAuditOptions> ParseListing(const http::Request& request) {
  catalog::ListAuditOptions o;
  if (auto raw = request.QueryParam("actions"); raw && !raw->empty()) {
    std::string_view rest = *raw;
    while (true) {
      const size_t comma = rest.find(',');
      std::string_view item = rest.substr(0, comma);
      while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
      while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
      if (item.empty()) return common::InvalidArgument("actions: must be a comma-separated list");
      o.actions.emplace_back(item);
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  if (auto raw = request.QueryParam("success"); raw && !raw->empty()) {
    if (*raw != "true" && *raw != "false") {
      return common::InvalidArgument("success: must be true or false");
    }
    o.success = *raw == "true";
  }
  TS_ASSIGN_OR_RETURN(o.since, TimeParam(request, "since"));
  TS_ASSIGN_OR_RETURN(o.until, TimeParam(request, "until"));
  if (o.since && o.until && *o.since >= *o.until) {
    return common::InvalidArgument("until: must be after since");
  }
  o.limit = kDefaultLimit;
  if (auto raw = request.QueryParam("limit")) {
    TS_ASSIGN_OR_RETURN(int64_t limit, ParseInt(*raw, "limit", "1..500"));
    if (limit < 1 || limit > kMaxLimit) return common::InvalidArgument("limit: must be 1..500");
    o.limit = static_cast<int>(limit);
  }
  if (auto raw = request.QueryParam("cursor"); raw && !raw->empty()) {
    TS_ASSIGN_OR_RETURN(int64_t id, ParseInt(*raw, "cursor", "a cursor from a previous page"));
    if (id <= 0) return common::InvalidArgument("cursor: must be a cursor from a previous page");
    o.before_id = id;
  }
  return o;
}

void WriteEvent(common::JsonWriter& w, const catalog::AuditEvent& e) {
  w.BeginObject();
  w.Key("id").String(std::to_string(e.id));
  w.Key("occurredAt").String(common::FormatIso8601(e.occurred_at));
  w.Key("actor");
  e.actor ? w.String(*e.actor) : w.Null();
  w.Key("scopes").BeginArray();
  for (const std::string& s : e.scopes) w.String(s);
  w.EndArray();
  w.Key("datasetId");
  e.dataset_id ? w.String(e.dataset_id->value()) : w.Null();
  w.Key("datasetSlug");
  e.dataset_slug ? w.String(*e.dataset_slug) : w.Null();
  w.Key("action").String(e.action);
  w.Key("success").Bool(e.success);
  w.Key("requestId");
  e.request_id ? w.String(*e.request_id) : w.Null();
  w.Key("metadata").Raw(e.metadata_json);
  w.EndObject();
}

// One page of events matching `options` (limit + 1 fetched: the extra one says a page follows).
http::Response PageAnswer(catalog::Catalog& catalog, catalog::ListAuditOptions options) {
  const int limit = options.limit;
  options.limit = limit + 1;
  auto events = catalog.audit().List(options);
  if (!events.ok()) return ErrorAnswer(events.status());
  const bool more = static_cast<int>(events->size()) > limit;
  if (more) events->resize(static_cast<size_t>(limit));
  common::JsonWriter w;
  w.BeginObject().Key("events").BeginArray();
  for (const catalog::AuditEvent& e : *events) WriteEvent(w, e);
  w.EndArray().Key("nextCursor");
  more ? w.String(std::to_string(events->back().id)) : w.Null();
  w.EndObject();
  return http::Response::Json(w.TakeBuffer());
}

}  // namespace

void AddAuditRoutes(http::Router& router, catalog::Catalog& catalog, const AccessControl* access) {
  AddVersionedRoute(
      router, "GET", "/admin/datasets/:datasetId/audit",
      Secured(access, {Permission::kAdmin, "datasetId"}, [&catalog](const http::Request& request) {
        auto options = ParseListing(request);
        if (!options.ok()) return ErrorAnswer(options.status());
        auto dataset = RouteDataset(request, "datasetId", [&catalog](std::string_view name) {
          return catalog.datasets().GetByIdOrSlug(name);
        });
        if (!dataset.ok()) return ErrorAnswer(dataset.status());
        options->dataset_id = dataset->id;
        return PageAnswer(catalog, std::move(options).value());
      }));
  // Every event, those of no dataset included (token changes, reschedules, refused requests).
  AddVersionedRoute(
      router, "GET", "/admin/audit",
      Secured(access, {Permission::kAdmin, ""}, [&catalog](const http::Request& request) {
        auto options = ParseListing(request);
        if (!options.ok()) return ErrorAnswer(options.status());
        return PageAnswer(catalog, std::move(options).value());
      }));
}

}  // namespace timestore::api
