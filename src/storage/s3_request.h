// S3Request / S3Response: one S3 HTTP exchange as S3Client sends it (method, bucket key, query,
// headers, a body in memory or streamed from / to a file) and what came back. Plain values; the
// functions below are pure. The canonical query string is here because curl signs the query
// exactly as given, so every request URL must be built with it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace timestore::storage {

using S3QueryParams = std::vector<std::pair<std::string, std::string>>;

struct S3Request {
  const char* method = "GET";  // GET, HEAD, PUT, POST or DELETE
  std::string bucket_key;      // "" addresses the bucket itself
  S3QueryParams query;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;                  // in-memory body (POST), unless upload_fd is set
  // PUT body streamed from bytes [upload_offset, upload_offset + upload_length) of upload_fd.
  int upload_fd = -1;
  int64_t upload_offset = 0;
  int64_t upload_length = 0;
  std::string payload_sha256;  // hex SHA-256 of the body; computed from `body` when empty
  // When set, a 2xx body is written to this file (truncated at each attempt) instead of `body`.
  int download_fd = -1;
};

struct S3Response {
  long status = 0;
  std::string body;  // the body (capped) unless it went to download_fd
  std::vector<std::pair<std::string, std::string>> headers;  // names in lowercase
  std::string uploaded_sha256;    // of the bytes read from upload_fd by the last attempt
  std::string downloaded_sha256;  // of the bytes written to download_fd
  int64_t downloaded_bytes = 0;

  // The value of the first header called `name` (lowercase); nothing when absent.
  std::optional<std::string> Header(std::string_view name) const;
  bool ok() const { return status >= 200 && status < 300; }
};

// The query string as SigV4 signs it: parameters sorted by encoded name, names and values
// percent-encoded per RFC 3986 (only A-Z a-z 0-9 - _ . ~ kept), empty values written "name=".
std::string CanonicalQueryString(const S3QueryParams& params);

// RFC 3986 percent-encoding of `text` (UTF-8 bytes), keeping '/' when `keep_slash`.
std::string UriEncode(std::string_view text, bool keep_slash);

}  // namespace timestore::storage
