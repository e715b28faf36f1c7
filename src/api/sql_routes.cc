#include "api/sql_routes.h"

#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "api/access_control.h"
#include "api/api_error.h"
#include "api/json_body.h"
#include "api/query_routes.h"
#include "api/request_audit.h"
#include "api/routes.h"
#include "common/json_writer.h"

namespace timestore::api {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

common::Result<query::SqlReadRequest> ParseSqlRead(element body) {
  if (body.type() != element_type::OBJECT) {
    return common::InvalidArgument("body: must be a JSON object");
  }
  query::SqlReadRequest request;
  element sql;
  if (body["sql"].get(sql) != simdjson::SUCCESS || sql.type() != element_type::STRING ||
      sql.get_string().value_unsafe().empty()) {
    return common::InvalidArgument("sql: must be a non-empty string");
  }
  request.sql = std::string(sql.get_string().value_unsafe());
  element params;
  if (body["params"].get(params) == simdjson::SUCCESS && !params.is_null()) {
    if (params.type() != element_type::ARRAY) {
      return common::InvalidArgument("params: must be an array");
    }
    size_t i = 0;
    const simdjson::dom::array items = params.get_array().value_unsafe();
    for (element p : items) {
      const std::string where = "params[" + std::to_string(i++) + "]";
      switch (p.type()) {
        case element_type::NULL_VALUE:
          request.params.emplace_back(std::monostate{});
          break;
        case element_type::BOOL:
          request.params.emplace_back(p.get_bool().value_unsafe());
          break;
        case element_type::INT64:
          request.params.emplace_back(p.get_int64().value_unsafe());
          break;
        case element_type::UINT64:
        case element_type::DOUBLE:
          request.params.emplace_back(p.get_double().value_unsafe());
          break;
        case element_type::STRING:
          request.params.emplace_back(std::string(p.get_string().value_unsafe()));
          break;
        default:
          return common::InvalidArgument(where + ": must be a string, number, boolean or null");
      }
    }
  }
  return request;
}

// The datasets the caller may read (nothing: all of them).
common::Result<std::optional<std::set<std::string>>> ReadableBy(const AccessControl* access,
                                                                const http::Request& request) {
  if (access == nullptr) return std::optional<std::set<std::string>>();
  return access->ReadableDatasets(request.identity);
}

// A successful read is recorded once per dataset view it read, so it shows in each dataset's audit
// trail (once without a dataset when it read none): {"executionId","rowCount","truncated",
// "datasets"}.
void RecordSqlRead(const RequestAudit& audit, const http::Request& request,
                   const query::SqlAnswer& answer) {
  common::JsonWriter w;
  w.BeginObject()
      .Key("executionId")
      .String(answer.execution_id)
      .Key("rowCount")
      .Int(answer.row_count)
      .Key("truncated")
      .Bool(answer.truncated)
      .Key("datasets")
      .BeginArray();
  for (const std::string& slug : answer.datasets) w.String(slug);
  w.EndArray().EndObject();
  const std::string metadata = w.TakeBuffer();
  const RequestAudit::Caller caller = RequestAudit::CallerOf(request);
  std::vector<std::optional<std::string>> datasets(answer.datasets.begin(), answer.datasets.end());
  if (datasets.empty()) datasets.emplace_back();
  for (std::optional<std::string>& slug : datasets) {
    RequestAudit::Entry entry;
    entry.action = "sql.read";
    entry.dataset_slug = std::move(slug);
    entry.metadata_json = metadata;
    audit.Record(caller, std::move(entry));
  }
}

// A refused or failed read, with its error.
void RecordSqlFailure(const RequestAudit& audit, const http::Request& request,
                      std::string_view error) {
  RequestAudit::Entry entry;
  entry.action = "sql.read";
  entry.success = false;
  common::JsonWriter w;
  w.BeginObject().Key("error").String(error).EndObject();
  entry.metadata_json = w.TakeBuffer();
  audit.Record(request, std::move(entry));
}

}  // namespace

void AddSqlRoutes(http::Router& router, query::SqlRuntime& runtime, const RequestAudit* audit,
                  const AccessControl* access) {
  AddVersionedRoute(
      router, "GET", "/sql/schema",
      Secured(access, {Permission::kSqlRead, ""}, [&runtime, access](const http::Request& request) {
        auto readable = ReadableBy(access, request);
        if (!readable.ok()) return ErrorAnswer(readable.status());
        auto json = runtime.SchemaJson(*readable);
        if (!json.ok()) return ErrorAnswer(json.status());
        return http::Response::Json(std::move(json).value());
      }));
  // The answer to a read, or the failure the client gets (as ErrorAnswer).
  auto read = [&runtime, access,
               audit](const http::Request& request) -> common::Result<http::Response> {
    TS_ASSIGN_OR_RETURN(simdjson::dom::element body, ParseJsonBody(request.body));
    TS_ASSIGN_OR_RETURN(query::OutputFormat format,
                        FormatParam(request, {query::OutputFormat::kJson, query::OutputFormat::kCsv,
                                              query::OutputFormat::kTable}));
    TS_ASSIGN_OR_RETURN(query::SqlReadRequest sql_read, ParseSqlRead(body));
    TS_ASSIGN_OR_RETURN(sql_read.readable, ReadableBy(access, request));
    TS_ASSIGN_OR_RETURN(query::SqlAnswer answer, runtime.Read(sql_read));
    if (audit != nullptr) RecordSqlRead(*audit, request, answer);
    http::Response response;
    response.content_type = std::string(ContentTypeOf(format));
    response.body = answer.Render(format);
    response.headers.emplace_back("x-sql-execution-id", answer.execution_id);
    if (!answer.warnings.empty()) {
      common::JsonWriter w;
      w.BeginArray();
      for (const std::string& warning : answer.warnings) w.String(warning);
      w.EndArray();
      response.headers.emplace_back("x-sql-warnings", w.TakeBuffer());
    }
    return response;
  };
  // Successes are recorded in `read`, where the datasets read are known; failures here.
  AddVersionedRoute(router, "POST", "/sql/read",
                    Secured(access, {Permission::kSqlRead, ""},
                            [read = std::move(read), audit](const http::Request& request) {
                              common::Result<http::Response> answer = common::Internal("no answer");
                              try {
                                answer = read(request);
                              } catch (...) {
                                if (audit != nullptr) {
                                  RecordSqlFailure(*audit, request, "internal error");
                                }
                                throw;
                              }
                              if (answer.ok()) return std::move(answer).value();
                              if (audit != nullptr) {
                                RecordSqlFailure(*audit, request, answer.status().message());
                              }
                              return ErrorAnswer(answer.status());
                            }));
}

}  // namespace timestore::api
