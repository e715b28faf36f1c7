#include "api/query_routes.h"

#include <atomic>
#include <memory>
#include <string>
#include <string_view>

#include "api/access_control.h"
#include "api/api_error.h"
#include "api/json_body.h"
#include "api/routes.h"
#include "common/json_writer.h"

namespace timestore::api {
namespace {

std::string_view FormatName(query::OutputFormat format) {
  switch (format) {
    case query::OutputFormat::kJson:
      return "json";
    case query::OutputFormat::kNdjson:
      return "ndjson";
    case query::OutputFormat::kCsv:
      return "csv";
    case query::OutputFormat::kTable:
      return "table";
  }
  return "json";
}

// The request's mode, known before it is validated: "downsampled" when the body is an object with
// a `downsample` member, "raw" otherwise.
std::string_view ModeOf(simdjson::dom::element body) {
  simdjson::dom::object object;
  if (body.get(object) != simdjson::SUCCESS) return "raw";
  simdjson::dom::element downsample;
  return object["downsample"].get(downsample) == simdjson::SUCCESS ? "downsampled" : "raw";
}

// The outcome of one query request, recorded once (metrics and audit): at once for an answer
// without a stream; for a streamed one when its body ends, or as a failure when the stream is
// dropped without having run (the connection went away first).
class QueryOutcome {
 public:
  QueryOutcome(const RequestMetrics* metrics, const RequestAudit* audit,
               const http::Request& request, std::string_view slug, std::string_view mode)
      : metrics_(metrics),
        audit_(audit),
        caller_(audit != nullptr ? RequestAudit::CallerOf(request) : RequestAudit::Caller{}),
        slug_(slug),
        mode_(mode) {}
  QueryOutcome(const QueryOutcome&) = delete;
  QueryOutcome& operator=(const QueryOutcome&) = delete;
  ~QueryOutcome() { Record(false, "the answer was not sent"); }

  void set_stream(std::shared_ptr<query::QueryStream> stream) { stream_ = std::move(stream); }

  // `error` is the failure's message (ignored on success).
  void Record(bool success, std::string_view error) {
    if (recorded_.exchange(true)) return;
    if (metrics_ != nullptr) metrics_->RecordQuery(slug_, mode_, success);
    if (audit_ == nullptr) return;
    RequestAudit::Entry entry;
    entry.action = "query";
    entry.dataset_slug = slug_;
    entry.success = success;
    common::JsonWriter w;
    w.BeginObject().Key("mode").String(stream_ ? stream_->mode() : mode_);
    if (stream_) {
      w.Key("version").Int(stream_->version());
      w.Key("rowCount").Int(stream_->rows_written());
    }
    if (!success) w.Key("error").String(error);
    w.EndObject();
    entry.metadata_json = w.TakeBuffer();
    audit_->Record(caller_, std::move(entry));
  }

 private:
  const RequestMetrics* const metrics_;
  const RequestAudit* const audit_;
  const RequestAudit::Caller caller_;
  const std::string slug_;
  const std::string_view mode_;  // a literal
  std::shared_ptr<query::QueryStream> stream_;
  std::atomic<bool> recorded_{false};
};

}  // namespace

std::string_view ContentTypeOf(query::OutputFormat format) {
  switch (format) {
    case query::OutputFormat::kJson:
      return "application/json; charset=utf-8";
    case query::OutputFormat::kNdjson:
      return "application/x-ndjson; charset=utf-8";
    case query::OutputFormat::kCsv:
      return "text/csv; charset=utf-8";
    case query::OutputFormat::kTable:
      return "text/plain; charset=utf-8";
  }
  return "application/json; charset=utf-8";
}

common::Result<query::OutputFormat> FormatParam(
    const http::Request& request, std::initializer_list<query::OutputFormat> allowed) {
  auto raw = request.QueryParam("format");
  if (!raw || raw->empty()) return *allowed.begin();
  std::string names;
  for (query::OutputFormat f : allowed) {
    if (*raw == FormatName(f)) return f;
    names += (names.empty() ? "" : ", ") + std::string(FormatName(f));
  }
  return common::InvalidArgument("format: must be one of " + names);
}

namespace {

// The answer to one parsed query request (the stream, when set, writes the rows).
// `out` (optional) receives the stream.
// A failure is the Status the client gets (as ErrorAnswer).
common::Result<http::Response> QueryAnswer(query::QueryService& service,
                                           const http::Request& request,
                                           simdjson::dom::element body,
                                           std::shared_ptr<query::QueryStream>* out = nullptr) {
  TS_ASSIGN_OR_RETURN(query::OutputFormat format,
                      FormatParam(request, {query::OutputFormat::kJson, query::OutputFormat::kCsv,
                                            query::OutputFormat::kNdjson}));
  // The dataset the access check read for this request, when it is the one the path names by
  // slug (Secured also resolves ids; this route takes slugs only).
  const std::string_view slug = *request.PathParam("datasetSlug");
  const catalog::Dataset* resolved = ResolvedDataset(request);
  TS_ASSIGN_OR_RETURN(std::shared_ptr<query::QueryStream> stream,
                      resolved != nullptr && resolved->slug == slug ? service.Query(*resolved, body)
                                                                    : service.Query(slug, body));
  if (out != nullptr) *out = stream;
  http::Response response;
  response.content_type = std::string(ContentTypeOf(format));
  response.headers.emplace_back("x-timestore-mode", stream->mode());
  response.headers.emplace_back("x-timestore-version", std::to_string(stream->version()));
  response.headers.emplace_back("x-timestore-partitions-scanned",
                                std::to_string(stream->statistics().partitions_scanned));
  response.headers.emplace_back("x-timestore-partitions-pruned",
                                std::to_string(stream->statistics().partitions_pruned));
  response.stream = [stream, format](http::BodySink& sink) {
    return stream->WriteTo(format, [&sink](std::string_view piece) { return sink.Write(piece); });
  };
  return response;
}

}  // namespace

void AddQueryRoutes(http::Router& router, query::QueryService& service,
                    const RequestMetrics* metrics, const RequestAudit* audit,
                    const AccessControl* access) {
  AddVersionedRoute(
      router, "POST", "/datasets/:datasetSlug/query",
      Secured(access, {Permission::kRead, "datasetSlug"},
              [&service, metrics, audit](const http::Request& request) {
                const std::string_view slug = *request.PathParam("datasetSlug");
                auto body = ParseJsonBody(request.body);
                if (!body.ok()) {
                  http::Response response = ErrorAnswer(body.status());
                  QueryOutcome(metrics, audit, request, slug, "raw")
                      .Record(false, body.status().message());
                  return response;
                }
                if (metrics == nullptr && audit == nullptr) {
                  auto answer = QueryAnswer(service, request, *body);
                  return answer.ok() ? std::move(answer).value() : ErrorAnswer(answer.status());
                }
                auto outcome =
                    std::make_shared<QueryOutcome>(metrics, audit, request, slug, ModeOf(*body));
                std::shared_ptr<query::QueryStream> stream;
                common::Result<http::Response> answer = common::Internal("no answer");
                try {
                  answer = QueryAnswer(service, request, *body, &stream);
                } catch (...) {
                  outcome->Record(false, "internal error");  // the server answers 500
                  throw;
                }
                outcome->set_stream(stream);
                if (!answer.ok()) {
                  outcome->Record(false, answer.status().message());
                  return ErrorAnswer(answer.status());
                }
                http::Response response = std::move(answer).value();
                if (!response.stream) {
                  outcome->Record(true, "");
                  return response;
                }
                response.stream = [write = std::move(response.stream),
                                   outcome](http::BodySink& sink) {
                  // A throwing stream counts as a failure when `outcome` is dropped.
                  common::Status status = write(sink);
                  outcome->Record(status.ok(), status.ok() ? "" : status.message());
                  return status;
                };
                return response;
              }));
}

}  // namespace timestore::api
