// ExportRepository: the records of Parquet exports (table dataset_exports): which file on which
// storage target holds which version (and time range) of a dataset. A record is written once, after
// its file is published, and never changed; rows go with their dataset. Thread-safe; every call
// borrows a connection from the pool, which must outlive the repository.
#pragma once

#include <optional>
#include <vector>

#include "catalog/pg_pool.h"
#include "catalog/types.h"
#include "common/status.h"

namespace timestore::catalog {

class ExportRepository {
 public:
  explicit ExportRepository(PgPool& pool) : pool_(pool) {}

  // Records a published export and returns the stored row (with its new id). kInvalidArgument for
  // a malformed checksum or a range with one end only; kAlreadyExists when the (target, key) pair
  // is already recorded; kConflict when the dataset or target does not exist (anymore).
  common::Result<DatasetExport> Record(const NewExport& e);
  // The dataset's exports, newest first (by created_at, then id descending), at most `limit`
  // (1..500, else kInvalidArgument).
  common::Result<std::vector<DatasetExport>> List(const DatasetId& dataset_id, int limit);
  // The newest export of the dataset; nothing when it has none.
  common::Result<std::optional<DatasetExport>> FindLatest(const DatasetId& dataset_id);

 private:
  PgPool& pool_;
};

}  // namespace timestore::catalog
