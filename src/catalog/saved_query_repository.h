// SavedQueryRepository: SQL statements clients saved under an id of their choosing, with a label
// and the stats of their last run. The statement is stored verbatim and never parsed or run here.
// Thread-safe; every call borrows a connection from the pool, which must outlive the repository.
#pragma once

#include <optional>
#include <vector>

#include "catalog/pg_pool.h"
#include "catalog/types.h"
#include "common/status.h"

namespace timestore::catalog {

class SavedQueryRepository {
 public:
  explicit SavedQueryRepository(PgPool& pool) : pool_(pool) {}

  // Every saved query, most recently saved first (ties by id, ascending). Unpaged, as the
  // original.
  common::Result<std::vector<SavedQuery>> List();
  // Nothing when no query has this id.
  common::Result<std::optional<SavedQuery>> Find(const SavedQueryId& id);
  // Creates the query, or replaces statement, label and stats of the existing one and sets its
  // updated_at to now; created_at and a non-null created_by are kept from the first save. The
  // caller validates the input (IsValidSavedQueryId, non-negative stats). Returns the stored row.
  common::Result<SavedQuery> Upsert(const SavedQueryUpsert& query);
  // True when the query existed and is gone; false when there was none.
  common::Result<bool> Delete(const SavedQueryId& id);

 private:
  PgPool& pool_;
};

}  // namespace timestore::catalog
