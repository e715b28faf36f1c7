#include "catalog/sweep_repository.h"

#include "catalog/rows.h"

namespace timestore::catalog {

using common::Result;

Result<std::vector<Partition>> SweepRepository::ListSweepable(
    const std::optional<DatasetId>& dataset, UnixMicros cutoff, int limit) {
  TS_ASSIGN_OR_RETURN(PgLease lease, pool_.Acquire());
  PgParams params;
  params.Add(cutoff).Add(static_cast<int64_t>(limit)).Add(dataset ? dataset->value() : "");
  TS_ASSIGN_OR_RETURN(
      PgResult res,
      lease->Exec("SELECT " + std::string(rows::kPartitionColumns) +
                      " FROM dataset_partitions p WHERE p.removed_in_version IS NOT NULL "
                      "AND p.file_deleted_at IS NULL AND ($3 = '' OR p.dataset_id = $3) "
                      "AND EXISTS (SELECT 1 FROM dataset_versions v WHERE v.dataset_id = "
                      "p.dataset_id AND v.version = p.removed_in_version AND v.created_at < " +
                      rows::FromMicrosSql("$1") + ") ORDER BY p.removed_in_version, p.id LIMIT $2",
                  params));
  return rows::ReadAll(res, &rows::ReadPartition);
}

Result<int64_t> SweepRepository::MarkFilesDeleted(const std::vector<PartitionId>& ids,
                                                  UnixMicros at) {
  if (ids.empty()) return int64_t{0};
  std::vector<std::string> values;
  values.reserve(ids.size());
  for (const PartitionId& id : ids) values.push_back(id.value());
  TS_ASSIGN_OR_RETURN(PgLease lease, pool_.Acquire());
  TS_ASSIGN_OR_RETURN(
      PgResult res,
      lease->Exec("UPDATE dataset_partitions SET file_deleted_at = " + rows::FromMicrosSql("$2") +
                      " WHERE id = ANY($1::text[]) AND removed_in_version IS NOT NULL "
                      "AND file_deleted_at IS NULL",
                  PgParams().AddTextArray(values).Add(at)));
  return res.affected_rows();
}

Result<std::vector<std::string>> SweepRepository::FindUnreferencedKeys(
    const StorageTargetId& target, const std::vector<std::string>& keys) {
  if (keys.empty()) return std::vector<std::string>();
  TS_ASSIGN_OR_RETURN(PgLease lease, pool_.Acquire());
  TS_ASSIGN_OR_RETURN(
      PgResult res,
      lease->Exec("SELECT k.key FROM unnest($2::text[]) WITH ORDINALITY AS k(key, n) "
                  "WHERE NOT EXISTS (SELECT 1 FROM dataset_partitions p "
                  "WHERE p.storage_target_id = $1 AND p.object_key = k.key) "
                  "AND NOT EXISTS (SELECT 1 FROM dataset_exports e "
                  "WHERE e.storage_target_id = $1 AND e.object_key = k.key) ORDER BY k.n",
                  PgParams().Add(target.value()).AddTextArray(keys)));
  std::vector<std::string> out;
  out.reserve(static_cast<size_t>(res.rows()));
  for (int i = 0; i < res.rows(); ++i) out.emplace_back(res.GetText(i, 0));
  return out;
}

}  // namespace timestore::catalog
