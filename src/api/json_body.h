// JSON request bodies: the one place where a route's body is parsed, so every JSON route answers a
// malformed body with the same precise 400 and handlers receive a parsed document.
#pragma once

#include <functional>
#include <string_view>

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

// Wraps `handler` into an http::Handler that parses the body first and answers a malformed body
// with 400 {"statusCode":400,"error":"Bad Request","message":"Body is not valid JSON: ..."}.
http::Handler JsonRoute(JsonHandler handler);

}  // namespace timestore::api
