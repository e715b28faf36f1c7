#include "storage/object_store.h"

#include <string>

namespace timestore::storage {
namespace {

common::Status BadKey(std::string_view key, std::string_view why) {
  std::string shown(key.substr(0, 200));
  if (key.size() > shown.size()) shown += "...";
  return common::InvalidArgument("invalid object key '" + shown + "': " + std::string(why));
}

}  // namespace

common::Status ValidateObjectKey(std::string_view key) {
  if (key.empty()) return common::InvalidArgument("invalid object key: the key is empty");
  if (key.size() > kMaxObjectKeyBytes) {
    return BadKey(key, "longer than " + std::to_string(kMaxObjectKeyBytes) + " bytes");
  }
  if (key.find('\0') != std::string_view::npos) return BadKey(key, "contains a NUL byte");
  if (key.find('\\') != std::string_view::npos) return BadKey(key, "contains a backslash");
  if (key.front() == '/') return BadKey(key, "starts with '/'");
  size_t begin = 0;
  while (true) {
    const size_t end = std::min(key.find('/', begin), key.size());
    const std::string_view segment = key.substr(begin, end - begin);
    if (segment.empty()) return BadKey(key, "has an empty segment");
    if (segment == "." || segment == "..") return BadKey(key, "has a '.' or '..' segment");
    if (segment.size() > kMaxKeySegmentBytes) {
      return BadKey(key,
                    "has a segment longer than " + std::to_string(kMaxKeySegmentBytes) + " bytes");
    }
    if (segment.starts_with(kReservedNamePrefix)) {
      return BadKey(key, "has a segment starting with the reserved prefix '" +
                             std::string(kReservedNamePrefix) + "'");
    }
    if (end == key.size()) break;
    begin = end + 1;
  }
  return common::Status::Ok();
}

}  // namespace timestore::storage
