// Dataset definition routes of AddAdminRoutes (see admin_routes.h).
#include <charconv>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "admin/dataset_admin_service.h"
#include "api/admin_routes.h"
#include "api/api_error.h"
#include "api/catalog_encoding.h"
#include "api/json_body.h"
#include "api/request_audit.h"
#include "api/routes.h"
#include "common/json_describe.h"
#include "common/json_writer.h"

namespace timestore::api {
namespace {

using common::ExpectedJson;
using common::Result;
using simdjson::dom::element;
using simdjson::dom::element_type;

constexpr int kDefaultLimit = 50;
constexpr int kMaxLimit = 500;

common::Result<int64_t> PositiveWindow(std::string_view key, element value) {
  int64_t seconds = 0;
  if (value.type() != element_type::INT64 || value.get_int64().get(seconds) != simdjson::SUCCESS ||
      seconds <= 0) {
    return ExpectedJson(key, "a positive integer number of seconds", value);
  }
  return seconds;
}

common::Result<catalog::WriteFormat> WriteFormatField(std::string_view key, element value) {
  std::optional<catalog::WriteFormat> format;
  if (value.type() == element_type::STRING) {
    format = catalog::ParseWriteFormat(value.get_string().value_unsafe());
  }
  if (!format) return ExpectedJson(key, "\"parquet\" or \"duckdb\"", value);
  return *format;
}

common::Result<std::string> MetadataField(std::string_view key, element value) {
  if (value.type() != element_type::OBJECT) return ExpectedJson(key, "an object", value);
  return simdjson::minify(value);
}

// {"readScopes"?: [..], "writeScopes"?: [..]} into `read` / `write`.
common::Status IamField(element value, std::optional<std::vector<std::string>>& read,
                        std::optional<std::vector<std::string>>& write) {
  if (value.type() != element_type::OBJECT) return ExpectedJson("iam", "an object", value);
  const simdjson::dom::object fields = value.get_object().value_unsafe();
  for (auto field : fields) {
    const std::string_view key = field.key;
    if (key == "readScopes") {
      TS_ASSIGN_OR_RETURN(read, JsonStringArray("iam.readScopes", field.value));
    } else if (key == "writeScopes") {
      TS_ASSIGN_OR_RETURN(write, JsonStringArray("iam.writeScopes", field.value));
    } else {
      return common::InvalidArgument("iam." + std::string(key) + ": unknown field");
    }
  }
  return common::Status::Ok();
}

common::Status CheckSlug(const std::string& slug) {
  if (slug == "exports") {
    return common::InvalidArgument("slug: 'exports' is reserved");
  }
  if (!catalog::IsValidDatasetSlug(slug)) {
    return common::InvalidArgument(
        "slug: must be 1-64 lowercase letters, digits, '-' or '_', starting with a letter or "
        "digit, got '" +
        slug.substr(0, common::kMaxQuotedBytes) + "'");
  }
  return common::Status::Ok();
}

Result<catalog::NewDataset> ParseCreate(element body, catalog::WriteFormat default_format) {
  if (body.type() != element_type::OBJECT) return ExpectedJson("body", "an object", body);
  catalog::NewDataset d;
  d.write_format = default_format;
  bool has_slug = false;
  bool has_name = false;
  const simdjson::dom::object fields = body.get_object().value_unsafe();
  for (auto field : fields) {
    const std::string_view key = field.key;
    const element value = field.value;
    if (key == "slug") {
      TS_ASSIGN_OR_RETURN(d.slug, JsonString(key, value));
      TS_RETURN_IF_ERROR(CheckSlug(d.slug));
      has_slug = true;
    } else if (key == "name") {
      TS_ASSIGN_OR_RETURN(d.name, JsonNonEmptyString(key, value));
      has_name = true;
    } else if (key == "description") {
      TS_ASSIGN_OR_RETURN(d.description, JsonNullableString(key, value));
    } else if (key == "timestampColumn") {
      TS_ASSIGN_OR_RETURN(d.timestamp_column, JsonNonEmptyString(key, value));
    } else if (key == "partitionWindowSeconds") {
      TS_ASSIGN_OR_RETURN(d.partition_window_seconds, PositiveWindow(key, value));
    } else if (key == "partitionKeyColumns") {
      TS_ASSIGN_OR_RETURN(d.partition_key_columns, JsonStringArray(std::string(key), value));
    } else if (key == "writeFormat") {
      TS_ASSIGN_OR_RETURN(d.write_format, WriteFormatField(key, value));
    } else if (key == "defaultStorageTargetId") {
      TS_ASSIGN_OR_RETURN(std::optional<std::string> id, JsonNullableString(key, value));
      if (id) d.default_storage_target_id = catalog::StorageTargetId(std::move(*id));
    } else if (key == "iam") {
      std::optional<std::vector<std::string>> read;
      std::optional<std::vector<std::string>> write;
      TS_RETURN_IF_ERROR(IamField(value, read, write));
      d.read_scopes = read.value_or(std::vector<std::string>{});
      d.write_scopes = write.value_or(std::vector<std::string>{});
    } else if (key == "metadata") {
      TS_ASSIGN_OR_RETURN(d.metadata_json, MetadataField(key, value));
    } else {
      return common::InvalidArgument(std::string(key) + ": unknown field");
    }
  }
  if (!has_slug) return common::InvalidArgument("slug: required");
  if (!has_name) return common::InvalidArgument("name: required");
  return d;
}

Result<catalog::DatasetPatch> ParsePatch(element body) {
  if (body.type() != element_type::OBJECT) return ExpectedJson("body", "an object", body);
  catalog::DatasetPatch patch;
  const simdjson::dom::object fields = body.get_object().value_unsafe();
  for (auto field : fields) {
    const std::string_view key = field.key;
    const element value = field.value;
    if (key == "name") {
      TS_ASSIGN_OR_RETURN(patch.name, JsonNonEmptyString(key, value));
    } else if (key == "description") {
      TS_ASSIGN_OR_RETURN(patch.description, JsonNullableString(key, value));
    } else if (key == "status") {
      const std::string_view status =
          value.type() == element_type::STRING ? value.get_string().value_unsafe() : "";
      if (status != "active" && status != "archived") {
        return ExpectedJson(key, "\"active\" or \"archived\"", value);
      }
      patch.status =
          status == "active" ? catalog::DatasetStatus::kActive : catalog::DatasetStatus::kArchived;
    } else if (key == "defaultStorageTargetId") {
      TS_ASSIGN_OR_RETURN(std::optional<std::string> id, JsonNullableString(key, value));
      patch.default_storage_target_id =
          id ? std::optional<catalog::StorageTargetId>(catalog::StorageTargetId(std::move(*id)))
             : std::optional<catalog::StorageTargetId>();
    } else if (key == "iam") {
      TS_RETURN_IF_ERROR(IamField(value, patch.read_scopes, patch.write_scopes));
    } else if (key == "partitionWindowSeconds") {
      TS_ASSIGN_OR_RETURN(patch.partition_window_seconds, PositiveWindow(key, value));
    } else if (key == "writeFormat") {
      TS_ASSIGN_OR_RETURN(patch.write_format, WriteFormatField(key, value));
    } else if (key == "metadata") {
      TS_ASSIGN_OR_RETURN(patch.metadata_json, MetadataField(key, value));
    } else if (key == "slug" || key == "id" || key == "timestampColumn" ||
               key == "partitionKeyColumns") {
      return common::InvalidArgument(std::string(key) + ": cannot be changed");
    } else {
      return common::InvalidArgument(std::string(key) + ": unknown field");
    }
  }
  if (patch.empty()) {
    return common::InvalidArgument("body: at least one field to change is required");
  }
  return patch;
}

// The request's If-Match header as a list of ETags (items trimmed); nothing without one.
admin::IfMatch IfMatchOf(const http::Request& request) {
  auto header = request.Header("if-match");
  if (!header) return std::nullopt;
  std::vector<std::string> etags;
  std::string_view rest = *header;
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    etags.emplace_back(item);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return etags;
}

http::Response DatasetAnswer(const catalog::Dataset& dataset, int status = 200) {
  common::JsonWriter w;
  w.BeginObject().Key("dataset");
  WriteDatasetJson(w, dataset);
  w.EndObject();
  http::Response response = http::Response::Json(w.TakeBuffer(), status);
  response.headers.emplace_back("ETag", dataset.ETag());
  return response;
}

Result<catalog::ListDatasetsOptions> ParseListing(const http::Request& request) {
  catalog::ListDatasetsOptions o;
  if (auto raw = request.QueryParam("status"); raw && !raw->empty()) {
    if (*raw != "active" && *raw != "archived") {
      return common::InvalidArgument("status: must be active or archived");
    }
    o.status =
        *raw == "active" ? catalog::DatasetStatus::kActive : catalog::DatasetStatus::kArchived;
  }
  if (auto raw = request.QueryParam("search"); raw && !raw->empty()) o.search = std::string(*raw);
  o.limit = kDefaultLimit;
  if (auto raw = request.QueryParam("limit")) {
    int limit = 0;
    auto [end, ec] = std::from_chars(raw->data(), raw->data() + raw->size(), limit);
    if (raw->empty() || ec != std::errc() || end != raw->data() + raw->size() || limit < 1 ||
        limit > kMaxLimit) {
      return common::InvalidArgument("limit: must be 1..500");
    }
    o.limit = limit;
  }
  if (auto raw = request.QueryParam("cursor"); raw && !raw->empty()) {
    if (!catalog::IsValidDatasetSlug(*raw)) {
      return common::InvalidArgument("cursor: must be a cursor from a previous page");
    }
    o.cursor = std::string(*raw);
  }
  return o;
}

// The dataset the path names: the one Secured resolved, else its id or slug. Named in `entry`.
admin::DatasetRef PathDataset(const http::Request& request, RequestAudit::Entry& entry) {
  if (const catalog::Dataset* dataset = ResolvedDataset(request)) return *dataset;
  std::string name(request.PathParam("datasetId").value_or(""));
  if (!name.empty()) entry.dataset_slug = name;
  return name;
}

// The answer for a dataset a change left, named in the audit entry.
Result<http::Response> ChangedAnswer(Result<catalog::Dataset> dataset, RequestAudit::Entry& entry) {
  TS_RETURN_IF_ERROR(dataset.status());
  SetAuditDataset(entry, *dataset);
  return DatasetAnswer(*dataset);
}

// The storage target id of a PUT .../storage-target body.
Result<catalog::StorageTargetId> StorageTargetOf(element body) {
  if (body.type() != element_type::OBJECT) return ExpectedJson("body", "an object", body);
  std::optional<std::string> target_id;
  const simdjson::dom::object fields = body.get_object().value_unsafe();
  for (auto field : fields) {
    if (field.key != "storageTargetId") {
      return common::InvalidArgument(std::string(field.key) + ": unknown field");
    }
    TS_ASSIGN_OR_RETURN(target_id, JsonNonEmptyString(field.key, field.value));
  }
  if (!target_id) return common::InvalidArgument("storageTargetId: required");
  return catalog::StorageTargetId(*target_id);
}

http::Response ListAnswer(const catalog::DatasetPage& page) {
  common::JsonWriter w;
  w.BeginObject().Key("datasets").BeginArray();
  for (const catalog::Dataset& d : page.items) WriteDatasetJson(w, d);
  w.EndArray().Key("nextCursor");
  if (page.next_cursor) {
    w.String(*page.next_cursor);
  } else {
    w.Null();
  }
  w.EndObject();
  return http::Response::Json(w.TakeBuffer());
}

}  // namespace

void AddAdminDatasetRoutes(http::Router& router, admin::DatasetAdminService& datasets,
                           const AccessControl* access, const RequestAudit* audit,
                           const AdminRouteOptions& options) {
  const Requirement admin{Permission::kAdmin, ""};
  const Requirement admin_of_dataset{Permission::kAdmin, "datasetId"};

  AddVersionedRoute(router, "GET", "/admin/datasets",
                    Secured(access, admin, [&datasets](const http::Request& request) {
                      auto listing = ParseListing(request);
                      if (!listing.ok()) return ErrorAnswer(listing.status());
                      auto page = datasets.List(*listing);
                      if (!page.ok()) return ErrorAnswer(page.status());
                      return ListAnswer(*page);
                    }));

  const catalog::WriteFormat default_format = options.default_write_format;
  AddVersionedRoute(
      router, "POST", "/admin/datasets",
      Secured(access, admin,
              Audited(audit, "dataset.create",
                      AuditedJson([&datasets, default_format](
                                      const http::Request&, element body,
                                      RequestAudit::Entry& entry) -> Result<http::Response> {
                        std::string_view slug;
                        if (body["slug"].get(slug) == simdjson::SUCCESS && !slug.empty()) {
                          entry.dataset_slug = std::string(slug);
                        }
                        TS_ASSIGN_OR_RETURN(catalog::NewDataset parsed,
                                            ParseCreate(body, default_format));
                        TS_ASSIGN_OR_RETURN(catalog::EnsuredDataset ensured,
                                            datasets.Create(parsed));
                        SetAuditDataset(entry, ensured.dataset);
                        return DatasetAnswer(ensured.dataset, ensured.created ? 201 : 200);
                      }))));

  AddVersionedRoute(router, "GET", "/admin/datasets/:datasetId",
                    Secured(access, admin_of_dataset, [&datasets](const http::Request& request) {
                      RequestAudit::Entry unused;
                      auto dataset = datasets.Get(PathDataset(request, unused));
                      if (!dataset.ok()) return ErrorAnswer(dataset.status());
                      return DatasetAnswer(*dataset);
                    }));

  AddVersionedRoute(
      router, "PATCH", "/admin/datasets/:datasetId",
      Secured(
          access, admin_of_dataset,
          Audited(audit, "dataset.update",
                  AuditedJson([&datasets](const http::Request& request, element body,
                                          RequestAudit::Entry& entry) -> Result<http::Response> {
                    admin::DatasetRef ref = PathDataset(request, entry);
                    TS_ASSIGN_OR_RETURN(catalog::DatasetPatch patch, ParsePatch(body));
                    return ChangedAnswer(datasets.Update(ref, patch, IfMatchOf(request)), entry);
                  }))));

  AddVersionedRoute(
      router, "POST", "/admin/datasets/:datasetId/archive",
      Secured(access, admin_of_dataset,
              Audited(audit, "dataset.archive",
                      [&datasets](const http::Request& request, RequestAudit::Entry& entry) {
                        return ChangedAnswer(datasets.Archive(PathDataset(request, entry)), entry);
                      })));

  AddVersionedRoute(
      router, "PUT", "/admin/datasets/:datasetId/storage-target",
      Secured(
          access, admin_of_dataset,
          Audited(audit, "dataset.storage_target",
                  AuditedJson([&datasets](const http::Request& request, element body,
                                          RequestAudit::Entry& entry) -> Result<http::Response> {
                    admin::DatasetRef ref = PathDataset(request, entry);
                    TS_ASSIGN_OR_RETURN(catalog::StorageTargetId target, StorageTargetOf(body));
                    return ChangedAnswer(
                        datasets.AssignStorageTarget(ref, target, IfMatchOf(request)), entry);
                  }))));
}

}  // namespace timestore::api
