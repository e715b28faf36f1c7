#include "api/query_routes.h"

#include <memory>

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

void AddQueryRoutes(http::Router& router, query::QueryService& service) {
  AddVersionedRoute(
      router, "POST", "/datasets/:datasetSlug/query",
      JsonRoute([&service](const http::Request& request, simdjson::dom::element body) {
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
      }));
}

}  // namespace timestore::api
