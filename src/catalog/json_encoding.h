// The JSON form of catalog records in API answers (camelCase field names, times as ISO-8601 UTC,
// as the original service wrote them). Writes one object per call into a JsonWriter positioned at a
// value. Storage target secrets are never written.
#pragma once

#include "catalog/types.h"
#include "common/json_writer.h"

namespace timestore::catalog {

void WriteDatasetJson(common::JsonWriter& w, const Dataset& d);
void WriteStorageTargetJson(common::JsonWriter& w, const StorageTarget& t);
void WritePartitionJson(common::JsonWriter& w, const Partition& p);
// {"version":N,"partitionCount":..,"totalRows":..,"totalBytes":..,"kind":..,"createdAt":..}
void WriteVersionSummaryJson(common::JsonWriter& w, const DatasetVersion& v);
void WriteSchemaJson(common::JsonWriter& w, const SchemaVersion& s);
// [{"name":"timestamp","type":"timestamp"}, ...]: the form the catalog stores schemas in too.
void WriteColumnsJson(common::JsonWriter& w, const std::vector<ColumnDef>& columns);
// {"id","statement","label","createdBy","stats":{"rowCount"?,"elapsedMs"?}|null,"createdAt",
// "updatedAt"}: stats is null when neither member is known.
void WriteSavedQueryJson(common::JsonWriter& w, const SavedQuery& q);

}  // namespace timestore::catalog
