#include "admin/storage_target_admin_service.h"

#include <utility>

#include <simdjson.h>

#include "common/json_writer.h"

namespace timestore::admin {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

// Concurrent changes of one target each re-merge after losing a race; this many tries at most.
constexpr int kMaxUpdateAttempts = 10;

constexpr std::array<std::string_view, 1> kLocalMembers = {"root"};
constexpr std::array<std::string_view, 10> kS3Members = {"bucket",
                                                         "endpoint",
                                                         "region",
                                                         "prefix",
                                                         "forcePathStyle",
                                                         "accessKeyId",
                                                         "secretAccessKey",
                                                         "sessionToken",
                                                         "multipartThresholdBytes",
                                                         "multipartPartBytes"};

bool IsSecret(std::string_view member) {
  for (std::string_view s : kSecretConfigMembers) {
    if (s == member) return true;
  }
  return false;
}

// The config object `json`; kInvalidArgument when it is not one.
common::Result<element> ParseConfig(simdjson::dom::parser& parser, std::string_view json) {
  element root;
  if (parser.parse(json.data(), json.size()).get(root) != simdjson::SUCCESS ||
      root.type() != element_type::OBJECT) {
    return common::InvalidArgument("config: expected an object");
  }
  return root;
}

// kInvalidArgument naming the first member of `config` (an object) that `kind` does not know.
common::Status CheckConfigMembers(catalog::StorageKind kind, element config) {
  const simdjson::dom::object fields = config.get_object().value_unsafe();
  for (auto field : fields) {
    bool known = false;
    if (kind == catalog::StorageKind::kS3) {
      for (std::string_view m : kS3Members) known = known || m == field.key;
    } else {
      for (std::string_view m : kLocalMembers) known = known || m == field.key;
    }
    if (!known) {
      return common::InvalidArgument(
          "config." + std::string(field.key) + ": unknown member for a " +
          std::string(catalog::StorageKindName(kind)) + " storage target");
    }
  }
  return common::Status::Ok();
}

// The members of `config` that are not null, then (with `kept`) the secret members of `kept` that
// `config` does not mention.
std::string WithoutNulls(element config, std::optional<element> kept = std::nullopt) {
  common::JsonWriter w;
  w.BeginObject();
  const simdjson::dom::object fields = config.get_object().value_unsafe();
  for (auto field : fields) {
    if (!field.value.is_null()) w.Key(field.key).Raw(simdjson::minify(field.value));
  }
  if (kept && kept->type() == element_type::OBJECT) {
    const simdjson::dom::object old_fields = kept->get_object().value_unsafe();
    for (auto field : old_fields) {
      element mentioned;
      if (IsSecret(field.key) && config[field.key].get(mentioned) != simdjson::SUCCESS) {
        w.Key(field.key).Raw(simdjson::minify(field.value));
      }
    }
  }
  w.EndObject();
  return w.TakeBuffer();
}

}  // namespace

StorageTargetAdminService::StorageTargetAdminService(
    catalog::Catalog& catalog, storage::ObjectStoreRegistry& stores,
    std::function<void(const catalog::StorageTargetId&)> changed)
    : catalog_(catalog), stores_(stores), changed_(std::move(changed)) {}

common::Result<std::vector<catalog::StorageTarget>> StorageTargetAdminService::List() {
  return catalog_.storage_targets().List();
}

common::Result<catalog::StorageTarget> StorageTargetAdminService::Get(
    const catalog::StorageTargetId& id) {
  return catalog_.storage_targets().Get(id);
}

common::Status StorageTargetAdminService::Validate(catalog::StorageKind kind,
                                                   const std::string& config_json) const {
  common::Status st = stores_.Validate(catalog::StorageKindName(kind), config_json);
  if (st.ok()) return st;
  if (st.code() == common::StatusCode::kInvalidArgument) {
    return common::InvalidArgument("config: " + st.message());
  }
  return st;
}

common::Result<catalog::StorageTarget> StorageTargetAdminService::Create(
    catalog::NewStorageTarget target) {
  simdjson::dom::parser parser;
  TS_ASSIGN_OR_RETURN(element config, ParseConfig(parser, target.config_json));
  TS_RETURN_IF_ERROR(CheckConfigMembers(target.kind, config));
  target.config_json = WithoutNulls(config);
  TS_RETURN_IF_ERROR(Validate(target.kind, target.config_json));
  return catalog_.storage_targets().Create(target);
}

common::Result<catalog::StorageTarget> StorageTargetAdminService::Update(
    const catalog::StorageTargetId& id, const StorageTargetChange& change) {
  // The change merges into the stored config (secrets left out keep their values), so it is
  // computed against one stored version and applied only to that one.
  for (int attempt = 1;; ++attempt) {
    TS_ASSIGN_OR_RETURN(catalog::StorageTarget stored, catalog_.storage_targets().Get(id));
    if (change.empty()) {
      return common::InvalidArgument("body: at least one field to change is required");
    }
    catalog::StorageTargetPatch patch;
    patch.name = change.name;
    patch.description = change.description;
    if (change.config_json) {
      simdjson::dom::parser parser;
      TS_ASSIGN_OR_RETURN(element config, ParseConfig(parser, *change.config_json));
      TS_RETURN_IF_ERROR(CheckConfigMembers(stored.kind, config));
      simdjson::dom::parser stored_parser;
      element old;
      std::optional<element> kept;
      if (stored_parser.parse(stored.config_json).get(old) == simdjson::SUCCESS) kept = old;
      patch.config_json = WithoutNulls(config, kept);
    }
    if (stored.is_default && (patch.name || patch.config_json)) {
      return common::Conflict("storage target '" + stored.name +
                              "' is the default target: its name and config come from the "
                              "TIMESTORE_STORAGE_* and TIMESTORE_S3_* variables");
    }
    if (patch.config_json) TS_RETURN_IF_ERROR(Validate(stored.kind, *patch.config_json));
    auto updated = catalog_.storage_targets().Update(id, patch, stored.updated_at);
    if (!updated.ok() && updated.status().code() == common::StatusCode::kConflict &&
        attempt < kMaxUpdateAttempts) {
      continue;
    }
    if (updated.ok() && changed_) changed_(updated->id);
    return updated;
  }
}

}  // namespace timestore::admin
