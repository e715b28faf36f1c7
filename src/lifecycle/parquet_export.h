// ExportOperation: the "export" job. Writes a Parquet snapshot of one dataset - whole, or a
// half-open time range - as of its current manifest version V to the dataset's storage target under
// a fresh key `exports/<slug>/<YYYYMMDDTHHMMSSZ>-v<V>-<random>.parquet`, then records it in
// dataset_exports (catalog::ExportRepository). Partitions are read through local copies whose
// checksums are verified; the file has the columns of the newest schema among V's partitions (a
// column a file lacks reads as a typed NULL), rows ordered by the timestamp column. Stateless and
// thread-safe; a retried job starts over and writes a new file (the sweeper removes a file whose
// record was never written).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "catalog/manifest_repository.h"
#include "common/status.h"
#include "lifecycle/operation.h"

namespace timestore::lifecycle {

// What an export job's payload asks for: `{}`, `{"timeRange":{"start":ISO,"end":ISO}}` (start
// inclusive, end exclusive, start < end), and/or `{"scheduled":true}` (a scheduler's run: skipped
// when the dataset's latest export is younger than LifecycleOptions::export_min_interval).
struct ExportRequest {
  std::optional<catalog::TimeRange> range;
  bool scheduled = false;
};

// Parses and validates an export payload. kInvalidArgument naming the field ("timeRange.start:
// expected an ISO-8601 time with a zone, got string \"x\"", "timeRange.end: must be after
// timeRange.start", "color: unknown field"). For the admin API to answer 400 before enqueueing.
common::Result<ExportRequest> ParseExportPayload(std::string_view payload_json);

class ExportOperation : public Operation {
 public:
  std::string_view kind() const override { return kExport; }

  // Result: {"exportId","objectKey","storageTargetId","rows","bytes","sha256","version",
  // "timeRange"?:{"start","end"}}, or {"skipped":"<why>","latestExportId":...} for a scheduled run
  // within the minimum interval. An empty dataset or range still gives a valid Parquet file with
  // the schema's columns and 0 rows (a dataset that never had a schema: the timestamp column
  // only). Errors: kInvalidArgument for a bad payload or a job without a dataset; kNotFound for an
  // unknown dataset; kInternal for a partition file that is missing or fails its checksum;
  // kConflict when the lease was lost; the store's and the catalog's errors otherwise.
  common::Result<std::string> Run(JobContext& context) const override;
};

}  // namespace timestore::lifecycle
