#include "api/json_body.h"

#include <string>

#include "api/api_error.h"
#include "common/json_describe.h"

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

using simdjson::dom::element;
using simdjson::dom::element_type;

common::Result<std::string> JsonString(std::string_view field, element value) {
  if (value.type() != element_type::STRING) return common::ExpectedJson(field, "a string", value);
  return std::string(value.get_string().value_unsafe());
}

common::Result<std::string> JsonNonEmptyString(std::string_view field, element value) {
  if (value.type() != element_type::STRING || value.get_string().value_unsafe().empty()) {
    return common::ExpectedJson(field, "a non-empty string", value);
  }
  return std::string(value.get_string().value_unsafe());
}

common::Result<std::optional<std::string>> JsonNullableString(std::string_view field,
                                                              element value) {
  if (value.is_null()) return std::optional<std::string>();
  if (value.type() != element_type::STRING) {
    return common::ExpectedJson(field, "a string or null", value);
  }
  return std::optional<std::string>(value.get_string().value_unsafe());
}

common::Result<std::vector<std::string>> JsonStringArray(std::string_view field, element value) {
  if (value.type() != element_type::ARRAY) {
    return common::ExpectedJson(field, "an array of strings", value);
  }
  std::vector<std::string> out;
  const simdjson::dom::array items = value.get_array().value_unsafe();
  for (element item : items) {
    TS_ASSIGN_OR_RETURN(
        std::string s,
        JsonNonEmptyString(std::string(field) + "[" + std::to_string(out.size()) + "]", item));
    out.push_back(std::move(s));
  }
  return out;
}

http::Handler JsonRoute(JsonHandler handler) {
  return [handler = std::move(handler)](const http::Request& request) {
    auto root = ParseJsonBody(request.body);
    if (!root.ok()) return ErrorAnswer(root.status());
    return handler(request, *root);
  };
}

}  // namespace timestore::api
