// The one place that turns a failure into an HTTP answer: StatusCode → HTTP status, and the error
// body in the Fastify shape {"statusCode":404,"error":"Not Found","message":"..."}. Pure functions,
// thread-safe.
#pragma once

#include <string_view>

#include "common/status.h"
#include "http/response.h"

namespace timestore::http {

// kInvalidArgument 400, kUnauthenticated 401, kPermissionDenied 403, kNotFound 404,
// kAlreadyExists and kConflict 409, kFailedPrecondition 412, kPayloadTooLarge 413,
// kResourceExhausted 429, kInternal 500, kUnavailable 503, kDeadlineExceeded 504; kOk 200.
int HttpStatusFor(common::StatusCode code);

// The standard reason phrase ("Not Found"); "Unknown" for a status it does not know.
std::string_view ReasonPhrase(int http_status);

// A JSON error response with `http_status` and `message` (sent as given: callers must not put
// internals such as SQL, paths or stack traces into messages of 5xx answers).
Response ErrorResponse(int http_status, std::string_view message);

// ErrorResponse(HttpStatusFor(status.code()), status.message()). `status` must not be OK.
Response ErrorResponse(const common::Status& status);

}  // namespace timestore::http
