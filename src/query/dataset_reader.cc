#include "query/dataset_reader.h"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <thread>

#include "common/text.h"
#include "partition/scan_sql.h"
#include "storage/local_copy.h"

namespace timestore::query {

common::Result<catalog::Dataset> DatasetReader::GetDataset(std::string_view slug) {
  return catalog_.datasets().GetBySlugCached(slug);
}

common::Result<std::shared_ptr<const SchemaVersions>> DatasetReader::Schemas(
    const catalog::Dataset& dataset) {
  const int wanted = dataset.current_schema_version.value_or(0);
  {
    std::lock_guard lock(mu_);
    auto it = schemas_.find(dataset.id.value());
    if (it != schemas_.end() && (wanted == 0 || it->second->contains(wanted))) return it->second;
  }
  TS_ASSIGN_OR_RETURN(std::vector<catalog::SchemaVersion> versions,
                      catalog_.datasets().ListSchemaVersions(dataset.id));
  auto loaded = std::make_shared<SchemaVersions>();
  for (catalog::SchemaVersion& v : versions) loaded->emplace(v.version, std::move(v.columns));
  std::lock_guard lock(mu_);
  schemas_[dataset.id.value()] = loaded;
  return std::shared_ptr<const SchemaVersions>(loaded);
}

std::vector<catalog::ColumnDef> DatasetReader::CurrentColumns(const catalog::Dataset& dataset,
                                                              const SchemaVersions& schemas) {
  if (!dataset.current_schema_version) return {};
  auto it = schemas.find(*dataset.current_schema_version);
  return it == schemas.end() ? std::vector<catalog::ColumnDef>() : it->second;
}

common::Result<ResolvedFiles> DatasetReader::Resolve(
    const std::vector<std::shared_ptr<const PartitionEntry>>& partitions,
    const SchemaVersions& schemas, const std::optional<NativeCopies::Series>& series) {
  ResolvedFiles out;
  out.files.resize(partitions.size());
  std::vector<std::shared_ptr<storage::ObjectStore>> stores(partitions.size());
  std::vector<size_t> remote;  // partitions whose store has no local path
  for (size_t i = 0; i < partitions.size(); ++i) {
    const catalog::Partition& p = partitions[i]->partition;
    out.files[i].format = p.format;
    out.files[i].schema_version = p.schema_version;
    TS_ASSIGN_OR_RETURN(stores[i], stores_.ForTarget(p.storage_target_id));
    if (!stores[i]->LocalPath(p.object_key.value())) remote.push_back(i);
  }
  // Local copies: in place, or through the cache with up to fetch_concurrency_ downloads at once
  // (each slot is written by one thread only).
  std::vector<common::Result<storage::LocalCopy>> copies;
  copies.reserve(partitions.size());
  for (size_t i = 0; i < partitions.size(); ++i) copies.emplace_back(common::Internal("not read"));
  auto open = [&](size_t i) {
    const catalog::Partition& p = partitions[i]->partition;
    copies[i] = storage::OpenLocalCopy(*stores[i], p.storage_target_id.value(),
                                       p.object_key.value(), p.checksum_sha256, cache_);
  };
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t k = next++; k < remote.size(); k = next++) open(remote[k]);
  };
  const size_t threads = std::min(remote.size(), static_cast<size_t>(fetch_concurrency_));
  {
    std::vector<std::jthread> pool;
    for (size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
    worker();
  }
  size_t r = 0;
  for (size_t i = 0; i < partitions.size(); ++i) {
    if (r < remote.size() && remote[r] == i) {
      ++r;
    } else {
      open(i);  // local: in place, no I/O
    }
    const catalog::Partition& p = partitions[i]->partition;
    // A file that is gone belongs to a partition removed (by retention or compaction) and swept
    // after its grace period: only old versions still name it.
    const std::string gone = "partition " + p.id.value() +
                             " is no longer stored (removed and swept after its grace period); "
                             "query a newer version";
    if (!copies[i].ok()) {
      if (copies[i].status().code() == common::StatusCode::kNotFound) {
        return common::NotFound(gone);
      }
      return copies[i].status().WithContext("partition " + p.id.value());
    }
    storage::LocalCopy copy = std::move(copies[i]).value();
    std::error_code ec;
    if (copy.source == storage::LocalCopy::Source::kLocal &&
        !std::filesystem::exists(copy.path, ec)) {
      return common::NotFound(gone);
    }
    out.files[i].path = copy.path;
    if (native_ != nullptr) {
      std::optional<storage::CachedFile> native =
          native_->Find(p, partition::ColumnsOf(schemas, p.schema_version), copy.path, series);
      if (native) {
        out.files[i].path = native->path();
        out.files[i].format = catalog::WriteFormat::kDuckdb;
        out.pins.push_back(std::move(*native));
        ++out.native;
      }
    }
    switch (copy.source) {
      case storage::LocalCopy::Source::kLocal:
        ++out.local;
        break;
      case storage::LocalCopy::Source::kCache:
        ++out.from_cache;
        break;
      case storage::LocalCopy::Source::kDownload:
        ++out.fetched;
        break;
    }
    if (copy.source != storage::LocalCopy::Source::kLocal) out.pins.push_back(std::move(copy.pin));
  }
  return out;
}

std::optional<NativeCopies::Series> DatasetReader::SeriesFor(
    const catalog::Dataset& dataset, const std::vector<catalog::ColumnDef>& schema,
    const std::vector<std::string>& selected) {
  for (const std::string& name : selected) {
    for (const catalog::ColumnDef& c : schema) {
      if (c.type == catalog::ColumnType::kString && common::EqualsIgnoreCase(c.name, name)) {
        return NativeCopies::Series{c.name, dataset.timestamp_column};
      }
    }
  }
  return std::nullopt;
}

}  // namespace timestore::query
