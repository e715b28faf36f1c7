#include "api/lifecycle_routes.h"

#include <charconv>
#include <functional>
#include <optional>
#include <string>
#include <variant>

#include "api/access_control.h"
#include "api/api_error.h"
#include "api/json_body.h"
#include "api/lifecycle_encoding.h"
#include "api/request_audit.h"
#include "api/routes.h"
#include "common/json_describe.h"

namespace timestore::api {
namespace {

using common::ExpectedJson;
using simdjson::dom::element;
using simdjson::dom::element_type;

common::Result<lifecycle::RunRequest> ParseRun(element body) {
  if (body.type() != element_type::OBJECT) return ExpectedJson("body", "an object", body);
  lifecycle::RunRequest run;
  const simdjson::dom::object fields = body.get_object().value_unsafe();
  for (auto field : fields) {
    const std::string_view key = field.key;
    const element value = field.value;
    if (value.is_null()) continue;
    if (key == "datasetId" || key == "datasetSlug") {
      if (value.type() != element_type::STRING) return ExpectedJson(key, "a string", value);
      (key == "datasetId" ? run.dataset_id : run.dataset_slug) =
          std::string(value.get_string().value_unsafe());
    } else if (key == "operations") {
      if (value.type() != element_type::ARRAY) return ExpectedJson(key, "an array", value);
      size_t i = 0;
      const simdjson::dom::array items = value.get_array().value_unsafe();
      for (element item : items) {
        if (item.type() != element_type::STRING) {
          return ExpectedJson("operations[" + std::to_string(i) + "]", "a string", item);
        }
        run.operations.emplace_back(item.get_string().value_unsafe());
        ++i;
      }
    } else if (key == "mode") {
      const std::string_view mode =
          value.type() == element_type::STRING ? value.get_string().value_unsafe() : "";
      if (mode != "inline" && mode != "queue") {
        return ExpectedJson(key, "\"inline\" or \"queue\"", value);
      }
      run.queue = mode == "queue";
    } else if (key == "timeRange") {
      if (value.type() != element_type::OBJECT) return ExpectedJson(key, "an object", value);
      run.payload_json = "{\"timeRange\":" + simdjson::minify(value) + "}";
    } else {
      return common::InvalidArgument(std::string(key) + ": unknown field");
    }
  }
  if (!run.dataset_id && !run.dataset_slug) {
    return common::InvalidArgument("datasetId or datasetSlug is required");
  }
  return run;
}

// The dataset a run request's body names (datasetSlug, else datasetId), for the audit trail.
std::optional<std::string> DatasetNameOf(element body) {
  for (const char* key : {"datasetSlug", "datasetId"}) {
    std::string_view value;
    if (body[key].get(value) == simdjson::SUCCESS && !value.empty()) return std::string(value);
  }
  return std::nullopt;
}

// A `limit` query parameter: `fallback` when absent; kInvalidArgument unless an integer.
common::Result<int> LimitParam(const http::Request& request, int fallback) {
  int limit = fallback;
  if (auto raw = request.QueryParam("limit")) {
    auto [end, ec] = std::from_chars(raw->data(), raw->data() + raw->size(), limit);
    if (ec != std::errc() || end != raw->data() + raw->size()) {
      return common::InvalidArgument("limit: must be 1..500");
    }
  }
  return limit;
}

// The reschedule body's job id.
common::Result<catalog::JobId> JobIdOf(element body) {
  element id;
  if (body.type() != element_type::OBJECT || body["jobId"].get(id) != simdjson::SUCCESS ||
      id.type() != element_type::STRING) {
    return common::InvalidArgument("jobId: must be a string");
  }
  return catalog::JobId(std::string(id.get_string().value_unsafe()));
}

// A handler of a route about the dataset in path parameter "datasetId": gets that dataset.
using DatasetHandler =
    std::function<common::Result<std::string>(const http::Request&, const catalog::Dataset&)>;

// `handler`'s JSON answer for the dataset the path names (resolved once: see RouteDataset).
http::Handler ForPathDataset(lifecycle::LifecycleService& lifecycle, DatasetHandler handler) {
  return [&lifecycle, handler = std::move(handler)](const http::Request& request) {
    auto dataset = RouteDataset(request, "datasetId", [&lifecycle](std::string_view name) {
      return lifecycle.GetDataset(name);
    });
    if (!dataset.ok()) return ErrorAnswer(dataset.status());
    auto json = handler(request, *dataset);
    if (!json.ok()) return ErrorAnswer(json.status());
    return http::Response::Json(std::move(json).value());
  };
}

// The job routes: run, status, reschedule.
void AddJobRoutes(http::Router& router, lifecycle::LifecycleService& lifecycle,
                  const RequestAudit* audit, const AccessControl* access) {
  const Requirement admin{Permission::kAdmin, ""};
  AddVersionedRoute(
      router, "POST", "/admin/lifecycle/run",
      Secured(
          access, admin,
          Audited(
              audit, "lifecycle.run",
              AuditedJson([&lifecycle](
                              const http::Request&, element body,
                              RequestAudit::Entry& entry) -> common::Result<http::Response> {
                entry.dataset_slug = DatasetNameOf(body);
                TS_ASSIGN_OR_RETURN(lifecycle::RunRequest run, ParseRun(body));
                TS_ASSIGN_OR_RETURN(lifecycle::RunOutcome outcome, lifecycle.Run(run));
                std::visit([&entry](const auto& o) { SetAuditDataset(entry, o.dataset); }, outcome);
                return http::Response::Json(RunOutcomeJson(outcome), RunOutcomeHttpStatus(outcome));
              }))));
  AddVersionedRoute(router, "GET", "/admin/lifecycle/status",
                    Secured(access, admin, [&lifecycle](const http::Request& request) {
                      auto limit = LimitParam(request, 20);  // the original's default
                      if (!limit.ok()) return ErrorAnswer(limit.status());
                      std::optional<catalog::DatasetId> dataset;
                      if (auto id = request.QueryParam("datasetId"); id && !id->empty()) {
                        dataset = catalog::DatasetId(std::string(*id));
                      }
                      auto listing = lifecycle.Status(dataset, *limit);
                      if (!listing.ok()) return ErrorAnswer(listing.status());
                      return http::Response::Json(JobListingJson(*listing));
                    }));
  AddVersionedRoute(
      router, "POST", "/admin/lifecycle/reschedule",
      Secured(
          access, admin,
          Audited(audit, "lifecycle.reschedule",
                  AuditedJson([&lifecycle](const http::Request&, element body,
                                           RequestAudit::Entry&) -> common::Result<http::Response> {
                    TS_ASSIGN_OR_RETURN(catalog::JobId id, JobIdOf(body));
                    TS_ASSIGN_OR_RETURN(catalog::Job job, lifecycle.Reschedule(id));
                    return http::Response::Json(RescheduleJson(job));
                  }))));
}

// The routes about one dataset: its retention policy, dry run and exports.
void AddDatasetRoutes(http::Router& router, lifecycle::LifecycleService& lifecycle,
                      const RequestAudit* audit, const AccessControl* access) {
  const Requirement admin_of_dataset{Permission::kAdmin, "datasetId"};
  AddVersionedRoute(
      router, "GET", "/admin/datasets/:datasetId/retention",
      Secured(access, admin_of_dataset,
              ForPathDataset(lifecycle,
                             [&lifecycle](const http::Request&, const catalog::Dataset& dataset)
                                 -> common::Result<std::string> {
                               TS_ASSIGN_OR_RETURN(auto view, lifecycle.Retention(dataset));
                               return RetentionPolicyViewJson(view);
                             })));
  AddVersionedRoute(
      router, "PUT", "/admin/datasets/:datasetId/retention",
      Secured(
          access, admin_of_dataset,
          Audited(audit, "retention.update",
                  AuditedJson([&lifecycle](
                                  const http::Request& request, element,
                                  RequestAudit::Entry& entry) -> common::Result<http::Response> {
                    TS_ASSIGN_OR_RETURN(catalog::Dataset dataset,
                                        AuditedRouteDataset(request, "datasetId", entry,
                                                            [&lifecycle](std::string_view name) {
                                                              return lifecycle.GetDataset(name);
                                                            }));
                    TS_ASSIGN_OR_RETURN(auto view, lifecycle.PutRetention(dataset, request.body,
                                                                          request.identity.actor));
                    return http::Response::Json(RetentionPolicyViewJson(view));
                  }))));
  AddVersionedRoute(
      router, "POST", "/admin/datasets/:datasetId/retention/preview",
      Secured(access, admin_of_dataset,
              ForPathDataset(lifecycle,
                             [&lifecycle](const http::Request&, const catalog::Dataset& dataset)
                                 -> common::Result<std::string> {
                               TS_ASSIGN_OR_RETURN(auto plan, lifecycle.PreviewRetention(dataset));
                               return RetentionPlanJson(plan);
                             })));
  AddVersionedRoute(router, "GET", "/admin/datasets/:datasetId/exports",
                    Secured(access, admin_of_dataset, [&lifecycle](const http::Request& request) {
                      auto limit = LimitParam(request, 50);
                      if (limit.ok() && (*limit < 1 || *limit > 500)) {
                        limit = common::InvalidArgument("limit: must be 1..500");
                      }
                      if (!limit.ok()) return ErrorAnswer(limit.status());
                      auto dataset =
                          RouteDataset(request, "datasetId", [&lifecycle](std::string_view name) {
                            return lifecycle.GetDataset(name);
                          });
                      if (!dataset.ok()) return ErrorAnswer(dataset.status());
                      auto exports = lifecycle.Exports(*dataset, *limit);
                      if (!exports.ok()) return ErrorAnswer(exports.status());
                      return http::Response::Json(ExportsJson(*exports));
                    }));
}

}  // namespace

void AddLifecycleRoutes(http::Router& router, lifecycle::LifecycleService& lifecycle,
                        const RequestAudit* audit, const AccessControl* access) {
  AddJobRoutes(router, lifecycle, audit, access);
  AddDatasetRoutes(router, lifecycle, audit, access);
}

}  // namespace timestore::api
