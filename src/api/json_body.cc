#include "api/json_body.h"

#include <string>

#include "api/api_error.h"

namespace timestore::api {

common::Result<simdjson::dom::element> ParseJsonBody(std::string_view body) {
  if (body.empty()) return common::InvalidArgument("Body cannot be empty");
  // One parser per worker thread: its buffers are reused across requests. The element returned
  // points into the parser and stays valid until the thread parses again.
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  const simdjson::error_code error = parser.parse(body.data(), body.size()).get(root);
  if (error != simdjson::SUCCESS) {
    return common::InvalidArgument(std::string("Body is not valid JSON: ") +
                                   simdjson::error_message(error));
  }
  return root;
}

http::Handler JsonRoute(JsonHandler handler) {
  return [handler = std::move(handler)](const http::Request& request) {
    auto root = ParseJsonBody(request.body);
    if (!root.ok()) return ErrorAnswer(root.status());
    return handler(request, *root);
  };
}

}  // namespace timestore::api
