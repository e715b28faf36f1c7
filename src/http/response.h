// Response: what a route handler returns; BodySink: where a streaming handler writes its body.
// A Response is plain data, built on a worker thread and handed to the server by value.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace timestore::http {

// The body of a streamed response, given to Response::stream on a worker thread. Owned by the
// server; valid only during that call; not thread-safe (one writer).
class BodySink {
 public:
  virtual ~BodySink() = default;

  // Appends `data` to the body. Small writes are coalesced into chunks of about 64 KiB; whenever a
  // chunk is sent the call blocks until the socket accepted it (back-pressure), so server memory
  // per stream stays bounded whatever the body size. Returns kUnavailable when the client went
  // away, a write timed out or the server is shutting down; every later call then returns the same
  // error and the handler should stop.
  virtual common::Status Write(std::string_view data) = 0;

  // Sends what is buffered now (e.g. before a slow step), with the same blocking and errors as
  // Write.
  virtual common::Status Flush() = 0;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json; charset=utf-8";
  // Extra headers, sent in order. Framing and connection headers (content-length,
  // transfer-encoding, connection, keep-alive) and x-request-id are set by the server and ignored
  // here, as is any header with a CR, LF or NUL in its name or value.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // When set, `body` is ignored: the server sends the status and headers with
  // `Transfer-Encoding: chunked`, then calls `stream` on the same worker thread. OK ends the body;
  // an error (or an exception) aborts the connection without the final chunk, so the client sees a
  // truncated response rather than a complete wrong one. Not called for HEAD requests.
  std::function<common::Status(BodySink&)> stream;

  static Response Json(std::string body, int status = 200) {
    Response r;
    r.status = status;
    r.body = std::move(body);
    return r;
  }
  // 204 with no body and no content type.
  static Response NoContent() {
    Response r;
    r.status = 204;
    r.content_type.clear();
    return r;
  }
};

}  // namespace timestore::http
