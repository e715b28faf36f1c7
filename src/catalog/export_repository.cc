#include "catalog/export_repository.h"

#include <string>

#include "catalog/rows.h"

namespace timestore::catalog {

using common::Result;

namespace {

// clang-format off
constexpr std::string_view kExportColumns =
    "id, dataset_id, storage_target_id, object_key, version, "
    TS_MICROS("range_start") ", " TS_MICROS("range_end") ", "
    "row_count, file_size_bytes, checksum_sha256, job_id, "
    TS_MICROS("created_at");
// clang-format on

DatasetExport ReadExport(const PgResult& r, int row) {
  DatasetExport e;
  e.id = ExportId(std::string(r.GetText(row, 0)));
  e.dataset_id = DatasetId(std::string(r.GetText(row, 1)));
  e.storage_target_id = StorageTargetId(std::string(r.GetText(row, 2)));
  e.object_key = ObjectKey(std::string(r.GetText(row, 3)));
  e.version = r.GetInt64(row, 4);
  e.range_start = r.GetOptionalInt64(row, 5);
  e.range_end = r.GetOptionalInt64(row, 6);
  e.row_count = r.GetInt64(row, 7);
  e.file_size_bytes = r.GetInt64(row, 8);
  e.checksum_sha256 = r.GetText(row, 9);
  if (auto job = r.GetOptionalText(row, 10)) e.job_id = JobId(*job);
  e.created_at = r.GetInt64(row, 11);
  return e;
}

bool IsLowerHex64(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

Result<DatasetExport> ExportRepository::Record(const NewExport& e) {
  if (!IsLowerHex64(e.checksum_sha256)) {
    return common::InvalidArgument("export checksum must be 64 lowercase hex digits");
  }
  if (e.range_start.has_value() != e.range_end.has_value()) {
    return common::InvalidArgument("an export range needs both a start and an end");
  }
  std::optional<std::string> job_id;
  if (e.job_id) job_id = e.job_id->value();
  TS_ASSIGN_OR_RETURN(PgLease lease, pool_.Acquire());
  TS_ASSIGN_OR_RETURN(
      PgResult res,
      lease->Exec(
          "INSERT INTO dataset_exports (dataset_id, storage_target_id, object_key, version, "
          "range_start, range_end, row_count, file_size_bytes, checksum_sha256, job_id, "
          "created_at) VALUES ($1, $2, $3, $4, " +
              rows::FromMicrosSql("$5") + ", " + rows::FromMicrosSql("$6") +
              ", $7, $8, $9, $10, coalesce(" + rows::FromMicrosSql("$11") + ", now())) RETURNING " +
              std::string(kExportColumns),
          PgParams()
              .Add(e.dataset_id.value())
              .Add(e.storage_target_id.value())
              .Add(e.object_key.value())
              .Add(e.version)
              .Add(e.range_start)
              .Add(e.range_end)
              .Add(e.row_count)
              .Add(e.file_size_bytes)
              .Add(e.checksum_sha256)
              .Add(job_id)
              .Add(e.created_at)));
  return ReadExport(res, 0);
}

Result<std::vector<DatasetExport>> ExportRepository::List(const DatasetId& dataset_id, int limit) {
  if (limit < 1 || limit > 500) {
    return common::InvalidArgument("limit must be between 1 and 500, got " + std::to_string(limit));
  }
  TS_ASSIGN_OR_RETURN(PgLease lease, pool_.Acquire());
  TS_ASSIGN_OR_RETURN(PgResult res, lease->Exec("SELECT " + std::string(kExportColumns) +
                                                    " FROM dataset_exports WHERE dataset_id = $1"
                                                    " ORDER BY created_at DESC, id DESC LIMIT $2",
                                                PgParams().Add(dataset_id.value()).Add(limit)));
  return rows::ReadAll(res, &ReadExport);
}

Result<std::optional<DatasetExport>> ExportRepository::FindLatest(const DatasetId& dataset_id) {
  TS_ASSIGN_OR_RETURN(std::vector<DatasetExport> latest, List(dataset_id, 1));
  if (latest.empty()) return std::optional<DatasetExport>();
  return std::optional<DatasetExport>(std::move(latest.front()));
}

}  // namespace timestore::catalog
