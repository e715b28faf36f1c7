// JSON request bodies: the one place where a route's body is parsed, so every JSON route answers a
// malformed body with the same precise 400 and handlers receive a parsed document.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include "common/status.h"
#include "http/request.h"
#include "http/response.h"
#include "http/router.h"

namespace timestore::api {

// A handler of a JSON route: gets the request and the root of its parsed body (valid only during
// the call).
using JsonHandler = std::function<http::Response(const http::Request&, simdjson::dom::element)>;

// Parses `body` with the calling thread's parser. kInvalidArgument, naming the byte offset region
// and simdjson's reason, when it is not one valid JSON document; an empty body is invalid too.
common::Result<simdjson::dom::element> ParseJsonBody(std::string_view body);

// Typed members of a parsed body. Each answers kInvalidArgument "<field>: expected <what>, got
// <value>" (common::ExpectedJson) when `value` has another type.
common::Result<std::string> JsonString(std::string_view field, simdjson::dom::element value);
common::Result<std::string> JsonNonEmptyString(std::string_view field,
                                               simdjson::dom::element value);
// Nothing for null.
common::Result<std::optional<std::string>> JsonNullableString(std::string_view field,
                                                              simdjson::dom::element value);
// An array of non-empty strings; a bad item is named "<field>[i]".
common::Result<std::vector<std::string>> JsonStringArray(std::string_view field,
                                                         simdjson::dom::element value);

// Wraps `handler` into an http::Handler that parses the body first and answers a malformed body
// with 400 {"statusCode":400,"error":"Bad Request","message":"Body is not valid JSON: ..."}.
http::Handler JsonRoute(JsonHandler handler);

}  // namespace timestore::api
