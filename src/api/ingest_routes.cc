#include "api/ingest_routes.h"

#include <charconv>
#include <chrono>
#include <string_view>
#include <utility>

#include "api/access_control.h"
#include "api/api_error.h"
#include "api/json_body.h"
#include "api/routes.h"
#include "common/json_writer.h"

namespace timestore::api {
namespace {

common::Result<std::optional<int64_t>> VersionParam(const http::Request& request) {
  auto raw = request.QueryParam("version");
  if (!raw) return std::optional<int64_t>();
  int64_t v = -1;
  auto [end, ec] = std::from_chars(raw->data(), raw->data() + raw->size(), v);
  if (ec != std::errc() || end != raw->data() + raw->size() || v < 0) {
    return common::InvalidArgument("version: must be a non-negative integer");
  }
  return std::optional<int64_t>(v);
}

http::Response ManifestAnswer(common::Result<std::string> json) {
  if (!json.ok()) return ErrorAnswer(json.status());
  return http::Response::Json(std::move(json).value());
}

// The audit entry of an ingest answer (null when the handler threw): on success the dataset id,
// version and rows from the answer body; on failure the error message.
RequestAudit::Entry IngestAuditEntry(std::string_view slug, const http::Response* response) {
  RequestAudit::Entry entry;
  entry.action = "ingest";
  entry.dataset_slug = std::string(slug);
  if (response == nullptr) {
    entry.success = false;
    entry.metadata_json = R"({"error":"internal error"})";
    return entry;
  }
  entry.success = response->status >= 200 && response->status < 300;
  common::JsonWriter w;
  w.BeginObject();
  if (!entry.success) {
    w.Key("error").String(ErrorMessageOf(*response));
  } else {
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    if (parser.parse(response->body).get(root) == simdjson::SUCCESS) {
      std::string_view id;
      if (root["dataset"]["id"].get(id) == simdjson::SUCCESS)
        entry.dataset_id = catalog::DatasetId(std::string(id));
      int64_t n = 0;
      if (root["manifest"]["version"].get(n) == simdjson::SUCCESS) w.Key("version").Int(n);
      if (root["rowsIngested"].get(n) == simdjson::SUCCESS) w.Key("rows").Int(n);
      std::string_view mode;
      if (root["mode"].get(mode) == simdjson::SUCCESS) w.Key("mode").String(mode);
    }
    w.Key("replayed").Bool(response->status == 200);
  }
  w.EndObject();
  entry.metadata_json = w.TakeBuffer();
  return entry;
}

}  // namespace

void AddIngestRoutes(http::Router& router, ingest::IngestService& ingest,
                     const RequestMetrics* metrics, const RequestAudit* audit,
                     const AccessControl* access) {
  http::Handler ingest_handler =
      JsonRoute([&ingest](const http::Request& request, simdjson::dom::element body) {
        ingest::IngestCall call;
        call.slug = *request.PathParam("datasetSlug");
        call.raw_body = request.body;
        call.body = body;
        if (auto key = request.Header("idempotency-key"); key && !key->empty()) {
          call.idempotency_header = std::string(*key);
        }
        call.actor = request.identity.actor;
        auto answer = ingest.Ingest(call);
        if (!answer.ok()) return ErrorAnswer(answer.status());
        http::Response response =
            http::Response::Json(std::move(answer->body), answer->http_status);
        if (answer->replayed) response.headers.emplace_back("Idempotent-Replayed", "true");
        return response;
      });
  AddVersionedRoute(
      router, "POST", "/datasets/:datasetSlug/ingest",
      Secured(access, {Permission::kWrite, "datasetSlug"},
              [ingest_handler = std::move(ingest_handler), metrics,
               audit](const http::Request& request) {
                const auto started = std::chrono::steady_clock::now();
                const std::string_view slug = *request.PathParam("datasetSlug");
                auto record = [&](const http::Response* response) {
                  const bool success = response != nullptr && response->status < 400;
                  if (metrics != nullptr) {
                    metrics->RecordIngest(
                        slug, success,
                        std::chrono::duration<double>(std::chrono::steady_clock::now() - started)
                            .count());
                  }
                  if (audit != nullptr) audit->Record(request, IngestAuditEntry(slug, response));
                };
                http::Response response;
                try {
                  response = ingest_handler(request);
                } catch (...) {
                  record(nullptr);  // the server answers 500
                  throw;
                }
                record(&response);
                return response;
              }));
  AddVersionedRoute(
      router, "GET", "/datasets/:datasetSlug/manifest",
      Secured(access, {Permission::kRead, "datasetSlug"}, [&ingest](const http::Request& request) {
        auto version = VersionParam(request);
        if (!version.ok()) return ErrorAnswer(version.status());
        return ManifestAnswer(ingest.ManifestJson(*request.PathParam("datasetSlug"), *version));
      }));
  AddVersionedRoute(
      router, "GET", "/admin/datasets/:datasetId/manifest",
      Secured(access, {Permission::kAdmin, "datasetId"}, [&ingest](const http::Request& request) {
        auto version = VersionParam(request);
        if (!version.ok()) return ErrorAnswer(version.status());
        return ManifestAnswer(
            ingest.ManifestJsonByIdOrSlug(*request.PathParam("datasetId"), *version));
      }));
}

}  // namespace timestore::api
