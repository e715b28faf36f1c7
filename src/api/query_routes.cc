#include "api/query_routes.h"

#include <atomic>
#include <memory>
#include <string>
#include <string_view>

#include "api/api_error.h"
#include "api/json_body.h"
#include "api/routes.h"

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

// The outcome of a streamed query answer, recorded once: when its body ends, or as a failure when
// the stream is dropped without having run (the connection went away first).
class StreamOutcome {
 public:
  StreamOutcome(const RequestMetrics* metrics, std::string_view slug, std::string_view mode)
      : metrics_(metrics), slug_(slug), mode_(mode) {}
  StreamOutcome(const StreamOutcome&) = delete;
  StreamOutcome& operator=(const StreamOutcome&) = delete;
  ~StreamOutcome() { Record(false); }

  void Record(bool success) {
    if (recorded_.exchange(true)) return;
    metrics_->RecordQuery(slug_, mode_, success);
  }

 private:
  const RequestMetrics* const metrics_;
  const std::string slug_;
  const std::string_view mode_;  // a literal
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
http::Response QueryAnswer(query::QueryService& service, const http::Request& request,
                           simdjson::dom::element body) {
  auto format = FormatParam(request, {query::OutputFormat::kJson, query::OutputFormat::kCsv,
                                      query::OutputFormat::kNdjson});
  if (!format.ok()) return ErrorAnswer(format.status());
  auto answer = service.Query(*request.PathParam("datasetSlug"), body);
  if (!answer.ok()) return ErrorAnswer(answer.status());
  std::shared_ptr<query::QueryStream> stream = std::move(answer).value();
  http::Response response;
  response.content_type = std::string(ContentTypeOf(*format));
  response.headers.emplace_back("x-timestore-mode", stream->mode());
  response.headers.emplace_back("x-timestore-version", std::to_string(stream->version()));
  response.headers.emplace_back("x-timestore-partitions-scanned",
                                std::to_string(stream->statistics().partitions_scanned));
  response.headers.emplace_back("x-timestore-partitions-pruned",
                                std::to_string(stream->statistics().partitions_pruned));
  const query::OutputFormat f = *format;
  response.stream = [stream, f](http::BodySink& sink) {
    return stream->WriteTo(f, [&sink](std::string_view piece) { return sink.Write(piece); });
  };
  return response;
}

}  // namespace

void AddQueryRoutes(http::Router& router, query::QueryService& service,
                    const RequestMetrics* metrics) {
  AddVersionedRoute(router, "POST", "/datasets/:datasetSlug/query",
                    [&service, metrics](const http::Request& request) {
                      const std::string_view slug = *request.PathParam("datasetSlug");
                      auto body = ParseJsonBody(request.body);
                      if (!body.ok()) {
                        if (metrics != nullptr) metrics->RecordQuery(slug, "raw", false);
                        return ErrorAnswer(body.status());
                      }
                      if (metrics == nullptr) return QueryAnswer(service, request, *body);
                      const std::string_view mode = ModeOf(*body);
                      http::Response response;
                      try {
                        response = QueryAnswer(service, request, *body);
                      } catch (...) {
                        metrics->RecordQuery(slug, mode, false);  // the server answers 500
                        throw;
                      }
                      if (response.status >= 400 || !response.stream) {
                        metrics->RecordQuery(slug, mode, response.status < 400);
                        return response;
                      }
                      auto outcome = std::make_shared<StreamOutcome>(metrics, slug, mode);
                      response.stream = [stream = std::move(response.stream),
                                         outcome](http::BodySink& sink) {
                        // A throwing stream counts as a failure when `outcome` is dropped.
                        common::Status status = stream(sink);
                        outcome->Record(status.ok());
                        return status;
                      };
                      return response;
                    });
}

}  // namespace timestore::api
