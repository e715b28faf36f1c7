#include "api/catalog_encoding.h"

namespace timestore::api {

using catalog::ColumnDef;
using catalog::Dataset;
using catalog::DatasetVersion;
using catalog::Partition;
using catalog::SavedQuery;
using catalog::SchemaVersion;
using catalog::StorageTarget;

namespace {

void WriteStrings(common::JsonWriter& w, const std::vector<std::string>& values) {
  w.BeginArray();
  for (const auto& v : values) w.String(v);
  w.EndArray();
}

void WriteOptionalString(common::JsonWriter& w, const std::optional<std::string>& v) {
  if (v) {
    w.String(*v);
  } else {
    w.Null();
  }
}

}  // namespace

void WriteDatasetJson(common::JsonWriter& w, const Dataset& d) {
  w.BeginObject();
  w.Key("id").String(d.id.value());
  w.Key("slug").String(d.slug);
  w.Key("name").String(d.name);
  w.Key("description");
  WriteOptionalString(w, d.description);
  w.Key("status").String(catalog::DatasetStatusName(d.status));
  w.Key("timestampColumn").String(d.timestamp_column);
  w.Key("partitionWindowSeconds").Int(d.partition_window_seconds);
  w.Key("partitionKeyColumns");
  WriteStrings(w, d.partition_key_columns);
  w.Key("writeFormat").String(catalog::WriteFormatName(d.write_format));
  w.Key("defaultStorageTargetId");
  if (d.default_storage_target_id) {
    w.String(d.default_storage_target_id->value());
  } else {
    w.Null();
  }
  w.Key("iam").BeginObject();
  w.Key("readScopes");
  WriteStrings(w, d.read_scopes);
  w.Key("writeScopes");
  WriteStrings(w, d.write_scopes);
  w.EndObject();
  w.Key("metadata").Raw(d.metadata_json);
  w.Key("currentVersion").Int(d.current_version);
  w.Key("currentSchemaVersion");
  if (d.current_schema_version) {
    w.Int(*d.current_schema_version);
  } else {
    w.Null();
  }
  w.Key("createdAt").String(common::FormatIso8601(d.created_at));
  w.Key("updatedAt").String(common::FormatIso8601(d.updated_at));
  w.EndObject();
}

void WriteStorageTargetJson(common::JsonWriter& w, const StorageTarget& t) {
  w.BeginObject();
  w.Key("id").String(t.id.value());
  w.Key("name").String(t.name);
  w.Key("kind").String(catalog::StorageKindName(t.kind));
  w.Key("description");
  WriteOptionalString(w, t.description);
  w.Key("isDefault").Bool(t.is_default);
  w.Key("createdAt").String(common::FormatIso8601(t.created_at));
  w.Key("updatedAt").String(common::FormatIso8601(t.updated_at));
  w.EndObject();
}

void WritePartitionJson(common::JsonWriter& w, const Partition& p) {
  w.BeginObject();
  w.Key("id").String(p.id.value());
  w.Key("storageTargetId").String(p.storage_target_id.value());
  w.Key("fileFormat").String(catalog::WriteFormatName(p.format));
  w.Key("objectKey").String(p.object_key.value());
  w.Key("fileSizeBytes").Int(p.file_size_bytes);
  w.Key("rowCount").Int(p.row_count);
  w.Key("startTime").String(common::FormatIso8601(p.start_time));
  w.Key("endTime").String(common::FormatIso8601(p.end_time));
  w.Key("windowStart").String(common::FormatIso8601(p.window_start));
  w.Key("windowEnd").String(common::FormatIso8601(p.window_end));
  w.Key("partitionKey").Raw(p.partition_key_json);
  w.Key("attributes").Raw(p.attributes_json);
  w.Key("schemaVersion").Int(p.schema_version);
  w.Key("checksum").String(p.checksum_sha256);
  w.Key("columnStatistics").Raw(p.column_statistics_json);
  w.Key("manifestVersion").Int(p.added_in_version);
  w.Key("createdAt").String(common::FormatIso8601(p.created_at));
  w.EndObject();
}

void WriteVersionSummaryJson(common::JsonWriter& w, const DatasetVersion& v) {
  w.BeginObject();
  w.Key("version").Int(v.version);
  w.Key("kind").String(catalog::VersionKindName(v.kind));
  w.Key("partitionCount").Int(v.partition_count);
  w.Key("totalRows").Int(v.total_rows);
  w.Key("totalBytes").Int(v.total_bytes);
  w.Key("createdAt").String(common::FormatIso8601(v.created_at));
  w.EndObject();
}

void WriteColumnsJson(common::JsonWriter& w, const std::vector<ColumnDef>& columns) {
  w.BeginArray();
  for (const auto& c : columns) {
    w.BeginObject();
    w.Key("name").String(c.name);
    w.Key("type").String(catalog::ColumnTypeName(c.type));
    w.EndObject();
  }
  w.EndArray();
}

void WriteSchemaJson(common::JsonWriter& w, const SchemaVersion& s) {
  w.BeginObject();
  w.Key("version").Int(s.version);
  w.Key("fields");
  WriteColumnsJson(w, s.columns);
  w.EndObject();
}

void WriteSavedQueryJson(common::JsonWriter& w, const SavedQuery& q) {
  w.BeginObject();
  w.Key("id").String(q.id.value());
  w.Key("statement").String(q.statement);
  w.Key("label");
  WriteOptionalString(w, q.label);
  w.Key("createdBy");
  WriteOptionalString(w, q.created_by);
  w.Key("stats");
  if (q.stats.empty()) {
    w.Null();
  } else {
    w.BeginObject();
    if (q.stats.row_count) w.Key("rowCount").Int(*q.stats.row_count);
    if (q.stats.elapsed_ms) w.Key("elapsedMs").Int(*q.stats.elapsed_ms);
    w.EndObject();
  }
  w.Key("createdAt").String(common::FormatIso8601(q.created_at));
  w.Key("updatedAt").String(common::FormatIso8601(q.updated_at));
  w.EndObject();
}

}  // namespace timestore::api
