// Router: maps (method, path) to a handler through patterns such as
// "/datasets/:datasetSlug/ingest". Routes are added during setup (not thread-safe); once the Router
// is handed to a Server it is only read, concurrently. A static segment wins over a parameter at
// the same position
// ("/datasets/new" before "/datasets/:slug"); ":name" matches one non-empty segment; paths are
// matched exactly (a trailing slash is significant, as in Fastify by default).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/request.h"
#include "http/response.h"

namespace timestore::http {

// A route handler. It runs on a worker thread, may block, and should turn expected failures into
// ErrorResponse(status); an exception becomes a logged 500.
using Handler = std::function<Response(const Request&)>;

struct RouteMatch {
  enum class Kind {
    kFound,             // `handler`, `pattern` and `params` are set
    kMethodNotAllowed,  // the path matches a route, but not for this method; see `allowed_methods`
    kNotFound,
  };
  Kind kind = Kind::kNotFound;
  const Handler* handler = nullptr;  // owned by the Router
  std::string_view pattern;          // owned by the Router; also set for kMethodNotAllowed
  std::vector<std::pair<std::string, std::string>> params;  // percent-decoded, pattern order
  std::vector<std::string> allowed_methods;                 // sorted; includes HEAD when GET does
};

class Router {
 public:
  Router();
  ~Router();
  Router(Router&&) noexcept;
  Router& operator=(Router&&) noexcept;

  // Registers `handler` for `method` (upper-case) and `pattern` (starts with '/'; segments are
  // literal or ":name"). Registering the same method and pattern shape twice, or a malformed
  // pattern, is a programmer error: the process aborts with a message, in every build type.
  void Add(std::string_view method, std::string_view pattern, Handler handler);

  // Matches `path` (no query string, still percent-encoded). HEAD falls back to the GET handler.
  // A parameter with an invalid %-escape keeps its raw text.
  RouteMatch Match(std::string_view method, std::string_view path) const;

  // Every registered route as (method, pattern), exactly as given to Add, sorted by pattern then
  // method. HEAD appears only when it was registered itself (its GET fallback is implicit). For
  // introspection: tests and documentation checks.
  std::vector<std::pair<std::string, std::string>> Routes() const;

 private:
  struct Node;
  std::unique_ptr<Node> root_;
};

}  // namespace timestore::http
