// Storage target routes of AddAdminRoutes (see admin_routes.h). Configs are stored with their
// secrets (a created target carries its own credentials); answers replace each secret member by a
// "<member>Set" boolean.
#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "admin/storage_target_admin_service.h"
#include "api/admin_routes.h"
#include "api/api_error.h"
#include "api/json_body.h"
#include "api/request_audit.h"
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

using admin::kSecretConfigMembers;

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
  std::array<bool, kSecretConfigMembers.size()> set{};
  if (parser.parse(target.config_json).get(root) == simdjson::SUCCESS &&
      root.type() == element_type::OBJECT) {
    const simdjson::dom::object fields = root.get_object().value_unsafe();
    for (auto field : fields) {
      bool secret = false;
      for (size_t i = 0; i < kSecretConfigMembers.size(); ++i) {
        if (field.key == kSecretConfigMembers[i]) {
          set[i] = SecretSet(field.value);
          secret = true;
        }
      }
      if (!secret) w.Key(field.key).Raw(simdjson::minify(field.value));
    }
  }
  if (target.kind == catalog::StorageKind::kS3 ||
      std::find(set.begin(), set.end(), true) != set.end()) {
    for (size_t i = 0; i < kSecretConfigMembers.size(); ++i) {
      w.Key(std::string(kSecretConfigMembers[i]) + "Set").Bool(set[i]);
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
  t.config_json = simdjson::minify(*config);
  return t;
}

Result<admin::StorageTargetChange> ParsePatch(element body) {
  if (body.type() != element_type::OBJECT) return ExpectedJson("body", "an object", body);
  admin::StorageTargetChange change;
  const simdjson::dom::object fields = body.get_object().value_unsafe();
  for (auto field : fields) {
    const std::string_view key = field.key;
    const element value = field.value;
    if (key == "name") {
      TS_ASSIGN_OR_RETURN(change.name, JsonNonEmptyString(key, value));
    } else if (key == "description") {
      TS_ASSIGN_OR_RETURN(change.description, JsonNullableString(key, value));
    } else if (key == "config") {
      if (value.type() != element_type::OBJECT) return ExpectedJson(key, "an object", value);
      change.config_json = simdjson::minify(value);
    } else if (key == "kind" || key == "isDefault" || key == "id") {
      return common::InvalidArgument(std::string(key) + ": cannot be changed");
    } else {
      return common::InvalidArgument(std::string(key) + ": unknown field");
    }
  }
  return change;
}

catalog::StorageTargetId TargetIdOf(const http::Request& request) {
  return catalog::StorageTargetId(std::string(request.PathParam("targetId").value_or("")));
}

}  // namespace

void AddAdminStorageTargetRoutes(http::Router& router, admin::StorageTargetAdminService& targets,
                                 const AccessControl* access, const RequestAudit* audit) {
  const Requirement admin{Permission::kAdmin, ""};

  AddVersionedRoute(router, "GET", "/admin/storage-targets",
                    Secured(access, admin, [&targets](const http::Request&) {
                      auto all = targets.List();
                      if (!all.ok()) return ErrorAnswer(all.status());
                      common::JsonWriter w;
                      w.BeginObject().Key("storageTargets").BeginArray();
                      for (const catalog::StorageTarget& t : *all) WriteTarget(w, t);
                      w.EndArray().EndObject();
                      return http::Response::Json(w.TakeBuffer());
                    }));

  AddVersionedRoute(router, "GET", "/admin/storage-targets/:targetId",
                    Secured(access, admin, [&targets](const http::Request& request) {
                      auto target = targets.Get(TargetIdOf(request));
                      if (!target.ok()) return ErrorAnswer(target.status());
                      return TargetAnswer(*target);
                    }));

  AddVersionedRoute(
      router, "POST", "/admin/storage-targets",
      Secured(access, admin,
              Audited(audit, "storage_target.create",
                      AuditedJson([&targets](const http::Request&, element body,
                                             RequestAudit::Entry&) -> Result<http::Response> {
                        TS_ASSIGN_OR_RETURN(catalog::NewStorageTarget parsed, ParseCreate(body));
                        TS_ASSIGN_OR_RETURN(catalog::StorageTarget created,
                                            targets.Create(std::move(parsed)));
                        return TargetAnswer(created, 201);
                      }))));

  AddVersionedRoute(
      router, "PATCH", "/admin/storage-targets/:targetId",
      Secured(access, admin,
              Audited(audit, "storage_target.update",
                      AuditedJson([&targets](const http::Request& request, element body,
                                             RequestAudit::Entry&) -> Result<http::Response> {
                        TS_ASSIGN_OR_RETURN(admin::StorageTargetChange change, ParsePatch(body));
                        TS_ASSIGN_OR_RETURN(catalog::StorageTarget updated,
                                            targets.Update(TargetIdOf(request), change));
                        return TargetAnswer(updated);
                      }))));
}

}  // namespace timestore::api
