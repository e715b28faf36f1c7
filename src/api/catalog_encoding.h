// The JSON form of catalog records in API answers (camelCase field names, times as ISO-8601 UTC,
// as the original service wrote them). Writes one object per call into a JsonWriter positioned at a
// value. Storage target secrets are never written. Stateless free functions.
#pragma once

#include "catalog/types.h"
#include "common/json_writer.h"

namespace timestore::api {

void WriteDatasetJson(common::JsonWriter& w, const catalog::Dataset& d);
void WriteStorageTargetJson(common::JsonWriter& w, const catalog::StorageTarget& t);
void WritePartitionJson(common::JsonWriter& w, const catalog::Partition& p);
// {"version":N,"partitionCount":..,"totalRows":..,"totalBytes":..,"kind":..,"createdAt":..}
void WriteVersionSummaryJson(common::JsonWriter& w, const catalog::DatasetVersion& v);
void WriteSchemaJson(common::JsonWriter& w, const catalog::SchemaVersion& s);
// [{"name":"timestamp","type":"timestamp"}, ...] (the same shape the catalog stores schemas in).
void WriteColumnsJson(common::JsonWriter& w, const std::vector<catalog::ColumnDef>& columns);
// {"id","statement","label","createdBy","stats":{"rowCount"?,"elapsedMs"?}|null,"createdAt",
// "updatedAt"}: stats is null when neither member is known.
void WriteSavedQueryJson(common::JsonWriter& w, const catalog::SavedQuery& q);

}  // namespace timestore::api
