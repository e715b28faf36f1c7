// The HTTP/1.1 message rules Server applies that need no socket: request ids, the Date header,
// request-target splitting, Fastify's content-type rules for bodies and the headers the server
// owns. Pure functions (HttpDate caches per thread); thread-safe. Boost-free.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "http/request.h"
#include "http/response.h"

namespace timestore::http {

// An echoed x-request-id must be 1..128 visible ASCII characters, so it is safe in logs and
// headers.
bool IsSaneRequestId(std::string_view id);

// A fresh request id: "req-" and 16 lowercase hex digits.
std::string NewRequestId();

// The request's id: its x-request-id when sane, else a new one.
std::string RequestIdFor(std::optional<std::string_view> header);

// The current time as an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"), cached per thread for
// the current second.
const std::string& HttpDate();

// "application/json" or "application/<anything>+json", parameters and case ignored.
bool IsJsonMediaType(std::string_view content_type);

// POST, PUT and PATCH carry bodies that the content-type rules apply to.
bool HasBody(std::string_view method);

// Headers the server owns; a handler's values for them are ignored.
bool IsServerOwnedHeader(std::string_view name);

bool HasLineBreakOrNul(std::string_view s);

// Fills request.path (not yet percent-decoded) and request.query from request.target, which may
// be in origin form ("/a?b") or absolute form ("http://host/a?b", RFC 9112 §3.2.2).
void SplitTarget(Request& request);

// Fastify's content-type rules for a request with a body method: 415 for a body without a
// content type or with a non-JSON one, 400 for an empty body declared as JSON. Nothing when the
// request passes (parsing the body is the api layer's job).
std::optional<Response> CheckContentType(const Request& request);

}  // namespace timestore::http
