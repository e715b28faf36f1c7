// Request: one parsed HTTP request as route handlers see it. Built by the Server on an I/O thread,
// then handed (by value) to a worker thread; handlers get it by const reference and may keep
// copies. Plain data: thread-compatible, no Boost types. Also declares the URL decoding functions
// it uses.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace timestore::http {

// Who sent a request, as the server's identify hook (ServerOptions::identify) established it
// before the handler ran. Plain data; the http layer only logs `actor`, the api layer decides what
// it may do.
struct Identity {
  // Credentials were presented and verified.
  bool authenticated = false;
  // Credentials were presented but refused (kUnauthenticated), or could not be checked
  // (kUnavailable); OK otherwise.
  common::Status error;
  std::optional<std::string> actor;  // for attribution: audit, authorship, the access log
  std::vector<std::string> scopes;
  // The datasets (slugs) the credentials are limited to; nothing = every dataset.
  std::optional<std::vector<std::string>> datasets;
};

using QueryParams = std::multimap<std::string, std::string, std::less<>>;

struct Request {
  std::string method;  // as sent, e.g. "GET" (methods are case-sensitive tokens)
  std::string target;  // raw request target: "/datasets/cpu/rows?limit=10"
  std::string path;    // target without the query, not percent-decoded: "/datasets/cpu/rows"
  QueryParams query;   // percent-decoded ('+' is a space); repeated keys keep their order
  // Header names are lower-case; values as received (trimmed); repeated headers stay separate.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Filled by the router: the matched pattern ("/datasets/:datasetSlug/rows") and its parameters,
  // percent-decoded, in pattern order.
  std::string route;
  std::vector<std::pair<std::string, std::string>> path_params;
  std::string request_id;      // echoed x-request-id when sane, else "req-<16 hex>"
  std::string remote_address;  // "127.0.0.1:54321" or "[::1]:54321"
  // Requested when the server gives up waiting at shutdown (after shutdown_grace); long handlers
  // should poll it and return early.
  std::stop_token stop_token;
  // Filled on the worker thread just before the handler runs (ServerOptions::identify); empty
  // (not authenticated, no actor) without a hook.
  Identity identity;

  // First value of header `name` (case-insensitive), or nullopt.
  std::optional<std::string_view> Header(std::string_view name) const;
  // First value of query parameter `name`, or nullopt.
  std::optional<std::string_view> QueryParam(std::string_view name) const;
  // Value of path parameter `name` (without the ':'), or nullopt when the route has no such
  // parameter.
  std::optional<std::string_view> PathParam(std::string_view name) const;
};

// Decodes %XX escapes (and '+' as a space when `plus_as_space`). Returns nullopt when a '%' is not
// followed by two hex digits.
std::optional<std::string> PercentDecode(std::string_view s, bool plus_as_space = false);

// Parses "a=1&b=x%20y&a=2&flag" (without the '?'): '+' is a space, a key without '=' has an empty
// value, empty pairs are skipped, and an invalid escape is kept literally (lenient, like Node).
QueryParams ParseQuery(std::string_view query);

}  // namespace timestore::http
