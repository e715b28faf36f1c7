// IngestRequest: the body of POST /datasets/{slug}/ingest, checked field by field, and DecodeRows,
// which validates the rows against a schema into a RowBatch. Every failure is kInvalidArgument with
// a message naming the field ("rows[17].usage_user: expected double, got string \"abc\""). Pure
// functions over a simdjson DOM that must stay alive while the result's `rows` is used.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <simdjson.h>

#include "catalog/manifest_repository.h"
#include "catalog/types.h"
#include "common/status.h"
#include "partition/partition_key.h"
#include "partition/row_batch.h"

namespace timestore::ingest {

struct IngestRequest {
  std::optional<std::string> dataset_name;
  std::optional<std::string> storage_target_id;
  std::optional<std::string> table_name;  // accepted for compatibility; files always hold `records`
  // The declared fields, in order, when the request has a schema.
  std::optional<std::vector<catalog::ColumnDef>> schema;
  // schema.evolution.defaults: a value for rows of this request that lack the column.
  std::vector<std::pair<std::string, simdjson::dom::element>> defaults;
  // partition.key, which gives the stored JSON and the object-key path.
  partition::PartitionKey partition_key;
  std::string attributes_json = "{}";
  std::optional<catalog::TimeRange> time_range;  // partition.timeRange, half-open
  simdjson::dom::array rows;
  std::optional<std::string> idempotency_key;
};

// Checks the envelope (not the rows). Unknown top-level fields are ignored, as the original did.
common::Result<IngestRequest> ParseIngestRequest(simdjson::dom::element root);

struct DecodeOptions {
  std::string_view timestamp_column = "timestamp";
  std::optional<catalog::TimeRange> time_range;
  size_t max_rows = 1'000'000;  // more rows: kPayloadTooLarge
};

// Validates every row against `schema` and returns them column by column. All or nothing: the first
// bad value fails the whole call. Columns missing from a row are NULL (or the request's default);
// the timestamp column is required in every row; a column not in the schema is an error.
common::Result<partition::RowBatch> DecodeRows(const IngestRequest& request,
                                               const std::vector<catalog::ColumnDef>& schema,
                                               const DecodeOptions& options);

}  // namespace timestore::ingest
