#include "catalog/audit_repository.h"

#include "catalog/rows.h"

namespace timestore::catalog {

using common::Result;

Result<AuditEvent> AuditRepository::Record(const AuditEvent& e) {
  TS_ASSIGN_OR_RETURN(PgLease lease, pool_.Acquire());
  PgParams params;
  params.Add(e.actor).AddTextArray(e.scopes);
  if (e.dataset_id) {
    params.Add(e.dataset_id->value());
  } else {
    params.AddNull();
  }
  params.Add(e.dataset_slug).Add(e.action).Add(e.success).Add(e.request_id).Add(e.metadata_json);
  params.Add(e.occurred_at == 0 ? std::optional<int64_t>() : std::optional<int64_t>(e.occurred_at));
  TS_ASSIGN_OR_RETURN(
      PgResult res,
      lease->Exec("INSERT INTO audit_events (actor, scopes, dataset_id, dataset_slug, action, "
                  "success, request_id, metadata, occurred_at) VALUES ($1, $2::text[], $3, $4, $5, "
                  "$6, $7, $8::jsonb, coalesce(" TS_FROM_MICROS("$9") ", now())) RETURNING " +
                      std::string(rows::kAuditColumns),
                  params));
  return rows::ReadAuditEvent(res, 0);
}

Result<std::vector<AuditEvent>> AuditRepository::List(const ListAuditOptions& o) {
  std::string sql = "SELECT " + std::string(rows::kAuditColumns) + " FROM audit_events WHERE true";
  PgParams params;
  auto next = [&] { return "$" + std::to_string(params.size()); };
  if (o.dataset_id) {
    params.Add(o.dataset_id->value());
    sql += " AND dataset_id = " + next();
  }
  if (!o.actions.empty()) {
    params.AddTextArray(o.actions);
    sql += " AND action = ANY(" + next() + "::text[])";
  }
  if (o.success) {
    params.Add(*o.success);
    sql += " AND success = " + next();
  }
  if (o.since) {
    params.Add(*o.since);
    sql += " AND occurred_at >= " + rows::FromMicrosSql(next());
  }
  if (o.until) {
    params.Add(*o.until);
    sql += " AND occurred_at < " + rows::FromMicrosSql(next());
  }
  if (o.before_id) {
    params.Add(*o.before_id);
    sql += " AND id < " + next();
  }
  params.Add(static_cast<int64_t>(o.limit));
  sql += " ORDER BY id DESC LIMIT " + next();
  TS_ASSIGN_OR_RETURN(PgLease lease, pool_.Acquire());
  TS_ASSIGN_OR_RETURN(PgResult res, lease->Exec(sql, params));
  return rows::ReadAll(res, &rows::ReadAuditEvent);
}

Result<int64_t> AuditRepository::DeleteOlderThan(UnixMicros cutoff, int batch_size) {
  TS_ASSIGN_OR_RETURN(PgLease lease, pool_.Acquire());
  TS_ASSIGN_OR_RETURN(
      PgResult res,
      lease->Exec("DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events WHERE "
                  "occurred_at < " TS_FROM_MICROS("$1") " ORDER BY id LIMIT $2)",
                  PgParams().Add(cutoff).Add(static_cast<int64_t>(batch_size))));
  return res.affected_rows();
}

}  // namespace timestore::catalog
