#include "catalog/audit_repository.h"

#include "catalog/rows.h"

namespace timestore::catalog {

using common::Result;

namespace {

constexpr std::string_view kInsertAudit =
    "INSERT INTO audit_events (actor, scopes, dataset_id, dataset_slug, action, success, "
    "request_id, metadata, occurred_at) VALUES ";

// Appends the 9 parameters of `e` to `params` and returns its VALUES row ("($1, ..., $9)" for the
// first event): occurred_at is the event's own, or now() when zero.
std::string AddAuditRow(const AuditEvent& e, PgParams& params) {
  const size_t first = params.size() + 1;
  params.Add(e.actor).AddTextArray(e.scopes);
  if (e.dataset_id) {
    params.Add(e.dataset_id->value());
  } else {
    params.AddNull();
  }
  params.Add(e.dataset_slug).Add(e.action).Add(e.success).Add(e.request_id).Add(e.metadata_json);
  params.Add(e.occurred_at == 0 ? std::optional<int64_t>() : std::optional<int64_t>(e.occurred_at));
  auto p = [first](size_t i) { return "$" + std::to_string(first + i); };
  return "(" + p(0) + ", " + p(1) + "::text[], " + p(2) + ", " + p(3) + ", " + p(4) + ", " + p(5) +
         ", " + p(6) + ", " + p(7) + "::jsonb, coalesce(" + rows::FromMicrosSql(p(8)) + ", now()))";
}

}  // namespace

Result<AuditEvent> AuditRepository::Record(const AuditEvent& e) {
  PgParams params;
  const std::string sql = std::string(kInsertAudit) + AddAuditRow(e, params) + " RETURNING " +
                          std::string(rows::kAuditColumns);
  TS_ASSIGN_OR_RETURN(PgLease lease, pool_.Acquire());
  TS_ASSIGN_OR_RETURN(PgResult res, lease->Exec(sql, params));
  return rows::ReadAuditEvent(res, 0);
}

common::Status AuditRepository::RecordBatch(std::span<const AuditEvent> events) {
  if (events.empty()) return common::Status::Ok();
  if (events.size() > kMaxBatch) {
    return common::InvalidArgument("audit batch of " + std::to_string(events.size()) +
                                   " events: at most " + std::to_string(kMaxBatch));
  }
  PgParams params;
  std::string sql(kInsertAudit);
  for (size_t i = 0; i < events.size(); ++i) {
    if (i > 0) sql += ", ";
    sql += AddAuditRow(events[i], params);
  }
  TS_ASSIGN_OR_RETURN(PgLease lease, pool_.Acquire());
  return lease->Exec(sql, params).status();
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
