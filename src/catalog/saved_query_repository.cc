#include "catalog/saved_query_repository.h"

#include "catalog/rows.h"

namespace timestore::catalog {

using common::Result;

Result<std::vector<SavedQuery>> SavedQueryRepository::List() {
  TS_ASSIGN_OR_RETURN(PgLease lease, pool_.Acquire());
  TS_ASSIGN_OR_RETURN(PgResult res,
                      lease->Exec("SELECT " + std::string(rows::kSavedQueryColumns) +
                                  " FROM sql_saved_queries ORDER BY updated_at DESC, id"));
  return rows::ReadAll(res, &rows::ReadSavedQuery);
}

Result<std::optional<SavedQuery>> SavedQueryRepository::Find(const SavedQueryId& id) {
  TS_ASSIGN_OR_RETURN(PgLease lease, pool_.Acquire());
  TS_ASSIGN_OR_RETURN(PgResult res, lease->Exec("SELECT " + std::string(rows::kSavedQueryColumns) +
                                                    " FROM sql_saved_queries WHERE id = $1",
                                                PgParams().Add(id.value())));
  if (res.rows() == 0) return std::optional<SavedQuery>();
  return std::optional<SavedQuery>(rows::ReadSavedQuery(res, 0));
}

Result<SavedQuery> SavedQueryRepository::Upsert(const SavedQueryUpsert& q) {
  TS_ASSIGN_OR_RETURN(PgLease lease, pool_.Acquire());
  // jsonb_strip_nulls leaves unknown stats out of the stored document.
  TS_ASSIGN_OR_RETURN(
      PgResult res,
      lease->Exec("INSERT INTO sql_saved_queries (id, statement, label, created_by, stats) "
                  "VALUES ($1, $2, $3, $4, jsonb_strip_nulls(jsonb_build_object("
                  "'rowCount', $5::bigint, 'elapsedMs', $6::bigint))) "
                  "ON CONFLICT (id) DO UPDATE SET statement = EXCLUDED.statement, "
                  "label = EXCLUDED.label, stats = EXCLUDED.stats, "
                  "created_by = coalesce(sql_saved_queries.created_by, EXCLUDED.created_by), "
                  "updated_at = now() RETURNING " +
                      std::string(rows::kSavedQueryColumns),
                  PgParams()
                      .Add(q.id.value())
                      .Add(q.statement)
                      .Add(q.label)
                      .Add(q.created_by)
                      .Add(q.stats.row_count)
                      .Add(q.stats.elapsed_ms)));
  return rows::ReadSavedQuery(res, 0);
}

Result<bool> SavedQueryRepository::Delete(const SavedQueryId& id) {
  TS_ASSIGN_OR_RETURN(PgLease lease, pool_.Acquire());
  TS_ASSIGN_OR_RETURN(PgResult res, lease->Exec("DELETE FROM sql_saved_queries WHERE id = $1",
                                                PgParams().Add(id.value())));
  return res.affected_rows() > 0;
}

}  // namespace timestore::catalog
