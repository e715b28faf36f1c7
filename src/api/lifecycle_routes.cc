#include "api/lifecycle_routes.h"

#include <charconv>

#include "api/access_control.h"
#include "api/api_error.h"
#include "api/json_body.h"
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

// The dataset a run request names (datasetSlug, else datasetId), when its body says.
std::optional<std::string> DatasetOfRunBody(const http::Request& request) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(request.body).get(root) != simdjson::SUCCESS) return std::nullopt;
  for (const char* key : {"datasetSlug", "datasetId"}) {
    std::string_view value;
    if (root[key].get(value) == simdjson::SUCCESS && !value.empty()) return std::string(value);
  }
  return std::nullopt;
}

}  // namespace

void AddLifecycleRoutes(http::Router& router, lifecycle::LifecycleService& lifecycle,
                        const RequestAudit* audit, const AccessControl* access) {
  AddVersionedRoute(router, "POST", "/admin/lifecycle/run",
                    Secured(access, {Permission::kAdmin, ""},
                            Audited(audit, "lifecycle.run", DatasetOfRunBody,
                                    JsonRoute([&lifecycle](const http::Request&, element body) {
                                      auto run = ParseRun(body);
                                      if (!run.ok()) return ErrorAnswer(run.status());
                                      auto answer = lifecycle.Run(*run);
                                      if (!answer.ok()) return ErrorAnswer(answer.status());
                                      return http::Response::Json(std::move(answer->body),
                                                                  answer->http_status);
                                    }))));
  AddVersionedRoute(
      router, "GET", "/admin/lifecycle/status",
      Secured(access, {Permission::kAdmin, ""}, [&lifecycle](const http::Request& request) {
        int limit = 20;  // the original's default
        if (auto raw = request.QueryParam("limit")) {
          auto [end, ec] = std::from_chars(raw->data(), raw->data() + raw->size(), limit);
          if (ec != std::errc() || end != raw->data() + raw->size()) {
            return ErrorAnswer(common::InvalidArgument("limit: must be 1..500"));
          }
        }
        std::optional<std::string> dataset;
        if (auto id = request.QueryParam("datasetId"); id && !id->empty()) {
          dataset = std::string(*id);
        }
        auto json = lifecycle.StatusJson(dataset, limit);
        if (!json.ok()) return ErrorAnswer(json.status());
        return http::Response::Json(std::move(json).value());
      }));
  AddVersionedRoute(router, "GET", "/admin/datasets/:datasetId/retention",
                    Secured(access, {Permission::kAdmin, "datasetId"},
                            [&lifecycle](const http::Request& request) {
                              auto json = lifecycle.RetentionJson(*request.PathParam("datasetId"));
                              if (!json.ok()) return ErrorAnswer(json.status());
                              return http::Response::Json(std::move(json).value());
                            }));
  AddVersionedRoute(router, "PUT", "/admin/datasets/:datasetId/retention",
                    Secured(access, {Permission::kAdmin, "datasetId"},
                            Audited(audit, "retention.update", DatasetFromPath("datasetId"),
                                    JsonRoute([&lifecycle](const http::Request& request, element) {
                                      auto json = lifecycle.PutRetentionJson(
                                          *request.PathParam("datasetId"), request.body,
                                          request.identity.actor);
                                      if (!json.ok()) return ErrorAnswer(json.status());
                                      return http::Response::Json(std::move(json).value());
                                    }))));
  AddVersionedRoute(router, "POST", "/admin/datasets/:datasetId/retention/preview",
                    Secured(access, {Permission::kAdmin, "datasetId"},
                            [&lifecycle](const http::Request& request) {
                              auto json =
                                  lifecycle.PreviewRetentionJson(*request.PathParam("datasetId"));
                              if (!json.ok()) return ErrorAnswer(json.status());
                              return http::Response::Json(std::move(json).value());
                            }));
  AddVersionedRoute(
      router, "GET", "/admin/datasets/:datasetId/exports",
      Secured(access, {Permission::kAdmin, "datasetId"},
              [&lifecycle](const http::Request& request) {
                int limit = 50;
                if (auto raw = request.QueryParam("limit")) {
                  auto [end, ec] = std::from_chars(raw->data(), raw->data() + raw->size(), limit);
                  if (ec != std::errc() || end != raw->data() + raw->size()) {
                    return ErrorAnswer(common::InvalidArgument("limit: must be 1..500"));
                  }
                }
                if (limit < 1 || limit > 500) {
                  return ErrorAnswer(common::InvalidArgument("limit: must be 1..500"));
                }
                auto json = lifecycle.ExportsJson(*request.PathParam("datasetId"), limit);
                if (!json.ok()) return ErrorAnswer(json.status());
                return http::Response::Json(std::move(json).value());
              }));
  AddVersionedRoute(
      router, "POST", "/admin/lifecycle/reschedule",
      Secured(access, {Permission::kAdmin, ""},
              Audited(audit, "lifecycle.reschedule", nullptr,
                      JsonRoute([&lifecycle](const http::Request&, element body) {
                        element id;
                        if (body.type() != element_type::OBJECT ||
                            body["jobId"].get(id) != simdjson::SUCCESS ||
                            id.type() != element_type::STRING) {
                          return ErrorAnswer(common::InvalidArgument("jobId: must be a string"));
                        }
                        auto json =
                            lifecycle.RescheduleJson(std::string(id.get_string().value_unsafe()));
                        if (!json.ok()) return ErrorAnswer(json.status());
                        return http::Response::Json(std::move(json).value());
                      }))));
}

}  // namespace timestore::api
