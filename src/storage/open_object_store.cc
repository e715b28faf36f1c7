#include "storage/open_object_store.h"

#include <string>

#include <simdjson.h>

#include "storage/local_object_store.h"

namespace timestore::storage {
namespace {

common::Result<std::string> ParseLocalRoot(std::string_view config_json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (auto error = parser.parse(config_json.data(), config_json.size()).get(root); error) {
    return common::InvalidArgument(std::string("local storage target config is not valid JSON: ") +
                                   simdjson::error_message(error));
  }
  simdjson::dom::object object;
  if (root.get(object) != simdjson::SUCCESS) {
    return common::InvalidArgument("local storage target config must be a JSON object");
  }
  simdjson::dom::element value;
  if (object["root"].get(value) != simdjson::SUCCESS) {
    return common::InvalidArgument("local storage target config: \"root\" is missing");
  }
  std::string_view path;
  if (value.get(path) != simdjson::SUCCESS) {
    return common::InvalidArgument("local storage target config: \"root\" must be a string");
  }
  if (!path.starts_with('/')) {
    return common::InvalidArgument(
        "local storage target config: \"root\" must be an absolute path, got '" +
        std::string(path) + "'");
  }
  return std::string(path);
}

common::Result<S3Options> ParseS3Options(std::string_view config_json, S3Options options) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (auto error = parser.parse(config_json.data(), config_json.size()).get(root); error) {
    return common::InvalidArgument(std::string("s3 storage target config is not valid JSON: ") +
                                   simdjson::error_message(error));
  }
  simdjson::dom::object object;
  if (root.get(object) != simdjson::SUCCESS) {
    return common::InvalidArgument("s3 storage target config must be a JSON object");
  }
  auto string_member = [&](const char* name, std::string& out) -> common::Status {
    simdjson::dom::element value;
    if (object[name].get(value) != simdjson::SUCCESS || value.is_null())
      return common::Status::Ok();
    std::string_view text;
    if (value.get(text) != simdjson::SUCCESS) {
      return common::InvalidArgument(std::string("s3 storage target config: \"") + name +
                                     "\" must be a string");
    }
    out = std::string(text);
    return common::Status::Ok();
  };
  TS_RETURN_IF_ERROR(string_member("bucket", options.bucket));
  TS_RETURN_IF_ERROR(string_member("endpoint", options.endpoint));
  TS_RETURN_IF_ERROR(string_member("region", options.region));
  TS_RETURN_IF_ERROR(string_member("prefix", options.prefix));
  TS_RETURN_IF_ERROR(string_member("accessKeyId", options.access_key_id));
  TS_RETURN_IF_ERROR(string_member("secretAccessKey", options.secret_access_key));
  TS_RETURN_IF_ERROR(string_member("sessionToken", options.session_token));
  simdjson::dom::element value;
  if (object["forcePathStyle"].get(value) == simdjson::SUCCESS && !value.is_null()) {
    if (value.get(options.force_path_style) != simdjson::SUCCESS) {
      return common::InvalidArgument(
          "s3 storage target config: \"forcePathStyle\" must be a boolean");
    }
  }
  for (auto [name, out] : {std::pair{"multipartThresholdBytes", &options.multipart_threshold_bytes},
                           std::pair{"multipartPartBytes", &options.multipart_part_bytes}}) {
    if (object[name].get(value) == simdjson::SUCCESS && !value.is_null()) {
      if (value.get(*out) != simdjson::SUCCESS || *out <= 0) {
        return common::InvalidArgument(std::string("s3 storage target config: \"") + name +
                                       "\" must be a positive integer");
      }
    }
  }
  return options;
}

}  // namespace

common::Result<std::unique_ptr<ObjectStore>> OpenObjectStore(
    std::string_view kind, std::string_view config_json, const S3Options& s3_defaults,
    observability::MetricsRegistry* metrics) {
  if (kind == "local") {
    TS_ASSIGN_OR_RETURN(std::string root, ParseLocalRoot(config_json));
    TS_ASSIGN_OR_RETURN(std::unique_ptr<LocalObjectStore> store,
                        LocalObjectStore::Open(root, metrics));
    return std::unique_ptr<ObjectStore>(std::move(store));
  }
  if (kind == "s3") {
    TS_ASSIGN_OR_RETURN(S3Options options, ParseS3Options(config_json, s3_defaults));
    TS_ASSIGN_OR_RETURN(std::unique_ptr<S3ObjectStore> store,
                        S3ObjectStore::Open(std::move(options), metrics));
    return std::unique_ptr<ObjectStore>(std::move(store));
  }
  return common::InvalidArgument("unknown storage target kind '" + std::string(kind) +
                                 "' (expected local or s3)");
}

}  // namespace timestore::storage
