#include "catalog/retention_repository.h"

#include "catalog/rows.h"

namespace timestore::catalog {

using common::Result;

namespace {

constexpr std::string_view kColumns =
    "dataset_id, policy::text, updated_by, " TS_MICROS("created_at") ", " TS_MICROS("updated_at");

RetentionPolicyRecord ReadRecord(const PgResult& r, int row) {
  RetentionPolicyRecord p;
  p.dataset_id = DatasetId(std::string(r.GetText(row, 0)));
  p.policy_json = r.GetText(row, 1);
  p.updated_by = r.GetOptionalText(row, 2);
  p.created_at = r.GetInt64(row, 3);
  p.updated_at = r.GetInt64(row, 4);
  return p;
}

}  // namespace

Result<std::optional<RetentionPolicyRecord>> RetentionRepository::Find(const DatasetId& id) {
  TS_ASSIGN_OR_RETURN(PgLease lease, pool_.Acquire());
  TS_ASSIGN_OR_RETURN(PgResult res,
                      lease->Exec("SELECT " + std::string(kColumns) +
                                      " FROM retention_policies WHERE dataset_id = $1",
                                  PgParams().Add(id.value())));
  if (res.rows() == 0) return std::optional<RetentionPolicyRecord>();
  return std::optional<RetentionPolicyRecord>(ReadRecord(res, 0));
}

Result<RetentionPolicyRecord> RetentionRepository::Put(
    const DatasetId& id, const std::string& policy_json,
    const std::optional<std::string>& updated_by) {
  TS_ASSIGN_OR_RETURN(PgLease lease, pool_.Acquire());
  // INSERT ... SELECT from datasets: an unknown dataset inserts nothing instead of violating the
  // foreign key.
  TS_ASSIGN_OR_RETURN(
      PgResult res, lease->Exec("INSERT INTO retention_policies (dataset_id, policy, updated_by) "
                                "SELECT id, $2::jsonb, $3 FROM datasets WHERE id = $1 "
                                "ON CONFLICT (dataset_id) DO UPDATE SET policy = EXCLUDED.policy, "
                                "updated_by = EXCLUDED.updated_by, updated_at = now() RETURNING " +
                                    std::string(kColumns),
                                PgParams().Add(id.value()).Add(policy_json).Add(updated_by)));
  if (res.rows() == 0) return common::NotFound("dataset " + id.value() + " not found");
  return ReadRecord(res, 0);
}

}  // namespace timestore::catalog
