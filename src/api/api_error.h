// ErrorAnswer: the HTTP answer for a failed service call, in the Fastify error shape
// (http::ErrorResponse), plus `Retry-After` on 503 and 429 so clients know when to try again.
#pragma once

#include "common/status.h"
#include "http/response.h"

namespace timestore::api {

// Seconds a client should wait before retrying a 503/429.
inline constexpr int kRetryAfterSeconds = 1;

http::Response ErrorAnswer(const common::Status& status);

}  // namespace timestore::api
