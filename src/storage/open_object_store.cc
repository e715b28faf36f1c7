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

}  // namespace

common::Result<std::unique_ptr<ObjectStore>> OpenObjectStore(
    std::string_view kind, std::string_view config_json, observability::MetricsRegistry* metrics) {
  if (kind == "local") {
    TS_ASSIGN_OR_RETURN(std::string root, ParseLocalRoot(config_json));
    TS_ASSIGN_OR_RETURN(std::unique_ptr<LocalObjectStore> store,
                        LocalObjectStore::Open(root, metrics));
    return std::unique_ptr<ObjectStore>(std::move(store));
  }
  if (kind == "s3") {
    return common::Unavailable(
        "S3 storage targets need the remote storage support (not built yet)");
  }
  return common::InvalidArgument("unknown storage target kind '" + std::string(kind) +
                                 "' (expected local or s3)");
}

}  // namespace timestore::storage
