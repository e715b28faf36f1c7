// The S3 XML bodies timestore reads (error answers, ListObjectsV2 pages, CreateMultipartUpload)
// and the one it sends (CompleteMultipartUpload). Not a general XML parser: S3's answers are flat
// enough that the first <Tag>...</Tag> is the one meant. Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/time.h"

namespace timestore::storage {

// The text of the first <tag>...</tag> in `xml`, still XML-escaped; "" when absent or empty.
std::string_view XmlText(std::string_view xml, std::string_view tag);

// Replaces the five predefined entities and numeric character references with their UTF-8 text;
// anything else (an unknown entity, a lone '&', a code point above U+10FFFF) is kept as written.
std::string XmlUnescape(std::string_view text);

// Escapes '&', '<' and '>' for element text.
std::string XmlEscape(std::string_view text);

// A size as S3 writes it (<Size>, Content-Length): 1 to 18 decimal digits; nothing otherwise.
std::optional<int64_t> ParseS3Size(std::string_view text);

// The <Code> and <Message> of an S3 error body, unescaped; both empty when the body has none
// (a HEAD answer has no body at all).
struct S3ErrorBody {
  std::string code;
  std::string message;
};
S3ErrorBody ParseS3Error(std::string_view body);

// True when `body` holds an <Error> element (CompleteMultipartUpload may answer 200 with one).
bool HasS3ErrorElement(std::string_view body);

// One <Contents> entry of a ListObjectsV2 page. `key` is the full bucket key, unescaped; a missing
// or malformed <Size> reads 0, a missing or malformed <LastModified> reads 0.
struct S3ListedObject {
  std::string key;
  int64_t size_bytes = 0;
  common::UnixMicros modified_at = 0;
};

struct S3ListPage {
  std::vector<S3ListedObject> objects;  // in the order of the body
  bool truncated = false;               // <IsTruncated>true</IsTruncated>
  std::string next_continuation_token;  // unescaped; "" when absent
};

// Parses a ListObjectsV2 answer. An unterminated <Contents> ends the entries.
S3ListPage ParseListObjectsV2(std::string_view body);

// The unescaped <UploadId> of a CreateMultipartUpload answer; "" when missing.
std::string ParseUploadId(std::string_view body);

// The CompleteMultipartUpload body naming parts 1..n in order, part i+1 with ETag `etags[i]`.
std::string BuildCompleteMultipartUpload(const std::vector<std::string>& etags);

}  // namespace timestore::storage
