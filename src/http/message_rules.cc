#include "http/message_rules.h"

#include <cstdio>
#include <ctime>
#include <random>

#include "common/text.h"
#include "http/error_response.h"

namespace timestore::http {
namespace {

constexpr size_t kMaxRequestIdLength = 128;

}  // namespace

bool IsSaneRequestId(std::string_view id) {
  if (id.empty() || id.size() > kMaxRequestIdLength) return false;
  for (char c : id) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

std::string NewRequestId() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[32];
  std::snprintf(buf, sizeof buf, "req-%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

const std::string& HttpDate() {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  thread_local std::time_t cached_second = -1;
  thread_local std::string cached;
  const std::time_t now = std::time(nullptr);
  if (now != cached_second) {
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buf[40];
    std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday % 7],
                  tm.tm_mday, kMonths[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                  tm.tm_sec);
    cached = buf;
    cached_second = now;
  }
  return cached;
}

bool IsJsonMediaType(std::string_view content_type) {
  const std::string media =
      common::ToLowerAscii(common::TrimWhitespace(content_type.substr(0, content_type.find(';'))));
  if (media == "application/json") return true;
  return media.starts_with("application/") && media.ends_with("+json");
}

bool HasBody(std::string_view method) {
  return method == "POST" || method == "PUT" || method == "PATCH";
}

bool IsServerOwnedHeader(std::string_view name) {
  for (std::string_view owned :
       {"content-length", "transfer-encoding", "connection", "keep-alive", "x-request-id"}) {
    if (common::EqualsIgnoreCase(name, owned)) return true;
  }
  return false;
}

bool HasLineBreakOrNul(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

std::string RequestIdFor(std::optional<std::string_view> header) {
  return header && IsSaneRequestId(*header) ? std::string(*header) : NewRequestId();
}

void SplitTarget(Request& request) {
  std::string_view target = request.target;
  for (std::string_view scheme : {"http://", "https://"}) {  // absolute-form (RFC 9112 §3.2.2)
    if (common::EqualsIgnoreCase(target.substr(0, scheme.size()), scheme)) {
      const size_t slash = target.find('/', scheme.size());
      target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
      break;
    }
  }
  const size_t question = target.find('?');
  request.path = std::string(target.substr(0, question));
  if (question != std::string_view::npos) request.query = ParseQuery(target.substr(question + 1));
}

std::optional<Response> CheckContentType(const Request& request) {
  if (!HasBody(request.method)) return std::nullopt;
  const auto content_type = request.Header("content-type");
  if (!request.body.empty() && !content_type) return ErrorResponse(415, "Unsupported Media Type");
  if (!request.body.empty() && !IsJsonMediaType(*content_type)) {
    return ErrorResponse(415, "Unsupported Media Type: " + std::string(*content_type));
  }
  if (request.body.empty() && content_type && IsJsonMediaType(*content_type)) {
    return ErrorResponse(400,
                         "Body cannot be empty when content-type is set to 'application/json'");
  }
  return std::nullopt;
}

}  // namespace timestore::http
