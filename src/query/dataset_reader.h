// DatasetReader: what both read paths (the query API and SQL) need from the catalog and the stores
// to read a dataset: its definition, its schema versions (cached: they never change once written),
// a manifest snapshot (through the ManifestCache) and local paths for partition files - in place
// for local stores, through the PartitionCache (pinned for the query's lifetime) for remote ones.
// Thread-safe; the catalog, stores, cache and manifest cache must outlive it.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/catalog.h"
#include "common/status.h"
#include "partition/store_resolver.h"
#include "query/manifest_cache.h"
#include "query/native_copies.h"
#include "query/query_sql.h"
#include "storage/partition_cache.h"

namespace timestore::query {

using SchemaVersions = std::map<int, std::vector<catalog::ColumnDef>>;

// The partition files of one query, readable on local disk while this lives.
struct ResolvedFiles {
  std::vector<SourceFile> files;          // one per partition, in the order given
  std::vector<storage::CachedFile> pins;  // remote files held in the cache
  int64_t local = 0;                      // read in place from a local store
  int64_t from_cache = 0;                 // remote, already in the cache
  int64_t fetched = 0;                    // remote, downloaded for this query
  int64_t native = 0;                     // read from a native copy (NativeCopies)
};

class DatasetReader {
 public:
  // `cache` may be null when no remote store is used (a remote partition then fails to resolve);
  // `native` may be null: Parquet partitions are then always read as Parquet.
  DatasetReader(catalog::Catalog& catalog, partition::StoreResolver& stores,
                storage::PartitionCache* cache, ManifestCache& manifests, int fetch_concurrency,
                NativeCopies* native = nullptr)
      : catalog_(catalog),
        stores_(stores),
        cache_(cache),
        manifests_(manifests),
        native_(native),
        fetch_concurrency_(std::max(1, fetch_concurrency)) {}

  // kNotFound ("dataset 'x' not found") for an unknown slug.
  common::Result<catalog::Dataset> GetDataset(std::string_view slug);

  // Every schema version of the dataset (up to its current one), by number.
  common::Result<std::shared_ptr<const SchemaVersions>> Schemas(const catalog::Dataset& dataset);

  // The current schema's columns (empty before the first ingest).
  static std::vector<catalog::ColumnDef> CurrentColumns(const catalog::Dataset& dataset,
                                                        const SchemaVersions& schemas);

  // The manifest of `dataset` at `version` (<= its current version).
  common::Result<std::shared_ptr<const ManifestSnapshot>> Manifest(const catalog::Dataset& dataset,
                                                                   int64_t version) {
    return manifests_.Get(dataset.id, version);
  }

  // Local paths of `partitions`' files; remote ones are fetched into the cache (several at once)
  // and pinned. A Parquet partition with a native copy ready is read from that copy instead (a
  // DuckDB file with the same columns and rows; `schemas` names each file's columns); one without
  // gets its decode queued; with `series` (a query selecting a few values of that string column),
  // the copy sorted by it when ready (NativeCopies). kNotFound / kInternal when a file is missing
  // or fails its checksum; kUnavailable when a store cannot be reached.
  common::Result<ResolvedFiles> Resolve(
      const std::vector<std::shared_ptr<const PartitionEntry>>& partitions,
      const SchemaVersions& schemas,
      const std::optional<NativeCopies::Series>& series = std::nullopt);

  // The string column of `schema` that `selected` (columns a query compares with `=` or IN, as
  // written) names first, case-insensitively: the order a series copy should have for it.
  static std::optional<NativeCopies::Series> SeriesFor(
      const catalog::Dataset& dataset, const std::vector<catalog::ColumnDef>& schema,
      const std::vector<std::string>& selected);

 private:
  catalog::Catalog& catalog_;
  partition::StoreResolver& stores_;  // its Forget makes a changed target be read again
  storage::PartitionCache* const cache_;
  ManifestCache& manifests_;
  NativeCopies* const native_;
  const int fetch_concurrency_;

  std::mutex mu_;
  // By dataset id: the schema versions known, refreshed when a newer current version appears.
  std::map<std::string, std::shared_ptr<const SchemaVersions>> schemas_;  // guarded by mu_
};

}  // namespace timestore::query
