// Who made a request, as the original's gateway named the caller: the first non-empty header of
// x-iam-user, x-user-id, x-actor-id. Unauthenticated attribution for audit and authorship, not an
// access check. Pure function, thread-safe.
#pragma once

#include <optional>
#include <string>

#include "http/request.h"

namespace timestore::api {

// The actor of `request`, or nothing when none of the headers is set to a non-empty value.
std::optional<std::string> ActorOf(const http::Request& request);

}  // namespace timestore::api
