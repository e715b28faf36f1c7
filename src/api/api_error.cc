#include "api/api_error.h"

#include "http/error_response.h"

namespace timestore::api {

http::Response ErrorAnswer(const common::Status& status) {
  http::Response response = http::ErrorResponse(status);
  if (response.status == 503 || response.status == 429) {
    response.headers.emplace_back("Retry-After", std::to_string(kRetryAfterSeconds));
  }
  return response;
}

}  // namespace timestore::api
