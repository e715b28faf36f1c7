// DatasetRepository: dataset definitions and their ordered schema versions. Thread-safe; every call
// borrows a connection from the pool.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "catalog/dataset_cache.h"
#include "catalog/pg_pool.h"
#include "catalog/types.h"
#include "common/status.h"

namespace timestore::catalog {

class DatasetRepository {
 public:
  // `cache` (optional, must outlive this) serves the *Cached reads; every change this repository
  // commits invalidates the dataset's entry there.
  explicit DatasetRepository(PgPool& pool, DatasetCache* cache = nullptr)
      : pool_(pool), cache_(cache) {}

  // kInvalidArgument for a bad slug or window; kAlreadyExists when the slug is taken.
  common::Result<Dataset> Create(const NewDataset& dataset);
  // Create, made safe to replay: when the slug exists with exactly the definition `dataset`
  // describes (name, description, timestamp column, window, keys, format, storage target, scopes,
  // metadata), that dataset is returned with created=false; kAlreadyExists when it holds another
  // definition. Same validation errors as Create.
  common::Result<EnsuredDataset> Ensure(const NewDataset& dataset);
  common::Result<std::optional<Dataset>> FindBySlug(std::string_view slug);
  common::Result<std::optional<Dataset>> FindById(const DatasetId& id);
  // Like FindBySlug, but kNotFound ("dataset 'cpu' not found") when absent.
  common::Result<Dataset> GetBySlug(std::string_view slug);
  // The dataset whose id or slug is `name` (routes address datasets either way), in one lookup.
  common::Result<std::optional<Dataset>> FindByIdOrSlug(std::string_view name);
  // Like FindByIdOrSlug, but kNotFound ("dataset 'x' not found") when absent.
  common::Result<Dataset> GetByIdOrSlug(std::string_view name);
  // FindByIdOrSlug and GetBySlug for the read path: answered from the DatasetCache when it holds
  // a current copy, otherwise read (and cached). A writer that decides on the row inside its own
  // transaction reads it there instead.
  common::Result<std::optional<Dataset>> FindByIdOrSlugCached(std::string_view name);
  common::Result<Dataset> GetBySlugCached(std::string_view slug);

  // Applies `patch` and bumps the revision and updated_at in one statement. With
  // `expected_revision`, a compare-and-set: kFailedPrecondition when the stored revision differs.
  // kInvalidArgument for an empty patch, an empty name, a window <= 0; kNotFound for an unknown
  // dataset or storage target.
  common::Result<Dataset> Update(const DatasetId& id, const DatasetPatch& patch,
                                 std::optional<int64_t> expected_revision = std::nullopt);

  // Datasets ordered by slug, `limit` per page. A page's next_cursor fetches the page after it; it
  // is absent exactly when no dataset follows. kInvalidArgument for a limit outside 1..500 or a bad
  // cursor.
  common::Result<DatasetPage> List(const ListDatasetsOptions& options);

  // Adds schema version current+1 with `columns` and makes it the dataset's current schema, unless
  // the current schema already has exactly these columns (then it is returned unchanged). With
  // `expected_current`, kConflict when another writer changed the current schema meanwhile (re-read
  // and retry). kNotFound for an unknown dataset.
  common::Result<SchemaVersion> AddSchemaVersion(const DatasetId& id,
                                                 const std::vector<ColumnDef>& columns,
                                                 std::optional<int> expected_current);
  common::Result<std::optional<SchemaVersion>> FindSchemaVersion(const DatasetId& id, int version);
  common::Result<std::vector<SchemaVersion>> ListSchemaVersions(const DatasetId& id);

 private:
  void Changed(const DatasetId& id) {
    if (cache_ != nullptr) cache_->Invalidate(id);
  }

  PgPool& pool_;
  DatasetCache* const cache_;
};

}  // namespace timestore::catalog
