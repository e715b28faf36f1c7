#include "storage/object_store.h"

#include <string>

#include "storage/sha256_hasher.h"

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

using Op = ObjectStoreMetrics::Op;

common::Status ObjectStore::PutFile(std::string_view key, const std::string& local_path,
                                    const PutOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  int64_t bytes = 0;
  common::Status status = ValidateObjectKey(key);
  if (status.ok() && options.sha256_hex.has_value() && !IsSha256Hex(*options.sha256_hex)) {
    status = common::InvalidArgument("sha256_hex must be 64 hex digits, got '" +
                                     options.sha256_hex->substr(0, 80) + "'");
  }
  if (status.ok()) status = DoPutFile(key, local_path, options, bytes);
  metrics_.Record(Op::kPut, status, started, bytes);
  if (status.ok()) {
    logger_.Debug(
        "object stored",
        observability::LogFields().Add("key", key).Add("bytes", bytes).Add("move", options.move));
  }
  return status;
}

common::Status ObjectStore::GetFile(std::string_view key, const std::string& dest_path) {
  const auto started = std::chrono::steady_clock::now();
  int64_t bytes = 0;
  common::Status status = ValidateObjectKey(key);
  if (status.ok()) status = DoGetFile(key, dest_path, bytes);
  metrics_.Record(Op::kGet, status, started, bytes);
  return status;
}

common::Status ObjectStore::Delete(std::string_view key) {
  const auto started = std::chrono::steady_clock::now();
  common::Status status = ValidateObjectKey(key);
  if (status.ok()) status = DoDelete(key);
  metrics_.Record(Op::kDelete, status, started);
  if (status.ok()) logger_.Debug("object deleted", observability::LogFields().Add("key", key));
  return status;
}

common::Result<std::vector<ObjectInfo>> ObjectStore::List(std::string_view prefix) {
  const auto started = std::chrono::steady_clock::now();
  auto result = DoList(prefix);
  metrics_.Record(Op::kList, result.status(), started);
  return result;
}

common::Result<std::optional<ObjectInfo>> ObjectStore::Stat(std::string_view key) {
  const auto started = std::chrono::steady_clock::now();
  common::Status valid = ValidateObjectKey(key);
  auto result = valid.ok() ? DoStat(key) : common::Result<std::optional<ObjectInfo>>(valid);
  metrics_.Record(Op::kStat, result.status(), started);
  return result;
}

}  // namespace timestore::storage
