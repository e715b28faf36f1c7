// The catalog's data model as plain values (see DESIGN.md "Data model"). These structs are what the
// repositories take and return; JSON documents whose shape a higher layer owns are kept as JSON
// text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/ids.h"
#include "common/time.h"

namespace timestore::catalog {

using common::ApiTokenId;
using common::DatasetId;
using common::ExportId;
using common::JobId;
using common::ObjectKey;
using common::PartitionId;
using common::SavedQueryId;
using common::StorageTargetId;
using common::UnixMicros;

enum class ColumnType { kTimestamp, kString, kDouble, kInteger, kBoolean };
std::string_view ColumnTypeName(ColumnType type);  // "timestamp", "string", ...
std::optional<ColumnType> ParseColumnType(std::string_view name);

struct ColumnDef {
  std::string name;
  ColumnType type;
  bool operator==(const ColumnDef&) const = default;
};

struct SchemaVersion {
  DatasetId dataset_id;
  int version = 0;  // 1, 2, ... per dataset
  std::vector<ColumnDef> columns;
  UnixMicros created_at = 0;
};

enum class StorageKind { kLocal, kS3 };
std::string_view StorageKindName(StorageKind kind);

struct StorageTarget {
  StorageTargetId id;
  std::string name;
  StorageKind kind = StorageKind::kLocal;
  std::optional<std::string> description;
  std::string config_json = "{}";  // local: {"root": ...}; s3: {"bucket": ..., ...}
  bool is_default = false;
  UnixMicros created_at = 0;
  UnixMicros updated_at = 0;
};

// A storage target to create (not the default one: that comes from the service configuration).
struct NewStorageTarget {
  std::string name;
  StorageKind kind = StorageKind::kLocal;
  std::optional<std::string> description;
  std::string config_json = "{}";
};

// A change of a storage target: each member that is set replaces the stored value. The kind and
// the default flag never change.
struct StorageTargetPatch {
  std::optional<std::string> name;
  std::optional<std::optional<std::string>> description;  // nothing: cleared
  std::optional<std::string> config_json;                 // the whole new config
  bool empty() const { return !name && !description && !config_json; }
};

enum class DatasetStatus { kActive, kArchived };
std::string_view DatasetStatusName(DatasetStatus status);
enum class WriteFormat { kDuckdb, kParquet };
std::string_view WriteFormatName(WriteFormat format);
std::optional<WriteFormat> ParseWriteFormat(std::string_view name);

// Slug rules: 1-64 characters of lowercase letters, digits, '-' and '_', starting with a letter or
// digit; "exports" is reserved (object keys start with the slug, and exports/ holds the exports).
bool IsValidDatasetSlug(std::string_view slug);

struct NewDataset {
  std::string slug;
  std::string name;
  std::optional<std::string> description;
  std::string timestamp_column = "timestamp";
  int64_t partition_window_seconds = 86400;
  std::vector<std::string> partition_key_columns;
  WriteFormat write_format = WriteFormat::kParquet;
  std::optional<StorageTargetId> default_storage_target_id;
  std::vector<std::string> read_scopes;
  std::vector<std::string> write_scopes;
  std::string metadata_json = "{}";
};

struct Dataset {
  DatasetId id;
  std::string slug;
  std::string name;
  std::optional<std::string> description;
  DatasetStatus status = DatasetStatus::kActive;
  std::string timestamp_column;
  int64_t partition_window_seconds = 86400;
  std::vector<std::string> partition_key_columns;
  WriteFormat write_format = WriteFormat::kParquet;
  std::optional<StorageTargetId> default_storage_target_id;
  std::vector<std::string> read_scopes;
  std::vector<std::string> write_scopes;
  std::string metadata_json = "{}";
  int64_t current_version = 0;  // 0 until the first commit
  std::optional<int> current_schema_version;
  int64_t revision = 1;  // bumped by every definition change
  UnixMicros created_at = 0;
  UnixMicros updated_at = 0;

  // A strong ETag for the definition: "\"<id>.<revision>\"" (quotes included).
  std::string ETag() const;
};

// A change of a dataset's definition: each member that is set replaces the stored value (an inner
// nothing clears a nullable column). Slug, timestamp column and partition keys never change.
struct DatasetPatch {
  std::optional<std::string> name;                        // non-empty
  std::optional<std::optional<std::string>> description;  // nothing: cleared
  std::optional<DatasetStatus> status;
  std::optional<std::optional<StorageTargetId>> default_storage_target_id;  // nothing: cleared
  std::optional<std::vector<std::string>> read_scopes;
  std::optional<std::vector<std::string>> write_scopes;
  std::optional<int64_t> partition_window_seconds;  // > 0
  std::optional<WriteFormat> write_format;          // applies to partitions written afterwards
  std::optional<std::string> metadata_json;         // a JSON object
  bool empty() const {
    return !name && !description && !status && !default_storage_target_id && !read_scopes &&
           !write_scopes && !partition_window_seconds && !write_format && !metadata_json;
  }
};

// The outcome of DatasetRepository::Ensure.
struct EnsuredDataset {
  Dataset dataset;
  bool created = false;  // false: an identical definition already existed
};

struct DatasetPage {
  std::vector<Dataset> items;
  std::optional<std::string> next_cursor;  // nothing on the last page
};

struct ListDatasetsOptions {
  std::optional<DatasetStatus> status;
  std::optional<std::string> search;  // case-insensitive substring of slug or name
  int limit = 50;                     // 1..500
  std::optional<std::string> cursor;  // from a previous page's next_cursor
};

// A partition file to publish; written and verified before the commit that references it.
struct NewPartition {
  PartitionId
      id;  // chosen by the writer (it appears in the object key); empty: the catalog picks one
  StorageTargetId storage_target_id;
  ObjectKey object_key;
  WriteFormat format = WriteFormat::kParquet;
  int64_t file_size_bytes = 0;
  int64_t row_count = 0;
  UnixMicros start_time = 0;  // observed minimum
  UnixMicros end_time = 0;    // observed maximum, inclusive
  UnixMicros window_start = 0;
  UnixMicros window_end = 0;
  std::string partition_key_json = "{}";
  std::string attributes_json = "{}";
  int schema_version = 1;
  std::string checksum_sha256;  // 64 lowercase hex digits
  std::string column_statistics_json = "{}";
};

struct Partition : NewPartition {
  DatasetId dataset_id;
  int64_t added_in_version = 0;
  std::optional<int64_t> removed_in_version;
  UnixMicros created_at = 0;
};

enum class VersionKind { kIngest, kCompaction, kRetention, kDelete, kSchema, kRestore };
std::string_view VersionKindName(VersionKind kind);

struct DatasetVersion {
  DatasetId dataset_id;
  int64_t version = 0;
  int64_t parent_version = 0;
  VersionKind kind = VersionKind::kIngest;
  std::optional<int> schema_version;
  int64_t rows_added = 0;
  int64_t rows_removed = 0;
  int64_t bytes_added = 0;
  int64_t bytes_removed = 0;
  int partitions_added = 0;
  int partitions_removed = 0;
  int64_t partition_count = 0;  // live set totals at this version
  int64_t total_rows = 0;
  int64_t total_bytes = 0;
  std::optional<std::string> actor;
  std::string details_json = "{}";
  UnixMicros created_at = 0;
};

// The answer stored for an idempotency key (invariant 4).
struct IngestionBatch {
  DatasetId dataset_id;
  std::string idempotency_key;
  std::optional<std::string> request_hash;
  std::optional<int64_t> version;
  int status_code = 201;
  std::string response_json;
  UnixMicros created_at = 0;
};

enum class JobStatus { kPending, kRunning, kSucceeded, kFailed, kCancelled };
std::string_view JobStatusName(JobStatus status);

struct NewJob {
  std::string kind;  // "compaction", "retention", "export", "sweep", ...
  std::optional<DatasetId> dataset_id;
  std::string payload_json = "{}";
  std::optional<UnixMicros> run_at;  // now when unset
  std::optional<std::string> dedupe_key;
  int max_attempts = 5;
};

struct Job {
  JobId id;
  std::string kind;
  std::optional<DatasetId> dataset_id;
  JobStatus status = JobStatus::kPending;
  std::string payload_json = "{}";
  UnixMicros run_at = 0;
  int attempts = 0;
  int max_attempts = 5;
  std::optional<std::string> lease_owner;
  std::optional<UnixMicros> lease_expires_at;
  std::string progress_json = "{}";
  std::optional<std::string> result_json;
  std::optional<std::string> error;
  std::optional<std::string> dedupe_key;
  UnixMicros created_at = 0;
  UnixMicros updated_at = 0;
  std::optional<UnixMicros> started_at;
  std::optional<UnixMicros> finished_at;
};

struct AuditEvent {
  int64_t id = 0;  // assigned by the catalog
  UnixMicros occurred_at = 0;
  std::optional<std::string> actor;
  std::vector<std::string> scopes;
  std::optional<DatasetId> dataset_id;
  std::optional<std::string> dataset_slug;
  std::string action;
  bool success = true;
  std::optional<std::string> request_id;
  std::string metadata_json = "{}";
};

// A Parquet snapshot of a dataset written by an export job: where the file is, what it holds.
struct NewExport {
  DatasetId dataset_id;
  StorageTargetId storage_target_id;
  ObjectKey object_key;  // on that target; unique per target
  int64_t version = 0;   // the manifest version the file reflects
  // The half-open time range exported; both set, or neither (the whole dataset).
  std::optional<UnixMicros> range_start;
  std::optional<UnixMicros> range_end;
  int64_t row_count = 0;
  int64_t file_size_bytes = 0;
  std::string checksum_sha256;  // 64 lowercase hex digits
  std::optional<JobId> job_id;  // the job that wrote it, if any
  // When the export happened (the caller's clock, so scheduling decisions use one clock); unset:
  // PostgreSQL's now().
  std::optional<UnixMicros> created_at;
};

struct DatasetExport {
  ExportId id;
  DatasetId dataset_id;
  StorageTargetId storage_target_id;
  ObjectKey object_key;
  int64_t version = 0;
  std::optional<UnixMicros> range_start;
  std::optional<UnixMicros> range_end;
  int64_t row_count = 0;
  int64_t file_size_bytes = 0;
  std::string checksum_sha256;
  std::optional<JobId> job_id;
  UnixMicros created_at = 0;
};

// Saved-query ids: 1-128 characters of letters, digits, '.', '_', ':' and '-'.
bool IsValidSavedQueryId(std::string_view id);

// What the client measured when it last ran a saved statement; both members may be unknown.
struct SavedQueryStats {
  std::optional<int64_t> row_count;   // >= 0
  std::optional<int64_t> elapsed_ms;  // >= 0
  bool empty() const { return !row_count && !elapsed_ms; }
  bool operator==(const SavedQueryStats&) const = default;
};

// A saved SQL statement as the client sent it: the catalog stores the text, it never parses or
// runs it.
struct SavedQueryUpsert {
  SavedQueryId id;
  std::string statement;
  std::optional<std::string> label;
  std::optional<std::string> created_by;  // the actor; an existing row keeps its first creator
  SavedQueryStats stats;
};

struct SavedQuery {
  SavedQueryId id;
  std::string statement;
  std::optional<std::string> label;
  std::optional<std::string> created_by;
  SavedQueryStats stats;
  UnixMicros created_at = 0;  // first save; kept by updates
  UnixMicros updated_at = 0;  // last save
};

// A bearer token as stored: only the SHA-256 of its secret, never the secret.
struct NewApiToken {
  std::string name;
  std::string token_hash;  // 64 lowercase hex digits
  std::vector<std::string> scopes;
  std::optional<std::vector<std::string>> datasets;  // slugs; nothing = every dataset
  std::optional<std::string> created_by;
  std::optional<UnixMicros> expires_at;
};

struct ApiToken {
  ApiTokenId id;
  std::string name;
  std::vector<std::string> scopes;
  std::optional<std::vector<std::string>> datasets;
  std::optional<std::string> created_by;
  UnixMicros created_at = 0;
  std::optional<UnixMicros> expires_at;
  std::optional<UnixMicros> revoked_at;
  std::optional<UnixMicros> last_used_at;
};

}  // namespace timestore::catalog
