#include "catalog/storage_target_repository.h"

#include "catalog/rows.h"

namespace timestore::catalog {

using common::Result;

Result<StorageTarget> StorageTargetRepository::EnsureDefault(const std::string& name,
                                                             StorageKind kind,
                                                             const std::string& config_json) {
  TS_ASSIGN_OR_RETURN(PgLease lease, pool_.Acquire());
  TS_ASSIGN_OR_RETURN(PgTransaction tx, PgTransaction::Begin(lease.conn()));
  // Serializes concurrent boots: the default flag moves between rows in one step.
  TS_RETURN_IF_ERROR(
      tx.Exec("SELECT pg_advisory_xact_lock(hashtext('timestore:default-storage-target'))")
          .status());
  TS_RETURN_IF_ERROR(tx.Exec("UPDATE storage_targets SET is_default = false, updated_at = now() "
                             "WHERE is_default AND name <> $1",
                             PgParams().Add(name))
                         .status());
  TS_ASSIGN_OR_RETURN(
      PgResult res,
      tx.Exec("INSERT INTO storage_targets (name, kind, config, is_default) "
              "VALUES ($1, $2, $3::jsonb, true) "
              "ON CONFLICT (name) DO UPDATE SET kind = EXCLUDED.kind, config = EXCLUDED.config, "
              "is_default = true, updated_at = CASE WHEN storage_targets.config = EXCLUDED.config "
              "AND storage_targets.is_default THEN storage_targets.updated_at ELSE now() END "
              "RETURNING " +
                  std::string(rows::kStorageTargetColumns),
              PgParams().Add(name).Add(StorageKindName(kind)).Add(config_json)));
  TS_RETURN_IF_ERROR(tx.Commit());
  return rows::ReadStorageTarget(res, 0);
}

Result<StorageTarget> StorageTargetRepository::Create(const NewStorageTarget& t) {
  if (t.name.empty()) return common::InvalidArgument("name must not be empty");
  TS_ASSIGN_OR_RETURN(PgLease lease, pool_.Acquire());
  auto res = lease->Exec(
      "INSERT INTO storage_targets (name, kind, description, config) "
      "VALUES ($1, $2, $3, $4::jsonb) RETURNING " +
          std::string(rows::kStorageTargetColumns),
      PgParams().Add(t.name).Add(StorageKindName(t.kind)).Add(t.description).Add(t.config_json));
  if (!res.ok()) {
    if (res.status().code() == common::StatusCode::kAlreadyExists) {
      return common::AlreadyExists("storage target '" + t.name + "' already exists");
    }
    return res.status();
  }
  return rows::ReadStorageTarget(*res, 0);
}

Result<StorageTarget> StorageTargetRepository::Update(
    const StorageTargetId& id, const StorageTargetPatch& patch,
    std::optional<UnixMicros> expected_updated_at) {
  if (patch.empty()) return common::InvalidArgument("nothing to change");
  if (patch.name && patch.name->empty()) return common::InvalidArgument("name must not be empty");
  PgParams params;
  params.Add(id.value());
  std::string sets;
  if (patch.name) {
    params.Add(*patch.name);
    sets += "name = $" + std::to_string(params.size()) + ", ";
  }
  if (patch.description) {
    params.Add(*patch.description);
    sets += "description = $" + std::to_string(params.size()) + ", ";
  }
  if (patch.config_json) {
    params.Add(*patch.config_json);
    sets += "config = $" + std::to_string(params.size()) + "::jsonb, ";
  }
  std::string where = "id = $1";
  if (expected_updated_at) {
    params.Add(*expected_updated_at);
    where += " AND updated_at = " + rows::FromMicrosSql("$" + std::to_string(params.size()));
  }
  TS_ASSIGN_OR_RETURN(PgLease lease, pool_.Acquire());
  // clock_timestamp(): two updates never share an updated_at, even in one transaction's instant.
  auto res =
      lease->Exec("UPDATE storage_targets SET " + sets + "updated_at = clock_timestamp() WHERE " +
                      where + " RETURNING " + std::string(rows::kStorageTargetColumns),
                  params);
  if (!res.ok()) {
    if (res.status().code() == common::StatusCode::kAlreadyExists) {
      return common::AlreadyExists("storage target '" + patch.name.value_or("") +
                                   "' already exists");
    }
    return res.status();
  }
  if (res->rows() == 0) {
    if (expected_updated_at) {
      TS_RETURN_IF_ERROR(Get(id).status());  // kNotFound when it is gone
      return common::Conflict("storage target " + id.value() + " changed meanwhile");
    }
    return common::NotFound("storage target " + id.value() + " not found");
  }
  return rows::ReadStorageTarget(*res, 0);
}

Result<StorageTarget> StorageTargetRepository::Get(const StorageTargetId& id) {
  TS_ASSIGN_OR_RETURN(PgLease lease, pool_.Acquire());
  TS_ASSIGN_OR_RETURN(PgResult res,
                      lease->Exec("SELECT " + std::string(rows::kStorageTargetColumns) +
                                      " FROM storage_targets WHERE id = $1",
                                  PgParams().Add(id.value())));
  if (res.rows() == 0) return common::NotFound("storage target " + id.value() + " not found");
  return rows::ReadStorageTarget(res, 0);
}

Result<std::optional<StorageTarget>> StorageTargetRepository::FindDefault() {
  TS_ASSIGN_OR_RETURN(PgLease lease, pool_.Acquire());
  TS_ASSIGN_OR_RETURN(PgResult res,
                      lease->Exec("SELECT " + std::string(rows::kStorageTargetColumns) +
                                  " FROM storage_targets WHERE is_default"));
  if (res.rows() == 0) return std::optional<StorageTarget>();
  return std::optional<StorageTarget>(rows::ReadStorageTarget(res, 0));
}

Result<std::vector<StorageTarget>> StorageTargetRepository::List() {
  TS_ASSIGN_OR_RETURN(PgLease lease, pool_.Acquire());
  TS_ASSIGN_OR_RETURN(PgResult res,
                      lease->Exec("SELECT " + std::string(rows::kStorageTargetColumns) +
                                  " FROM storage_targets ORDER BY name"));
  return rows::ReadAll(res, &rows::ReadStorageTarget);
}

}  // namespace timestore::catalog
