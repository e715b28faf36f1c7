#include "api/ingest_routes.h"

#include <charconv>
#include <chrono>
#include <optional>
#include <string_view>
#include <utility>

#include "api/access_control.h"
#include "api/api_error.h"
#include "api/ingest_encoding.h"
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

http::Response ManifestAnswer(const common::Result<ingest::Manifest>& manifest) {
  if (!manifest.ok()) return ErrorAnswer(manifest.status());
  return http::Response::Json(EncodeManifest(*manifest));
}

// The audit entry of an ingest answer (`response` null when the handler threw): on success the
// dataset id, version and rows of the typed `result` (a replay knows the dataset and version from
// the stored record); on failure the answer's error message.
RequestAudit::Entry IngestAuditEntry(std::string_view slug, const http::Response* response,
                                     const ingest::IngestResult* result) {
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
  } else if (result != nullptr) {
    entry.dataset_id = result->dataset_id;
    if (result->version) w.Key("version").Int(*result->version);
    if (result->outcome) {
      w.Key("rows").Int(result->outcome->rows_ingested);
      w.Key("mode").String(result->outcome->mode);
    }
    w.Key("replayed").Bool(result->replayed);
  }
  w.EndObject();
  entry.metadata_json = w.TakeBuffer();
  return entry;
}

// The HTTP answer of a successful ingest request: 201 with the new answer, or 200 with the stored
// first answer of a replay (marked Idempotent-Replayed).
http::Response IngestAnswer(const ingest::IngestResult& result) {
  http::Response response = http::Response::Json(result.answer, result.replayed ? 200 : 201);
  if (result.replayed) response.headers.emplace_back("Idempotent-Replayed", "true");
  return response;
}

}  // namespace

void AddIngestRoutes(http::Router& router, ingest::IngestService& ingest,
                     const RequestMetrics* metrics, const RequestAudit* audit,
                     const AccessControl* access) {
  auto ingest_call = [&ingest](const http::Request& request, simdjson::dom::element body) {
    ingest::IngestCall call;
    call.slug = *request.PathParam("datasetSlug");
    call.raw_body = request.body;
    call.body = body;
    if (auto key = request.Header("idempotency-key"); key && !key->empty()) {
      call.idempotency_header = std::string(*key);
    }
    call.actor = request.identity.actor;
    call.encode = EncodeIngestOutcome;
    return ingest.Ingest(call);
  };
  AddVersionedRoute(
      router, "POST", "/datasets/:datasetSlug/ingest",
      Secured(access, {Permission::kWrite, "datasetSlug"},
              [ingest_call = std::move(ingest_call), metrics, audit](const http::Request& request) {
                const auto started = std::chrono::steady_clock::now();
                const std::string_view slug = *request.PathParam("datasetSlug");
                auto record = [&](const http::Response* response,
                                  const ingest::IngestResult* result) {
                  const bool success = response != nullptr && response->status < 400;
                  if (metrics != nullptr) {
                    metrics->RecordIngest(
                        slug, success,
                        std::chrono::duration<double>(std::chrono::steady_clock::now() - started)
                            .count());
                  }
                  if (audit != nullptr) {
                    audit->Record(request, IngestAuditEntry(slug, response, result));
                  }
                };
                std::optional<ingest::IngestResult> result;  // set once ingest succeeded
                http::Response response;
                try {
                  response = JsonRoute([&](const http::Request& req, simdjson::dom::element body) {
                    common::Result<ingest::IngestResult> ingested = ingest_call(req, body);
                    if (!ingested.ok()) return ErrorAnswer(ingested.status());
                    result = std::move(ingested).value();
                    return IngestAnswer(*result);
                  })(request);
                } catch (...) {
                  record(nullptr, nullptr);  // the server answers 500
                  throw;
                }
                record(&response, result ? &*result : nullptr);
                return response;
              }));
  AddVersionedRoute(
      router, "GET", "/datasets/:datasetSlug/manifest",
      Secured(access, {Permission::kRead, "datasetSlug"}, [&ingest](const http::Request& request) {
        auto version = VersionParam(request);
        if (!version.ok()) return ErrorAnswer(version.status());
        return ManifestAnswer(ingest.GetManifest(*request.PathParam("datasetSlug"), *version));
      }));
  AddVersionedRoute(
      router, "GET", "/admin/datasets/:datasetId/manifest",
      Secured(access, {Permission::kAdmin, "datasetId"}, [&ingest](const http::Request& request) {
        auto version = VersionParam(request);
        if (!version.ok()) return ErrorAnswer(version.status());
        return ManifestAnswer(
            ingest.GetManifestByIdOrSlug(*request.PathParam("datasetId"), *version));
      }));
}

}  // namespace timestore::api
