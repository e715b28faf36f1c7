#include "api/request_actor.h"

namespace timestore::api {

std::optional<std::string> ActorOf(const http::Request& request) {
  for (const char* header : {"x-iam-user", "x-user-id", "x-actor-id"}) {
    if (auto v = request.Header(header); v && !v->empty()) return std::string(*v);
  }
  return std::nullopt;
}

}  // namespace timestore::api
