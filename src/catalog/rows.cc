#include "catalog/rows.h"

namespace timestore::catalog::rows {
namespace {

std::optional<UnixMicros> OptionalMicros(const PgResult& r, int row, int col) {
  return r.GetOptionalInt64(row, col);
}

}  // namespace

std::string FromMicrosSql(const std::string& param) {
  return "(timestamptz 'epoch' + (" + param + ")::bigint * interval '1 microsecond')";
}

const std::string_view kStorageTargetColumns =
    "id, name, kind, description, config::text, is_default, " TS_MICROS(
        "created_at") ", " TS_MICROS("updated_at");

StorageTarget ReadStorageTarget(const PgResult& r, int row) {
  StorageTarget t;
  t.id = StorageTargetId(std::string(r.GetText(row, 0)));
  t.name = r.GetText(row, 1);
  t.kind = r.GetText(row, 2) == "s3" ? StorageKind::kS3 : StorageKind::kLocal;
  t.description = r.GetOptionalText(row, 3);
  t.config_json = r.GetText(row, 4);
  t.is_default = r.GetBool(row, 5);
  t.created_at = r.GetInt64(row, 6);
  t.updated_at = r.GetInt64(row, 7);
  return t;
}

const std::string_view kDatasetColumns =
    "id, slug, name, description, status, timestamp_column, partition_window_seconds, "
    "partition_key_columns, write_format, default_storage_target_id, read_scopes, write_scopes, "
    "metadata::text, current_version, current_schema_version, revision, " TS_MICROS(
        "created_at") ", " TS_MICROS("updated_at");

Dataset ReadDataset(const PgResult& r, int row) {
  Dataset d;
  d.id = DatasetId(std::string(r.GetText(row, 0)));
  d.slug = r.GetText(row, 1);
  d.name = r.GetText(row, 2);
  d.description = r.GetOptionalText(row, 3);
  d.status = r.GetText(row, 4) == "archived" ? DatasetStatus::kArchived : DatasetStatus::kActive;
  d.timestamp_column = r.GetText(row, 5);
  d.partition_window_seconds = r.GetInt64(row, 6);
  d.partition_key_columns = r.GetTextArray(row, 7);
  d.write_format = ParseWriteFormat(r.GetText(row, 8)).value_or(WriteFormat::kParquet);
  if (auto st = r.GetOptionalText(row, 9)) d.default_storage_target_id = StorageTargetId(*st);
  d.read_scopes = r.GetTextArray(row, 10);
  d.write_scopes = r.GetTextArray(row, 11);
  d.metadata_json = r.GetText(row, 12);
  d.current_version = r.GetInt64(row, 13);
  if (auto v = r.GetOptionalInt64(row, 14)) d.current_schema_version = static_cast<int>(*v);
  d.revision = r.GetInt64(row, 15);
  d.created_at = r.GetInt64(row, 16);
  d.updated_at = r.GetInt64(row, 17);
  return d;
}

const std::string_view kPartitionColumns =
    "id, dataset_id, storage_target_id, object_key, format, file_size_bytes, row_count, " TS_MICROS(
        "start_time") ", " TS_MICROS("end_time") ", " TS_MICROS("window_start") ", " TS_MICROS(
        "window_end") ", partition_key::text, attributes::text, schema_version, checksum_sha256, "
                      "column_statistics::text, added_in_version, removed_in_version, " TS_MICROS(
                          "created_at");

Partition ReadPartition(const PgResult& r, int row) {
  Partition p;
  p.id = PartitionId(std::string(r.GetText(row, 0)));
  p.dataset_id = DatasetId(std::string(r.GetText(row, 1)));
  p.storage_target_id = StorageTargetId(std::string(r.GetText(row, 2)));
  p.object_key = ObjectKey(std::string(r.GetText(row, 3)));
  p.format = ParseWriteFormat(r.GetText(row, 4)).value_or(WriteFormat::kParquet);
  p.file_size_bytes = r.GetInt64(row, 5);
  p.row_count = r.GetInt64(row, 6);
  p.start_time = r.GetInt64(row, 7);
  p.end_time = r.GetInt64(row, 8);
  p.window_start = r.GetInt64(row, 9);
  p.window_end = r.GetInt64(row, 10);
  p.partition_key_json = r.GetText(row, 11);
  p.attributes_json = r.GetText(row, 12);
  p.schema_version = static_cast<int>(r.GetInt64(row, 13));
  p.checksum_sha256 = r.GetText(row, 14);
  p.column_statistics_json = r.GetText(row, 15);
  p.added_in_version = r.GetInt64(row, 16);
  p.removed_in_version = r.GetOptionalInt64(row, 17);
  p.created_at = r.GetInt64(row, 18);
  return p;
}

const std::string_view kVersionColumns =
    "dataset_id, version, parent_version, kind, schema_version, rows_added, rows_removed, "
    "bytes_added, bytes_removed, partitions_added, partitions_removed, partition_count, "
    "total_rows, "
    "total_bytes, actor, details::text, " TS_MICROS("created_at");

DatasetVersion ReadVersion(const PgResult& r, int row) {
  DatasetVersion v;
  v.dataset_id = DatasetId(std::string(r.GetText(row, 0)));
  v.version = r.GetInt64(row, 1);
  v.parent_version = r.GetInt64(row, 2);
  v.kind = ParseVersionKind(r.GetText(row, 3)).value_or(VersionKind::kIngest);
  if (auto s = r.GetOptionalInt64(row, 4)) v.schema_version = static_cast<int>(*s);
  v.rows_added = r.GetInt64(row, 5);
  v.rows_removed = r.GetInt64(row, 6);
  v.bytes_added = r.GetInt64(row, 7);
  v.bytes_removed = r.GetInt64(row, 8);
  v.partitions_added = static_cast<int>(r.GetInt64(row, 9));
  v.partitions_removed = static_cast<int>(r.GetInt64(row, 10));
  v.partition_count = r.GetInt64(row, 11);
  v.total_rows = r.GetInt64(row, 12);
  v.total_bytes = r.GetInt64(row, 13);
  v.actor = r.GetOptionalText(row, 14);
  v.details_json = r.GetText(row, 15);
  v.created_at = r.GetInt64(row, 16);
  return v;
}

const std::string_view kJobColumns =
    "id, kind, dataset_id, status, payload::text, " TS_MICROS(
        "run_at") ", attempts, max_attempts, lease_owner, " TS_MICROS(
        "lease_expires_at") ", progress::text, result::text, error, dedupe_key, " TS_MICROS("created_at") ", " TS_MICROS("updated_at") ", " TS_MICROS("started_at") ", " TS_MICROS("finished_at");

Job ReadJob(const PgResult& r, int row) {
  Job j;
  j.id = JobId(std::string(r.GetText(row, 0)));
  j.kind = r.GetText(row, 1);
  if (auto d = r.GetOptionalText(row, 2)) j.dataset_id = DatasetId(*d);
  j.status = ParseJobStatus(r.GetText(row, 3)).value_or(JobStatus::kPending);
  j.payload_json = r.GetText(row, 4);
  j.run_at = r.GetInt64(row, 5);
  j.attempts = static_cast<int>(r.GetInt64(row, 6));
  j.max_attempts = static_cast<int>(r.GetInt64(row, 7));
  j.lease_owner = r.GetOptionalText(row, 8);
  j.lease_expires_at = OptionalMicros(r, row, 9);
  j.progress_json = r.GetText(row, 10);
  j.result_json = r.GetOptionalText(row, 11);
  j.error = r.GetOptionalText(row, 12);
  j.dedupe_key = r.GetOptionalText(row, 13);
  j.created_at = r.GetInt64(row, 14);
  j.updated_at = r.GetInt64(row, 15);
  j.started_at = OptionalMicros(r, row, 16);
  j.finished_at = OptionalMicros(r, row, 17);
  return j;
}

const std::string_view kAuditColumns =
    "id, " TS_MICROS("occurred_at") ", actor, scopes, dataset_id, dataset_slug, action, success, "
    "request_id, metadata::text";

AuditEvent ReadAuditEvent(const PgResult& r, int row) {
  AuditEvent e;
  e.id = r.GetInt64(row, 0);
  e.occurred_at = r.GetInt64(row, 1);
  e.actor = r.GetOptionalText(row, 2);
  e.scopes = r.GetTextArray(row, 3);
  if (auto d = r.GetOptionalText(row, 4)) e.dataset_id = DatasetId(*d);
  e.dataset_slug = r.GetOptionalText(row, 5);
  e.action = r.GetText(row, 6);
  e.success = r.GetBool(row, 7);
  e.request_id = r.GetOptionalText(row, 8);
  e.metadata_json = r.GetText(row, 9);
  return e;
}

const std::string_view kSavedQueryColumns =
    "id, statement, label, created_by, (stats->>'rowCount')::bigint, "
    "(stats->>'elapsedMs')::bigint, " TS_MICROS("created_at") ", " TS_MICROS("updated_at");

SavedQuery ReadSavedQuery(const PgResult& r, int row) {
  SavedQuery q;
  q.id = SavedQueryId(std::string(r.GetText(row, 0)));
  q.statement = r.GetText(row, 1);
  q.label = r.GetOptionalText(row, 2);
  q.created_by = r.GetOptionalText(row, 3);
  q.stats.row_count = r.GetOptionalInt64(row, 4);
  q.stats.elapsed_ms = r.GetOptionalInt64(row, 5);
  q.created_at = r.GetInt64(row, 6);
  q.updated_at = r.GetInt64(row, 7);
  return q;
}

}  // namespace timestore::catalog::rows
