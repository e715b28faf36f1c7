// Storage target routes of AddAdminRoutes (see admin_routes.h). Configs are stored with their
// secrets (a created target carries its own credentials); answers replace each secret member by a
// "<member>Set" boolean.
#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "api/admin_routes.h"
#include "api/api_error.h"
#include "api/json_body.h"
#include "api/routes.h"
#include "common/json_describe.h"
#include "common/json_writer.h"
#include "common/time.h"

namespace timestore::api {
namespace {

using common::ExpectedJson;
using common::Result;
using simdjson::dom::element;
using simdjson::dom::element_type;

// Concurrent PATCHes of one target each re-merge after losing a race; this many tries at most.
constexpr int kMaxPatchAttempts = 10;

constexpr std::array<std::string_view, 3> kSecretMembers = {"accessKeyId", "secretAccessKey",
                                                            "sessionToken"};
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
  for (std::string_view s : kSecretMembers) {
    if (s == member) return true;
  }
  return false;
}

// A secret counts as set when it is a non-empty string.
bool SecretSet(element value) {
  return value.type() == element_type::STRING && !value.get_string().value_unsafe().empty();
}

// `config_json` (as stored) without its secrets: other members as they are, then
// "<secret>Set": bool for each secret member (s3 targets: always all three).
std::string RedactedConfig(const catalog::StorageTarget& target) {
  simdjson::dom::parser parser;
  element root;
  common::JsonWriter w;
  w.BeginObject();
  std::array<bool, kSecretMembers.size()> set{};
  if (parser.parse(target.config_json).get(root) == simdjson::SUCCESS &&
      root.type() == element_type::OBJECT) {
    const simdjson::dom::object fields = root.get_object().value_unsafe();
    for (auto field : fields) {
      bool secret = false;
      for (size_t i = 0; i < kSecretMembers.size(); ++i) {
        if (field.key == kSecretMembers[i]) {
          set[i] = SecretSet(field.value);
          secret = true;
        }
      }
      if (!secret) w.Key(field.key).Raw(simdjson::minify(field.value));
    }
  }
  if (target.kind == catalog::StorageKind::kS3 ||
      std::find(set.begin(), set.end(), true) != set.end()) {
    for (size_t i = 0; i < kSecretMembers.size(); ++i) {
      w.Key(std::string(kSecretMembers[i]) + "Set").Bool(set[i]);
    }
  }
  w.EndObject();
  return w.TakeBuffer();
}

void WriteTarget(common::JsonWriter& w, const catalog::StorageTarget& t) {
  w.BeginObject();
  w.Key("id").String(t.id.value());
  w.Key("name").String(t.name);
  w.Key("kind").String(catalog::StorageKindName(t.kind));
  w.Key("description");
  if (t.description) {
    w.String(*t.description);
  } else {
    w.Null();
  }
  w.Key("isDefault").Bool(t.is_default);
  w.Key("config").Raw(RedactedConfig(t));
  w.Key("createdAt").String(common::FormatIso8601(t.created_at));
  w.Key("updatedAt").String(common::FormatIso8601(t.updated_at));
  w.EndObject();
}

http::Response TargetAnswer(const catalog::StorageTarget& target, int status = 200) {
  common::JsonWriter w;
  w.BeginObject().Key("storageTarget");
  WriteTarget(w, target);
  w.EndObject();
  return http::Response::Json(w.TakeBuffer(), status);
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

// Validates `config_json` by opening a store from it; the message names the config.
common::Status ValidateConfig(storage::ObjectStoreRegistry& stores, catalog::StorageKind kind,
                              const std::string& config_json) {
  common::Status st = stores.Validate(catalog::StorageKindName(kind), config_json);
  if (st.ok()) return st;
  if (st.code() == common::StatusCode::kInvalidArgument) {
    return common::InvalidArgument("config: " + st.message());
  }
  return st;
}

// The config a PATCH stores: the members of `patch` (null ones dropped), plus the secret members
// of `stored` that `patch` does not mention.
std::string MergeConfig(std::string_view stored, element patch) {
  common::JsonWriter w;
  w.BeginObject();
  const simdjson::dom::object fields = patch.get_object().value_unsafe();
  for (auto field : fields) {
    if (field.value.is_null()) continue;
    w.Key(field.key).Raw(simdjson::minify(field.value));
  }
  simdjson::dom::parser parser;
  element old;
  if (parser.parse(stored.data(), stored.size()).get(old) == simdjson::SUCCESS &&
      old.type() == element_type::OBJECT) {
    const simdjson::dom::object old_fields = old.get_object().value_unsafe();
    for (auto field : old_fields) {
      element mentioned;
      if (IsSecret(field.key) && patch[field.key].get(mentioned) != simdjson::SUCCESS) {
        w.Key(field.key).Raw(simdjson::minify(field.value));
      }
    }
  }
  w.EndObject();
  return w.TakeBuffer();
}

Result<catalog::NewStorageTarget> ParseCreate(element body) {
  if (body.type() != element_type::OBJECT) return ExpectedJson("body", "an object", body);
  catalog::NewStorageTarget t;
  bool has_name = false;
  bool has_kind = false;
  std::optional<element> config;
  const simdjson::dom::object fields = body.get_object().value_unsafe();
  for (auto field : fields) {
    const std::string_view key = field.key;
    const element value = field.value;
    if (key == "name") {
      TS_ASSIGN_OR_RETURN(t.name, JsonNonEmptyString(key, value));
      has_name = true;
    } else if (key == "kind") {
      const std::string_view kind =
          value.type() == element_type::STRING ? value.get_string().value_unsafe() : "";
      if (kind != "local" && kind != "s3") return ExpectedJson(key, "\"local\" or \"s3\"", value);
      t.kind = kind == "s3" ? catalog::StorageKind::kS3 : catalog::StorageKind::kLocal;
      has_kind = true;
    } else if (key == "description") {
      TS_ASSIGN_OR_RETURN(t.description, JsonNullableString(key, value));
    } else if (key == "config") {
      if (value.type() != element_type::OBJECT) return ExpectedJson(key, "an object", value);
      config = value;
    } else {
      return common::InvalidArgument(std::string(key) + ": unknown field");
    }
  }
  if (!has_name) return common::InvalidArgument("name: required");
  if (!has_kind) return common::InvalidArgument("kind: required");
  if (!config) return common::InvalidArgument("config: required");
  TS_RETURN_IF_ERROR(CheckConfigMembers(t.kind, *config));
  // Null members are the same as absent ones.
  common::JsonWriter w;
  w.BeginObject();
  const simdjson::dom::object config_fields = config->get_object().value_unsafe();
  for (auto field : config_fields) {
    if (!field.value.is_null()) w.Key(field.key).Raw(simdjson::minify(field.value));
  }
  w.EndObject();
  t.config_json = w.TakeBuffer();
  return t;
}

Result<catalog::StorageTargetPatch> ParsePatch(element body, const catalog::StorageTarget& stored) {
  if (body.type() != element_type::OBJECT) return ExpectedJson("body", "an object", body);
  catalog::StorageTargetPatch patch;
  const simdjson::dom::object fields = body.get_object().value_unsafe();
  for (auto field : fields) {
    const std::string_view key = field.key;
    const element value = field.value;
    if (key == "name") {
      TS_ASSIGN_OR_RETURN(patch.name, JsonNonEmptyString(key, value));
    } else if (key == "description") {
      TS_ASSIGN_OR_RETURN(patch.description, JsonNullableString(key, value));
    } else if (key == "config") {
      if (value.type() != element_type::OBJECT) return ExpectedJson(key, "an object", value);
      TS_RETURN_IF_ERROR(CheckConfigMembers(stored.kind, value));
      patch.config_json = MergeConfig(stored.config_json, value);
    } else if (key == "kind" || key == "isDefault" || key == "id") {
      return common::InvalidArgument(std::string(key) + ": cannot be changed");
    } else {
      return common::InvalidArgument(std::string(key) + ": unknown field");
    }
  }
  if (patch.empty()) {
    return common::InvalidArgument("body: at least one field to change is required");
  }
  if (stored.is_default && (patch.name || patch.config_json)) {
    return common::Conflict("storage target '" + stored.name +
                            "' is the default target: its name and config come from the "
                            "TIMESTORE_STORAGE_* and TIMESTORE_S3_* variables");
  }
  return patch;
}

}  // namespace

void AddAdminStorageTargetRoutes(http::Router& router, catalog::Catalog& catalog,
                                 storage::ObjectStoreRegistry& stores, const AccessControl* access,
                                 const RequestAudit* audit, const AdminRouteOptions& options) {
  const Requirement admin{Permission::kAdmin, ""};

  AddVersionedRoute(router, "GET", "/admin/storage-targets",
                    Secured(access, admin, [&catalog](const http::Request&) {
                      auto targets = catalog.storage_targets().List();
                      if (!targets.ok()) return ErrorAnswer(targets.status());
                      common::JsonWriter w;
                      w.BeginObject().Key("storageTargets").BeginArray();
                      for (const catalog::StorageTarget& t : *targets) WriteTarget(w, t);
                      w.EndArray().EndObject();
                      return http::Response::Json(w.TakeBuffer());
                    }));

  AddVersionedRoute(router, "GET", "/admin/storage-targets/:targetId",
                    Secured(access, admin, [&catalog](const http::Request& request) {
                      auto target = catalog.storage_targets().Get(
                          catalog::StorageTargetId(std::string(*request.PathParam("targetId"))));
                      if (!target.ok()) return ErrorAnswer(target.status());
                      return TargetAnswer(*target);
                    }));

  AddVersionedRoute(
      router, "POST", "/admin/storage-targets",
      Secured(access, admin,
              Audited(audit, "storage_target.create", nullptr,
                      JsonRoute([&catalog, &stores](const http::Request&, element body) {
                        auto parsed = ParseCreate(body);
                        if (!parsed.ok()) return ErrorAnswer(parsed.status());
                        if (common::Status st =
                                ValidateConfig(stores, parsed->kind, parsed->config_json);
                            !st.ok()) {
                          return ErrorAnswer(st);
                        }
                        auto created = catalog.storage_targets().Create(*parsed);
                        if (!created.ok()) return ErrorAnswer(created.status());
                        return TargetAnswer(*created, 201);
                      }))));

  auto changed = options.storage_target_changed;
  AddVersionedRoute(
      router, "PATCH", "/admin/storage-targets/:targetId",
      Secured(
          access, admin,
          Audited(
              audit, "storage_target.update", nullptr,
              JsonRoute([&catalog, &stores, changed](const http::Request& request, element body) {
                const catalog::StorageTargetId id(std::string(*request.PathParam("targetId")));
                // The patch merges into the stored config (secrets left out keep their values),
                // so it is computed against one stored version and applied only to that one.
                for (int attempt = 1;; ++attempt) {
                  auto stored = catalog.storage_targets().Get(id);
                  if (!stored.ok()) return ErrorAnswer(stored.status());
                  auto patch = ParsePatch(body, *stored);
                  if (!patch.ok()) return ErrorAnswer(patch.status());
                  if (patch->config_json) {
                    if (common::Status st =
                            ValidateConfig(stores, stored->kind, *patch->config_json);
                        !st.ok()) {
                      return ErrorAnswer(st);
                    }
                  }
                  auto updated = catalog.storage_targets().Update(id, *patch, stored->updated_at);
                  if (!updated.ok() && updated.status().code() == common::StatusCode::kConflict &&
                      attempt < kMaxPatchAttempts) {
                    continue;
                  }
                  if (!updated.ok()) return ErrorAnswer(updated.status());
                  if (changed) changed(updated->id);
                  return TargetAnswer(*updated);
                }
              }))));
}

}  // namespace timestore::api
